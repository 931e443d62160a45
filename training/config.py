"""Training configuration: `configs/<name>.yaml`, validated, with one-line errors.

`load_config(path)` reads the YAML and returns a `TrainConfig`. Unknown keys are errors (every
model forbids extras), and any problem becomes one `ConfigError` line naming the file, the key
and what would be accepted. `TrainConfig.model_dump()` is a plain JSON-ready dict: it goes into
the model manifest with data paths left unexpanded ("${MLPAY_DATA_DIR}/...") so that a shipped
model stays portable; `SourceConfig.resolved_path()` expands them when the data is read.

Sections (all but `sources`, `features` and `model` have defaults):
    sources         list of {adapter, path, mapping (csv adapter only)}; adapters are the
                    sources registered in `mlpay_model.data.sources.registry`
    quality         overrides of `mlpay_model.data.quality.QualityRules` fields, for every source
                    (sources and quality are the runtime's `mlpay_model.data.recipe`, which
                    checks them here too and reads them back from a model's manifest)
    features        canonical columns the model reads (a subset of features.KNOWN_FEATURES)
    min_category_count  categories/skills seen fewer times in training share "__other__"
    title_min_count  raw titles (the `title` feature) seen fewer times in training are missing,
                    so their role family decides (default 100, features.TITLE_MIN_COUNT)
    target          "log_salary_usd" (the only target: log of annual USD pay)
    split           grouped (default) | random | temporal | newest, with test/calibration fractions
    lightgbm        booster parameters (see LightGBMConfig)
    quantiles       {low, median, high}, default 0.1 / 0.5 / 0.9
    calibration     {target_coverage (default 0.8), method (cross_conformal | split),
                    folds, quantile_heads (from_median | independent)}; see CalibrationConfig
    monotone_constraints  {feature: 1 | 0 | -1}, default years_experience non-decreasing
    interaction_constraints  groups of features (lists of names from `features`) that may
                    interact: a tree branch only splits on features of one group, so a feature
                    in no group with `source` has one effect for every source (LightGBM's
                    `interaction_constraints`; `skills` stands for all its skill columns).
                    Empty (the default): no constraint. When given, every feature must be in
                    at least one group (LightGBM never uses a feature in none).
    effects         {factors, ridge_alpha, min_skill_rows}: education and skills as effects
                    beside the boosters, learned from the rows that record them (see
                    `mlpay_model.model.effects`; default: none)
    second_stage    {features, num_boost_round}: features the first `lightgbm.num_boost_round`
                    trees never split on; `num_boost_round` more trees learn them from the
                    rows where one is observed (default: none, one stage)
    population      the source whose population a prediction is for by default (a model with
                    `source` as a feature predicts as any source it learned); default: the
                    first source listed
    missing_augmentation  share of optional feature values blanked in a second copy of the
                    training rows (0 = no copy); see mlpay_model.model.fitting.with_missing_copy
    seed            the one seed for splits and boosters
    mlflow          {tracking_uri, experiment, registered_model_name}
    output_dir      where `mlpay train` puts <model name>/ (default "models")
    model           {name, version}
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from mlpay_model._yaml import read_yaml
from mlpay_model.data.datadir import expand_data_path
from mlpay_model.data.quality import QualityRules
from mlpay_model.data.recipe import (
    DataRecipe,
    SourceSpec,
    quality_problem,
    quality_rules,
    source_problem,
    unknown_message,
)
from mlpay_model.data.sources.registry import find_source, unknown_source_message
from mlpay_model.errors import ConfigError, did_you_mean
from mlpay_model.model.features import KNOWN_FEATURES, NUMERIC_FEATURES, ORDINAL_FEATURES

if TYPE_CHECKING:
    from mlpay_model.model.fitting import FitSettings

Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]
MONOTONE_FEATURES = (*NUMERIC_FEATURES, *ORDINAL_FEATURES)
Direction = Literal[-1, 0, 1]


def _experience_rises() -> dict[str, Direction]:
    return {"years_experience": 1}


class StrictModel(BaseModel):
    """Every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class SourceConfig(StrictModel):
    """One data file and the adapter that reads it (a source in the runtime's registry)."""

    adapter: str
    path: str = Field(min_length=1)
    mapping: str | None = None

    @field_validator("adapter")
    @classmethod
    def _registered(cls, adapter: str) -> str:
        if find_source(adapter) is None:
            raise ValueError(unknown_source_message(adapter))
        return adapter

    @model_validator(mode="after")
    def _mapping_as_the_source_needs(self) -> SourceConfig:
        problem = source_problem(self.adapter, self.mapping)
        if problem is not None:
            raise ValueError(problem)
        return self

    def spec(self) -> SourceSpec:
        """This entry as the runtime's data recipe holds it."""
        return SourceSpec(adapter=self.adapter, path=self.path, mapping=self.mapping)

    def resolved_path(self) -> Path:
        """The data file, with ${MLPAY_DATA_DIR} (and other variables, and ~) expanded."""
        return expand_data_path(self.path)

    def resolved_mapping(self) -> Path | None:
        return None if self.mapping is None else expand_data_path(self.mapping)


