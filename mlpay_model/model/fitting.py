"""Fitting a model: the one implementation shared by training, the estimator and the refits.

`fit_model` fits a model's feature spec, boosters and (with `effects`) its education and skill
effects on canonical rows: `training.train` fits every model it evaluates and ships with it,
and `training.SalaryRegressor.fit` fits its model with it. `mlpay_model.compare`'s model-refit
intervals refit the median booster here (`fit_boosters`) on bootstrap resamples of a shipped
model's training rows, with the runtime alone.

`FitSettings` is the one schema of what a fit reads. A training config produces it
(`TrainConfig.fit_settings()`, which validates the YAML and dumps it into the manifest), the
runtime reads it back from a model manifest's `config` (`FitSettings.from_config`: the runtime
has no pydantic, so it cannot read the config as a `TrainConfig`), and the estimator builds it
from its scikit-learn parameters.

Determinism: LightGBM runs with deterministic=True, force_col_wise=True, the config's thread
count and seed, so the same settings and rows give byte-identical boosters.

This module imports the `lightgbm` package (prediction does not: `_booster` reads models
through the C API); import it only where boosters are fitted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from mlpay_model.errors import ConfigError
from mlpay_model.model.artifact import QUANTILE_HEADS
from mlpay_model.model.effects import EffectSettings, FactorEffects, fit_effects
from mlpay_model.model.features import TITLE_MIN_COUNT, FeatureEncoder, FeatureSpec

# Features that are never blanked in the missing-value copy.
ALWAYS_GIVEN: Final[tuple[str, ...]] = ("role", "country", "source")
# LightGBM settings of a config's `lightgbm` section that are not LightGBM parameters.
_NOT_PARAMETERS: Final = ("median_objective", "num_boost_round")

Progress = Callable[[str], None]


def _silent(_stage: str) -> None:
    """The default progress callback: report nothing."""


@dataclass(frozen=True)
class SecondStage:
    """Features learned only after the others, from the rows that observe them.

    Why: a pooled model learns from sources that never asked some questions (aijobs.net has
    no education or skills). Trees that split on those features next to rows that lack them
    learn the sources' pay gap as if it were the features' effect (listing one skill on an
    aijobs profile lowered its pay 10-20%). So the first `num_boost_round` trees never see
    these features; then `rounds` more trees, on the rows where one of them is observed
    (and those rows' missing-value copies), learn what they add to the first stage's
    prediction. Both stages are one LightGBM model (continued training), so prediction and
    the explanation read one text file as before.
    """

    features: tuple[str, ...]
    rounds: int


@dataclass(frozen=True)
class FitSettings:
    """What a fit reads: the one schema of the fitting settings (see the module docstring)."""

    lightgbm: Mapping[str, Any]
    num_boost_round: int
    median_objective: str  # "regression" or "quantile"
    quantiles: Mapping[str, float]  # low, median, high
    seed: int
    missing_augmentation: float
    monotone: Mapping[str, int] = field(default_factory=dict)  # feature -> direction (non-zero)
    # groups of canonical features that may interact in one tree branch; () = no constraint
    interactions: tuple[tuple[str, ...], ...] = ()
    second_stage: SecondStage | None = None
    # "from_median": the low/high boosters continue the median booster (`spread_booster`);
    # "independent": each starts from the rows' quantile (models trained before it existed)
    quantile_heads: str = "independent"
    features: tuple[str, ...] = ()  # the canonical features the boosters read (`fit_model`)
    min_category_count: int = 5  # categories and skills seen fewer times share one code
    title_min_count: int = TITLE_MIN_COUNT  # titles seen fewer times are missing (the family)
    effects: EffectSettings | None = None  # education and skill effects beside the boosters

    @classmethod
    def from_config(cls, config: object) -> FitSettings:
        """The settings in a training config dict; a one-line ConfigError if one is missing."""
        if not isinstance(config, Mapping):
            raise ConfigError("expected a training config mapping")
        try:
            lightgbm = dict(config["lightgbm"])
            features = list(config["features"])
            directions = dict(config.get("monotone_constraints") or {})
            return cls(
                lightgbm={k: v for k, v in lightgbm.items() if k not in _NOT_PARAMETERS},
                num_boost_round=int(lightgbm["num_boost_round"]),
                median_objective=str(lightgbm.get("median_objective", "regression")),
                quantiles={k: float(v) for k, v in dict(config["quantiles"]).items()},
                seed=int(config["seed"]),
                missing_augmentation=float(config.get("missing_augmentation", 0.0)),
                monotone={
                    name: int(direction)
                    for name, direction in directions.items()
                    if name in features and int(direction) != 0
                },
                interactions=tuple(
                    tuple(str(name) for name in group)
                    for group in config.get("interaction_constraints") or ()
                ),
                second_stage=_second_stage(config.get("second_stage")),
                quantile_heads=str(
                    dict(config.get("calibration") or {}).get("quantile_heads", "independent")
                ),
                features=tuple(str(name) for name in features),
                min_category_count=int(config.get("min_category_count", 5)),
                title_min_count=int(config.get("title_min_count") or TITLE_MIN_COUNT),
                effects=_effects(config.get("effects")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"the training config cannot be fitted from ({error!r})") from None


def _second_stage(section: object) -> SecondStage | None:
    if not section:
        return None
    if not isinstance(section, Mapping):
        raise TypeError(f"second_stage must be a mapping, not {section!r}")
    return SecondStage(
        features=tuple(str(name) for name in section["features"]),
        rounds=int(section["num_boost_round"]),
    )


def _effects(section: object) -> EffectSettings | None:
    if not section:
        return None
    if not isinstance(section, Mapping):
        raise TypeError(f"effects must be a mapping, not {section!r}")
    return EffectSettings(
        factors=tuple(str(name) for name in section["factors"]),
        ridge_alpha=float(section["ridge_alpha"]),
        min_skill_rows=int(section["min_skill_rows"]),
    )


@dataclass(frozen=True)
class FittedModel:
    """Boosters of every head and the feature spec they read (fitted on the same rows), and
    the education and skill effects beside them (None without `FitSettings.effects`)."""

    spec: FeatureSpec
    boosters: dict[str, lgb.Booster]
    effects: FactorEffects | None = None

    def encode(self, rows: pd.DataFrame) -> np.ndarray:
        return FeatureEncoder(self.spec).encode_frame(rows)

    def raw(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Uncalibrated (median, low, high) log pay of canonical `rows`."""
        median, low, high = raw_predictions(self.boosters, self.encode(rows))
        shift = self.effect_offset(rows)
        return median + shift, low + shift, high + shift

    def population_leaves(self, rows: pd.DataFrame) -> dict[str, list[list[int]]]:
        """Per source of canonical `rows`, how many of its rows reach each leaf of each median
        tree: what explanations weigh the trees' branches by (`artifact.POPULATION_LEAVES`)."""
        median = self.boosters["median"]
        leaves = np.asarray(median.predict(self.encode(rows), pred_leaf=True), dtype=np.int64)
        sizes = [int(tree["num_leaves"]) for tree in median.dump_model()["tree_info"]]
        sources = rows["source"].astype(str).to_numpy()
        return {
            source: [
                np.bincount(leaves[sources == source, tree], minlength=size).tolist()
                for tree, size in enumerate(sizes)
            ]
            for source in sorted(set(sources))
        }

    def effect_offset(self, rows: pd.DataFrame) -> np.ndarray:
        """The effects' log pay per row, each row priced as its own source's population."""
        if self.effects is None:
            return np.zeros(len(rows))
        populations = rows["source"].astype(str).tolist()
        return self.effects.of_frame(rows, populations).sum(axis=1)


def fit_model(
    settings: FitSettings, rows: pd.DataFrame, log_pay: np.ndarray, step: Progress = _silent
) -> FittedModel:
    """A feature spec fitted on canonical `rows`, the boosters of every head fitted on them
    (`fit_boosters`), and with `settings.effects` the effects fitted on the median booster's
    residuals, for each source population of the rows."""
    spec = fit_spec(settings, rows)
    matrix = FeatureEncoder(spec).encode_frame(rows)
    boosters = fit_boosters(settings, spec, matrix, log_pay, step)
    if settings.effects is None:
        return FittedModel(spec, boosters)
    step("fit effects")
    residuals = log_pay - np.asarray(boosters["median"].predict(matrix), dtype="float64")
    populations = sorted(rows["source"].astype(str).unique())
    return FittedModel(spec, boosters, fit_effects(rows, residuals, populations, settings.effects))


def fit_spec(settings: FitSettings, rows: pd.DataFrame) -> FeatureSpec:
    """The feature spec of `settings.features` fitted on canonical `rows`, with the settings'
    category and title thresholds: the one way every fit learns its vocabularies."""
    return FeatureSpec.fit(
        rows, list(settings.features), settings.min_category_count, settings.title_min_count
    )


def raw_predictions(
    boosters: Mapping[str, lgb.Booster], matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uncalibrated (median, low, high) log pay of the boosters."""
    median, low, high = (
        np.asarray(boosters[head].predict(matrix), dtype="float64") for head in QUANTILE_HEADS
    )
    return median, low, high


def fit_boosters(
    settings: FitSettings,
    spec: FeatureSpec,
    matrix: np.ndarray,
    log_pay: np.ndarray,
    step: Progress = _silent,
    heads: tuple[str, ...] = QUANTILE_HEADS,
) -> dict[str, lgb.Booster]:
    """The boosters of `heads` (by default all three), trained on the rows plus their
    missing-value copy: in two stages when the settings have a `second_stage`, and with
    `quantile_heads: from_median` the low and high heads continue the median booster (which
    is then fitted even when `heads` leaves it out)."""
    stage = settings.second_stage
    observed = None if stage is None else observed_rows(matrix, spec, stage.features)
    matrix, log_pay = with_missing_copy(
        matrix,
        log_pay,
        spec,
        settings.missing_augmentation,
        np.random.default_rng([settings.seed, 1]),
    )
    if observed is not None and len(log_pay) > len(observed):
        observed = np.concatenate([observed, observed])  # the copy keeps its row's stage
    params = booster_params(settings, spec)
    quantiles = {
        "median": settings.quantiles["median"] if settings.median_objective == "quantile" else None,
        "low": settings.quantiles["low"],
        "high": settings.quantiles["high"],
    }
    from_median = settings.quantile_heads == "from_median"
    order = ("median", *heads) if from_median and "median" not in heads else heads
    boosters: dict[str, lgb.Booster] = {}
    for head in order:
        step(f"fit {head}")
        if from_median and head != "median":
            boosters[head] = spread_booster(
                boosters["median"],
                matrix,
                log_pay,
                spec,
                settings,
                params,
                settings.quantiles[head],
            )
        elif stage is None or observed is None:
            boosters[head] = fit_booster(
                matrix, log_pay, spec, params, settings.num_boost_round, quantile=quantiles[head]
            )
        else:
            first, second = stage_params(settings, spec, params, stage)
            booster = fit_booster(
                matrix, log_pay, spec, first, settings.num_boost_round, quantile=quantiles[head]
            )
            boosters[head] = continue_booster(
                booster,
                matrix[observed],
                log_pay[observed],
                spec,
                second,
                stage.rounds,
                quantile=quantiles[head],
            )
    return {head: boosters[head] for head in heads}


def spread_booster(
    median: lgb.Booster,
    matrix: np.ndarray,
    log_pay: np.ndarray,
    spec: FeatureSpec,
    settings: FitSettings,
    params: dict[str, Any],
    alpha: float,
) -> lgb.Booster:
    """A quantile head that continues the median booster: its trees shifted by the rows'
    residual quantile at `alpha`, then `num_boost_round` pinball trees on the same rows.

    Why: started from the whole file's quantile, a head of few pinball rounds barely moves,
    so raw intervals are too wide for most people, calibration shrinks them, and the median
    clamp flattens the high end of the rest (collapsed ranges). Continuing the median, the
    trees only learn how a profile's spread differs from the average one, and every file
    still predicts on its own. With a second stage the spread trees keep its first-stage
    constraints: sources that never ask its features cannot skew the range.
    """
    if settings.second_stage is not None:
        params = stage_params(settings, spec, params, settings.second_stage)[0]
    residuals = log_pay - median.predict(matrix)
    return continue_booster(
        shifted_copy(median, float(np.quantile(residuals, alpha))),
        matrix,
        log_pay,
        spec,
        params,
        settings.num_boost_round,
        quantile=alpha,
    )


def continuation_entry(boosters: Mapping[str, lgb.Booster]) -> dict[str, Any]:
    """The manifest's `calibration.continues_median` of heads made by `spread_booster`: the
    median's tree count and each quantile head's shift of the first tree (LightGBM's leaf
    outputs), so the runtime predicts a head's own trees only (`artifact.MedianContinuation`)."""
    median = boosters["median"]
    first_leaf = median.get_leaf_output(0, 0)
    return {
        "trees": median.num_trees(),
        "shift": {
            head: boosters[head].get_leaf_output(0, 0) - first_leaf
            for head in QUANTILE_HEADS
            if head != "median"
        },
    }


def shifted_copy(booster: lgb.Booster, offset: float) -> lgb.Booster:
    """A copy of `booster` predicting `offset` more (added to every leaf of its first tree)."""
    copy = lgb.Booster(model_str=booster.model_to_string())
    _add_to_first_tree(copy, offset)
    return copy


def observed_rows(matrix: np.ndarray, spec: FeatureSpec, features: tuple[str, ...]) -> np.ndarray:
    """True for rows where at least one model column of `features` is not missing."""
    columns = [i for i, name in enumerate(spec.feature_names) if spec.factor_of(name) in features]
    return ~np.isnan(matrix[:, columns]).all(axis=1)


def stage_params(
    settings: FitSettings, spec: FeatureSpec, params: dict[str, Any], stage: SecondStage
) -> tuple[dict[str, Any], dict[str, Any]]:
    """LightGBM parameters of the first stage (never splits on the stage's features) and of
    the second (branches only within the interaction groups that hold one of them; every
    feature when there are no groups)."""
    features = [name for name in spec.features]
    groups = settings.interactions or (tuple(features),)
    first = [
        kept
        for group in groups
        if (kept := tuple(name for name in group if name not in stage.features))
    ]
    second = [group for group in groups if set(group) & set(stage.features)]
    return (
        {**params, "interaction_constraints": interaction_columns(tuple(first), spec)},
        {**params, "interaction_constraints": interaction_columns(tuple(second), spec)},
    )


def with_missing_copy(
    matrix: np.ndarray,
    target: np.ndarray,
    spec: FeatureSpec,
    rate: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The training rows plus a copy in which each optional feature value is blanked
    (set missing) with probability `rate`; the original rows alone when `rate` is 0.

    Why: users leave optional fields out (seniority, company size, year, education,
    skills...), and a LightGBM tree sends a missing value where it saw missing values in
    training. Where it saw none, NaN is read as 0, i.e. the lowest level or an absurd year,
    and a profile without context gets entry-level pay of the earliest year. The copy teaches
    the trees a "not given" branch close to the average over that feature. role, country and
    source are always given; a row's skill columns are blanked together (skills not given).
    """
    if rate == 0:
        return matrix, target
    factors: dict[str, list[int]] = {}
    for position, name in enumerate(spec.feature_names):
        factor = spec.factor_of(name)
        if factor not in ALWAYS_GIVEN:
            factors.setdefault(factor, []).append(position)
    copy = matrix.copy()
    blank = rng.random((len(copy), len(factors))) < rate
    for draw, positions in enumerate(factors.values()):
        block = copy[:, positions]
        block[blank[:, draw]] = np.nan
        copy[:, positions] = block
    return np.vstack([matrix, copy]), np.concatenate([target, target])


def booster_params(settings: FitSettings, spec: FeatureSpec) -> dict[str, Any]:
    """LightGBM parameters shared by the three boosters (objective set by `fit_booster`)."""
    params = {
        **settings.lightgbm,
        "seed": settings.seed,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
        "monotone_constraints": [settings.monotone.get(name, 0) for name in spec.feature_names],
    }
    if settings.interactions:
        params["interaction_constraints"] = interaction_columns(settings.interactions, spec)
    return params


def interaction_columns(groups: tuple[tuple[str, ...], ...], spec: FeatureSpec) -> list[list[int]]:
    """Groups of canonical features as LightGBM's groups of model column positions (a
    feature the spec does not encode is left out; `skills` is all its columns)."""
    names = spec.feature_names
    columns = []
    for group in groups:
        wanted = set(group)
        positions = [i for i, name in enumerate(names) if spec.factor_of(name) in wanted]
        if positions:
            columns.append(positions)
    return columns


def fit_booster(
    matrix: np.ndarray,
    target: np.ndarray,
    spec: FeatureSpec,
    params: dict[str, Any],
    num_boost_round: int,
    *,
    quantile: float | None = None,
) -> lgb.Booster:
    """A booster of squared error on `target`, or of the pinball loss at `quantile`.

    LightGBM refuses monotone constraints with its own quantile objective (its leaf refit
    could break them), so quantiles use `pinball_objective`: the same gradients without the
    refit. Boosting starts from the target's `quantile`, folded into the first tree's leaves
    afterwards so that the saved model predicts on its own (as LightGBM's boost_from_average).
    """
    start = 0.0 if quantile is None else float(np.quantile(target, quantile))
    init = None if quantile is None else np.full(len(target), start)
    dataset = _dataset(matrix, target, spec, params, init_score=init)
    booster = lgb.train({**params, "objective": _objective(quantile)}, dataset, num_boost_round)
    if quantile is not None:
        _add_to_first_tree(booster, start)
    return booster


def continue_booster(
    booster: lgb.Booster,
    matrix: np.ndarray,
    target: np.ndarray,
    spec: FeatureSpec,
    params: dict[str, Any],
    num_boost_round: int,
    *,
    quantile: float | None = None,
) -> lgb.Booster:
    """`booster` followed by `num_boost_round` more trees fitted on these rows, starting
    from `booster`'s predictions (LightGBM's continued training: one model holding both)."""
    dataset = _dataset(matrix, target, spec, params)
    return lgb.train(
        {**params, "objective": _objective(quantile)}, dataset, num_boost_round, init_model=booster
    )


def _dataset(
    matrix: np.ndarray,
    target: np.ndarray,
    spec: FeatureSpec,
    params: dict[str, Any],
    init_score: np.ndarray | None = None,
) -> lgb.Dataset:
    return lgb.Dataset(
        matrix,
        label=target,
        init_score=init_score,
        feature_name=spec.feature_names,
        categorical_feature=spec.categorical_feature_names,
        params={"max_bin": params["max_bin"], "verbosity": -1},
        free_raw_data=True,
    )


def _objective(quantile: float | None) -> Any:
    return "regression" if quantile is None else pinball_objective(quantile)


def _add_to_first_tree(booster: lgb.Booster, offset: float) -> None:
    """Add `offset` to every leaf of the first tree: the model then predicts `offset` more."""
    leaves = booster.dump_model(num_iteration=1)["tree_info"][0]["num_leaves"]
    for leaf in range(leaves):
        booster.set_leaf_output(0, leaf, booster.get_leaf_output(0, leaf) + offset)


def pinball_objective(
    alpha: float,
) -> Callable[[np.ndarray, lgb.Dataset], tuple[np.ndarray, np.ndarray]]:
    """Gradient and hessian of the pinball (quantile) loss at `alpha`, for LightGBM."""

    def gradients(predicted: np.ndarray, dataset: lgb.Dataset) -> tuple[np.ndarray, np.ndarray]:
        above = dataset.get_label() > predicted
        gradient = np.where(above, -alpha, 1.0 - alpha)
        return gradient, np.ones_like(gradient)

    return gradients