class SplitConfig(StrictModel):
    """How rows are divided into train / calibration / test.

    grouped   (default) rows with identical feature values and pay form one group, and a group
              is never split: aijobs publishes repeated submissions as identical rows, and a
              copy in train would leak its twin's answer into test.
    random    each row on its own.
    temporal  test = rows whose year >= test_from_year (default: the latest year in the data);
              calibration is a grouped sample of the earlier rows.
    newest    per source, test = the test_fraction of its rows first in file order (smallest
              row_number: aijobs.net lists its newest postings first); calibration is a grouped
              sample of the older rows. Learn from every posting so far, score the next ones.
    """

    method: Literal["grouped", "random", "temporal", "newest"] = "grouped"
    test_fraction: Fraction = 0.2
    calibration_fraction: Fraction = 0.2
    test_from_year: int | None = None

    @model_validator(mode="after")
    def _check(self) -> SplitConfig:
        if self.test_fraction + self.calibration_fraction > 0.6:
            raise ValueError(
                "test_fraction + calibration_fraction must be at most 0.6, so that at least "
                "40% of rows train the model"
            )
        if self.test_from_year is not None and self.method != "temporal":
            raise ValueError("'test_from_year' applies to method: temporal only")
        return self


class LightGBMConfig(StrictModel):
    """LightGBM parameters shared by the three boosters (median, low and high quantile).

    median_objective: "regression" (squared error on log pay: the model of the median of
    log-normal-ish pay) or "quantile" (pinball loss at quantiles.median). The low/high models
    always use the pinball loss. `num_threads` is part of the config because results are only
    reproducible bit for bit with the same thread count.
    """

    median_objective: Literal["regression", "quantile"] = "regression"
    learning_rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.05
    num_boost_round: Annotated[int, Field(ge=1, le=20_000)] = 400
    num_leaves: Annotated[int, Field(ge=2, le=4096)] = 31
    max_depth: int = -1
    min_data_in_leaf: Annotated[int, Field(ge=1)] = 20
    feature_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    bagging_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    bagging_freq: Annotated[int, Field(ge=0)] = 0
    lambda_l2: Annotated[float, Field(ge=0.0)] = 0.0
    min_data_per_group: Annotated[int, Field(ge=1)] = 50
    cat_smooth: Annotated[float, Field(ge=0.0)] = 10.0
    cat_l2: Annotated[float, Field(ge=0.0)] = 10.0
    max_bin: Annotated[int, Field(ge=2)] = 255
    num_threads: Annotated[int, Field(ge=1)] = 2


class SecondStageConfig(StrictModel):
    """Features learned after all the others, only from the rows that observe them
    (`mlpay_model.model.fitting.SecondStage`): for a pooled model whose sources do not all
    ask them (aijobs.net has no education or skills)."""

    features: list[str] = Field(min_length=1)
    num_boost_round: Annotated[int, Field(ge=1, le=20_000)] = 100


class QuantilesConfig(StrictModel):
    low: Fraction = 0.1
    median: Fraction = 0.5
    high: Fraction = 0.9

    @model_validator(mode="after")
    def _ordered(self) -> QuantilesConfig:
        if not self.low < self.median < self.high:
            raise ValueError(
                f"expected low < median < high, got {self.low}, {self.median}, {self.high}"
            )
        return self


class CalibrationConfig(StrictModel):
    """How the interval is built and calibrated (conformalized quantile regression, CQR).

    method      cross_conformal (default): the non-test rows (train + calibration parts of the
                split) are cut into `folds` grouped folds (the split's groups: identical rows
                never straddle two folds); each fold is scored by boosters fitted on the
                others, and the adjustment q comes from all those out-of-fold scores. The
                test metrics are of boosters refitted on every non-test row with that q; the
                shipped boosters are refitted on ALL rows (test too) with the same q.
                split: the boosters fit on the train part, q on the calibration part alone,
                and those boosters ship (split.calibration_fraction applies to this only).
    folds       number of folds of cross_conformal (2-20, default 5).
    quantile_heads  from_median (default): the low and high boosters continue the median
                booster (its trees, then `lightgbm.num_boost_round` pinball-loss trees), so
                they learn each profile's spread around its median and start on the right
                side of it. independent: each starts from the training rows' quantile; with
                few rounds the pinball loss moves it slowly, so the raw interval stays too wide
                for many profiles and too narrow for others, q turns negative and a high end
                falls onto the median ("collapsed" ranges).
    year_ahead  true (default; cross_conformal only): also measure how much wider the interval
                must be for a pay year past the training years. Each source whose latest pay
                year directly follows another of its years has that latest year held out and
                predicted by a model of the other rows; as many of its rows drawn at random
                from all its years are predicted by a model of the rest; the extra adjustment
                is the first q minus the second, never below 0 (both models lack as many rows,
                so what differs is the year's drift). Prediction adds it for profiles whose
                pay year lies past their population's latest year.
    per_population  true (default): a model that reads `source` is calibrated per
                population (Mondrian conformal prediction): each source with at least
                `training.train.MIN_POPULATION_ROWS` scored rows gets its own q from its own
                rows' scores, and its own year-ahead extra where it was measured, so the 80%
                holds for each source's people, not only for the sources mixed; other
                sources take the model-wide values. Models without `source` are unaffected.
    """

    target_coverage: Fraction = 0.8
    method: Literal["cross_conformal", "split"] = "cross_conformal"
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    quantile_heads: Literal["from_median", "independent"] = "from_median"
    year_ahead: bool = True
    per_population: bool = True

    @model_validator(mode="after")
    def _folds_for_cross_conformal(self) -> CalibrationConfig:
        for name in ("folds", "year_ahead"):
            if self.method == "split" and name in self.model_fields_set:
                raise ValueError(f"'{name}' applies to method: cross_conformal only")
        return self


class MlflowSettings(StrictModel):
    """Where `mlpay train` logs the run; `registered_model_name` defaults to mlpay-<model name>."""

    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = Field(default="mlpay", min_length=1)
    registered_model_name: str | None = None


class ModelConfig(StrictModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    version: str = Field(default="1", min_length=1)


class EffectsConfig(StrictModel):
    """Education and skill effects beside the boosters (`mlpay_model.model.effects`): learned
    from the rows that record them, as ridge coefficients of the boosters' residuals."""

    factors: list[Literal["education", "skills"]] = Field(
        default_factory=lambda: ["education", "skills"],  # type: ignore[arg-type]
        min_length=1,
    )
    ridge_alpha: Annotated[float, Field(gt=0.0)] = 100.0
    min_skill_rows: Annotated[int, Field(ge=1)] = 30


class TrainConfig(StrictModel):
    """A whole training configuration (see the module docstring for the sections)."""

    sources: list[SourceConfig] = Field(min_length=1)
    quality: dict[str, Any] = Field(default_factory=dict)
    features: list[str] = Field(min_length=1)
    min_category_count: Annotated[int, Field(ge=1)] = 5
    title_min_count: Annotated[int, Field(ge=1)] | None = None
    target: Literal["log_salary_usd"] = "log_salary_usd"
    split: SplitConfig = Field(default_factory=SplitConfig)
    lightgbm: LightGBMConfig = Field(default_factory=LightGBMConfig)
    quantiles: QuantilesConfig = Field(default_factory=QuantilesConfig)
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)
    monotone_constraints: dict[str, Direction] = Field(default_factory=_experience_rises)
    interaction_constraints: list[list[str]] = Field(default_factory=list)
    second_stage: SecondStageConfig | None = None
    effects: EffectsConfig | None = None
    population: str | None = None
    missing_augmentation: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.5
    seed: int = 0
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings)
    output_dir: str = "models"
    model: ModelConfig

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        for name in self.features:
            if name not in KNOWN_FEATURES:
                raise ValueError(unknown_message("feature", name, KNOWN_FEATURES))
        if len(set(self.features)) != len(self.features):
            raise ValueError(f"features lists a feature twice: {self.features}")
        for name in self.monotone_constraints:
            if name not in MONOTONE_FEATURES:
                raise ValueError(
                    unknown_message("monotone_constraints feature", name, MONOTONE_FEATURES)
                    + " (numeric or ordinal features only)"
                )
        adapters = list(dict.fromkeys(source.adapter for source in self.sources))
        if self.population is not None and self.population not in adapters:
            raise ValueError(unknown_message("population", self.population, adapters))
        problem = interaction_problem(self.interaction_constraints, self.features)
        if problem is not None:
            raise ValueError(problem)
        problem = second_stage_problem(self.second_stage, self.features)
        if problem is not None:
            raise ValueError(problem)
        problem = quality_problem(self.quality)
        if problem is not None:
            raise ValueError(problem)
        if self.effects is not None:
            both = sorted(set(self.effects.factors) & set(self.features))
            if both:
                raise ValueError(
                    f"effects.factors {both} are also in features: a factor is either split on "
                    "by the trees or an effect beside them, not both"
                )
            if self.calibration.method != "cross_conformal":
                raise ValueError("effects need calibration.method: cross_conformal")
        if self.mlflow.registered_model_name is None:
            self.mlflow.registered_model_name = f"mlpay-{self.model.name}"
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The config as a dict; `interaction_constraints` only when given and
        `calibration.per_population` only for a model that reads `source` (nothing else
        uses it), so that the manifests of models trained without them stay as they were."""
        dumped: dict[str, Any] = handler(self)
        for optional in (
            "interaction_constraints",
            "second_stage",
            "effects",
            "population",
            "title_min_count",
        ):
            if not dumped.get(optional):
                dumped.pop(optional, None)
        if "source" not in self.features and isinstance(dumped.get("calibration"), dict):
            dumped["calibration"].pop("per_population", None)
        return dumped

    def quality_rules(self, adapter: str) -> QualityRules:
        """The adapter's default quality rules with this config's overrides applied."""
        return quality_rules(adapter, self.quality)

    def data_recipe(self) -> DataRecipe:
        """The sources, quality overrides and features: what `load_training_data` reads."""
        return DataRecipe(
            sources=tuple(source.spec() for source in self.sources),
            quality=self.quality,
            features=tuple(self.features),
        )

    def fit_settings(self) -> FitSettings:
        """What a fit reads of this config (the one schema of the fitting settings): read
        from the dumped config as the runtime reads a manifest's, so the two cannot differ."""
        from mlpay_model.model.fitting import FitSettings  # imports lightgbm: only to fit

        return FitSettings.from_config(self.model_dump())

    def monotone_directions(self) -> dict[str, int]:
        """{feature: direction} for the constrained features this config uses."""
        return dict(self.fit_settings().monotone)


def interaction_problem(groups: list[list[str]], features: list[str]) -> str | None:
    """Why `interaction_constraints` cannot apply to `features`, or None when it can."""
    if not groups:
        return None
    for index, group in enumerate(groups):
        if not group:
            return f"interaction_constraints[{index}] is empty (list features that may interact)"
        for name in group:
            if name not in features:
                return (
                    unknown_message(
                        f"interaction_constraints[{index}] feature", name, tuple(features)
                    )
                    + " (features of this config only)"
                )
        if len(set(group)) != len(group):
            return f"interaction_constraints[{index}] lists a feature twice: {group}"
    grouped = {name for group in groups for name in group}
    missing = [name for name in features if name not in grouped]
    if missing:
        return (
            f"interaction_constraints: {', '.join(missing)} in no group (LightGBM would never "
            "use it); add it to a group, or on its own as [name]"
        )
    return None


def second_stage_problem(stage: SecondStageConfig | None, features: list[str]) -> str | None:
    """Why `second_stage` cannot apply to `features`, or None when it can."""
    if stage is None:
        return None
    for name in stage.features:
        if name not in features:
            return (
                unknown_message("second_stage feature", name, tuple(features))
                + " (features of this config only)"
            )
    if len(set(stage.features)) == len(features):
        return "second_stage: at least one feature must stay in the first stage"
    return None


def load_config(path: Path | str) -> TrainConfig:
    """Read and validate a training config; a one-line ConfigError on any problem."""
    path = Path(path)
    document = read_yaml(path, "a training config")
    try:
        config = TrainConfig.model_validate(document)
        for source in config.sources:  # quality overrides are checked against real rules
            config.quality_rules(source.adapter)
    except ValidationError as error:
        raise ConfigError(f"{path}: {describe_validation_error(error)}") from None
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    return config


def describe_validation_error(error: ValidationError) -> str:
    """pydantic's errors as one line: each names the key path and what would be accepted."""
    return "; ".join(_describe(item) for item in error.errors())


def _describe(item: Any) -> str:
    location = tuple(item["loc"])
    where = _dotted(location)
    kind = item["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(location[:-1])
        parent = _dotted(location[:-1])
        inside = f" in {parent}" if parent else ""
        return (
            f"unknown key {str(location[-1])!r}{inside}{did_you_mean(str(location[-1]), allowed)}"
            f"; allowed: {', '.join(allowed)}"
        )
    if kind == "missing":
        return f"missing required key {where!r}"
    message = str(item["msg"]).removeprefix("Value error, ")
    if not where:
        return message
    return f"{where}: {message} (got {_short(item.get('input'))})"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dotted(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _allowed_keys(location: tuple[Any, ...]) -> list[str]:
    """The keys the config section at `location` accepts."""
    model: type[BaseModel] = TrainConfig
    for part in location:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        nested = _model_in(field.annotation) if field is not None else None
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `X`, `list[X]` or `X | None`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None
