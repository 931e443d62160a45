"""`SalaryModel`: a loaded artifact that predicts annual pay and its interval.

A model predicts log(annual USD pay) with three LightGBM boosters, the median and the low
and high quantiles (`artifact.QUANTILE_HEADS`), each its own model file as LightGBM wrote it,
turned into a calibrated 80% interval by `interval.calibrated_interval`. The boosters run
through `_booster.NativeBooster` (LightGBM's C API), so `predict_salary` (one row) and
`SalaryModel.predict` (a frame) run the same trees and agree exactly. Quantile heads that
continue the median (from_median: their files begin with the median's trees, as the
manifest's `calibration.continues_median` records) run only their own trees, added to the
median's raw score and their shift: the median's trees are evaluated once per row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mlpay_model.data.sources.registry import model_pay_text, source_pay_text
from mlpay_model.errors import ArtifactError
from mlpay_model.model._booster import NativeBooster
from mlpay_model.model.artifact import (
    MANIFEST_NAME,
    QUANTILE_HEADS,
    MedianContinuation,
    calibration_adjustments,
    factor_effects,
    median_continuation,
    member_path,
    population_leaf_counts,
)
from mlpay_model.model.features import OTHER_CATEGORY, FeatureEncoder, FeatureSpec, MatrixBuffer
from mlpay_model.model.interval import calibrated_bounds, calibrated_interval
from mlpay_model.model.pay_year import PayYears
from mlpay_model.schema import PREDICTION_COLUMNS, is_missing

if TYPE_CHECKING:
    import pandas as pd

PREDICT_BLOCK_ROWS: Final = 65_536
"""Rows `predict_normalised` encodes and predicts at once: bounds the float64 feature matrix
(a 200k-row chunk is encoded a block at a time, not into one matrix)."""


class RecordPrediction:
    """One profile's prediction: annual pay, the median and its calibrated 80% interval.

    `median`, `low`, `high` are computed up front. `record` is the canonical record the model
    priced: the one given, or a copy with the seniority derived from years
    (`SalaryModel.derives_seniority_from_years`). `_row` is the encoded row the boosters
    read, from which `predict_salary`'s explanation (`mlpay_model.model.factors`) works out
    the person's factors when it is read.
    """

    __slots__ = ("_model", "_row", "high", "low", "median", "record")

    def __init__(
        self,
        median: float,
        low: float,
        high: float,
        record: Mapping[str, Any],
        model: SalaryModel,
        row: np.ndarray,
    ):
        self.median = median
        self.low = low
        self.high = high
        self.record = record
        self._model = model
        self._row = row

    def __repr__(self) -> str:
        return (
            f"RecordPrediction(median={self.median!r}, low={self.low!r}, high={self.high!r}, "
            f"model={self._model.name!r})"
        )


class SalaryModel:
    """A loaded model artifact. Thread-safe: it holds no state that predictions change.

    Attributes: `name`, `version`, `currency`, `path`, `manifest` (the parsed manifest.json),
    `spec` (its FeatureSpec), `encoder`, `factors` (the canonical columns it reads, in order),
    `adjustment` (the calibration q, log scale) and `baseline` (annual pay the model predicts
    before any factor is known: exp of the median model's expected value).

    `derives_seniority_from_years` is True for a model that reads seniority but not years of
    experience (aijobs): for it, a profile with years but no seniority gets the seniority
    `mlpay_model.normalise.seniority_from_years` gives (<2 entry, <5 mid, else senior), on every
    path (`predict`, `predict_normalised`, `predict_record`), so one person is priced alike by
    `predict_salary` and by batch scoring.
    """

    def __init__(self, path: Path, manifest: Mapping[str, Any]):
        self.path = Path(path)
        self.manifest = dict(manifest)
        try:
            self.name = str(manifest["name"])
            self.version = str(manifest["version"])
            self.currency = str(manifest.get("currency", "USD"))
            self.spec = FeatureSpec.from_dict(manifest["features"])
            model_files = {
                head: member_path(self.path, manifest["models"][head], what=f"the {head} model")
                for head in QUANTILE_HEADS
            }
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactError(f"{self.path / MANIFEST_NAME}: malformed ({error!r})") from None
        # q, and the extra for a pay year past the population's latest, per population.
        self.adjustments = calibration_adjustments(manifest, str(self.path / MANIFEST_NAME))
        self.encoder = FeatureEncoder(self.spec)
        # Education and skill effects beside the boosters (`effects`), when the model has them.
        self.effects = factor_effects(manifest, str(self.path / MANIFEST_NAME))
        effect_factors = self.effects.factors if self.effects is not None else ()
        self.factors: tuple[str, ...] = (*self.spec.features, *effect_factors)
        # Every skill the model prices (the boosters' columns or the effects' table).
        self.skills: tuple[str, ...] = tuple(
            sorted({*self.spec.skills, *(self.effects.vocabulary if self.effects else ())})
        )
        self.derives_seniority_from_years = self.uses("seniority") and not self.uses(
            "years_experience"
        )
        self.populations, self.default_population = _populations(self.spec, self.manifest)
        # The pay year of a profile without one, worked out once (`model.pay_year`).
        self.pay_years = PayYears.of_model(
            self.manifest, self.populations, self.default_population, pooled=self.uses("source")
        )
        self._defaults_year = self.uses("year")
        self._widens_past_latest = self.adjustments.year_ahead != 0.0 or any(
            self.adjustments.year_ahead_by_population.values()
        )
        # What the pay figure is, worked out once: every prediction states it.
        self.pay_text = model_pay_text(self.manifest)
        self.population_pay_texts: Mapping[str, str] = MappingProxyType(
            {name: source_pay_text(self.manifest, name) for name in self.populations}
        )
        # {population: its rows per leaf of each median tree}, for explanations ({}: none).
        self.population_leaves = MappingProxyType(population_leaf_counts(self.path, self.manifest))
        continuation = median_continuation(self.manifest, str(self.path))
        self._boosters = self._load_boosters(model_files, continuation)
        # {quantile head: shift} of the heads that continue the median (`_quantile`).
        self._shifts: Mapping[str, float] = continuation.shift if continuation else {}
        self.baseline = self._check_median_model()

    def __repr__(self) -> str:
        return f"SalaryModel(name={self.name!r}, version={self.version!r}, path='{self.path}')"

    def uses(self, factor: str) -> bool:
        """True when the model reads the canonical column `factor`."""
        return factor in self.factors

    def default_pay_year(self, population: str | None = None) -> int | None:
        """The pay year a profile without one is priced at: the latest pay year of
        `population`'s training rows (None: the default population; a model without `source`
        as a feature: the latest of all its data). None when the manifest records no years."""
        return self.pay_years.default(population)

    def default_pay_years(self, profiles: pd.DataFrame) -> pd.Series:
        """Per row of canonical `profiles`, the pay year given or else the default of its
        population (floats; NaN where the model knows no year)."""
        import pandas as pd

        given = profiles["year"] if "year" in profiles else pd.Series(np.nan, profiles.index)
        given = pd.to_numeric(given, errors="coerce").astype("float64")
        fallback = _year_or_nan(self.pay_years.default())
        if self.uses("source") and "source" in profiles:
            by_population = {
                name: _year_or_nan(self.pay_years.default(name)) for name in self.populations
            }
            # Rows repeat a few sources: each distinct one is looked up once.
            codes, names = pd.factorize(profiles["source"])
            per_name = [by_population.get(name, math.nan) for name in names] + [math.nan]
            defaults = pd.Series(np.asarray(per_name, "float64")[codes], profiles.index)
            defaults = defaults.fillna(fallback)
        else:
            defaults = pd.Series(fallback, profiles.index)
        return given.where(given.notna(), defaults)

    def predict(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Annual pay per row: columns median, low, high (the calibrated 80% interval).

        `profiles` holds profile columns, canonical (see `mlpay_model.schema`) or raw as
        people type them (job titles, country names or codes, education words, skills as
        "python;sql" text or aliases), read by `mlpay_model.normalise.canonical_profiles`:
        a canonical frame is used as it is, anything else goes through `normalise_frame`.
        `role` and `country` must be columns (missing values in them mean "not known"; a
        missing role is refused); other absent columns count as missing. A row that cannot
        be read refuses the frame: one InvalidInputError naming the row, field and value.
        The output keeps the input's index.
        """
        import pandas as pd

        from mlpay_model.normalise import canonical_profiles

        priced = self._priced_frame(canonical_profiles(profiles))
        if len(priced) == 0:
            return pd.DataFrame({name: [] for name in PREDICTION_COLUMNS}, index=profiles.index)
        columns = dict(zip(PREDICTION_COLUMNS, self._priced_interval(priced), strict=True))
        return pd.DataFrame(columns, index=profiles.index)

    def predict_normalised(
        self,
        profiles: pd.DataFrame,
        *,
        block_rows: int = PREDICT_BLOCK_ROWS,
        buffer: MatrixBuffer | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`predict` for what `normalise_frame` returned (canonical, every role known; not
        checked again): (median, low, high) arrays, the same numbers. Rows are encoded and
        predicted `block_rows` at a time, into `buffer` when given (batch scoring passes
        one per thread, reused chunk after chunk: no new matrix per block)."""
        priced = self._priced_frame(profiles)
        out = np.empty((len(PREDICTION_COLUMNS), len(priced)), dtype=np.float64)
        width = len(self.encoder.feature_names)
        for start in range(0, len(priced), block_rows):
            block = priced.iloc[start : start + block_rows]
            into = None if buffer is None else buffer.rows(len(block), width)
            out[:, start : start + len(block)] = self._priced_interval(block, into)
        median, low, high = out
        return median, low, high

    def _priced_interval(
        self, priced: pd.DataFrame, into: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(median, low, high) annual pay of `_priced_frame` rows (their feature matrix
        encoded `into` when given)."""
        populations = self._populations_of(priced)
        matrix = self.encoder.encode_frame(self._tree_frame(priced, populations), out=into)
        effects = self._effects_of_frame(priced, populations).sum(axis=1)
        return self._interval(matrix, self._adjustments(priced, populations), effects)

    def _adjustments(self, priced: pd.DataFrame, populations: Any) -> float | np.ndarray:
        """q for rows of `_priced_frame` (`populations`: theirs, `_populations_of`): one
        number, or one per row where the rows' populations differ in q or some pay year lies
        past its population's latest (which adds the year-ahead extra; a model without a year
        feature prices every profile at its latest pay year, so never)."""
        chosen = populations if self.adjustments.q_by_population else None
        past = None
        if self._widens_past_latest and self._defaults_year:  # a year column is filled in
            chosen = populations
            past = self.pay_years.past_latest(priced["year"].to_numpy("float64"), populations)
        return self.adjustments.of_rows(chosen, past, self.default_population)

    def _record_adjustment(self, record: Mapping[str, Any]) -> float:
        """`_adjustments` of one priced record."""
        population = record.get("source") or self.default_population
        past = (
            self._widens_past_latest
            and self._defaults_year
            and self.pay_years.is_past(record.get("year"), record.get("source"))
        )
        return self.adjustments.of(str(population), past=bool(past))

    def _interval(
        self,
        matrix: np.ndarray,
        adjustment: float | np.ndarray,
        offset: float | np.ndarray = 0.0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(median, low, high) annual pay of encoded rows (`offset`: the rows' effects in
        log pay)."""
        median = self._boosters["median"].predict_matrix(matrix)
        low, high = (
            self._quantile(head, self._boosters[head].predict_matrix(matrix), median)
            for head in ("low", "high")
        )
        return calibrated_interval(median + offset, low + offset, high + offset, adjustment)

    def _quantile(self, head: str, own: Any, median: Any) -> Any:
        """Quantile `head`'s raw score from its booster's prediction `own` and the median's
        raw score (rows or one row): a head that continues the median predicted its own
        trees only, so the median and the head's shift are added."""
        shift = self._shifts.get(head)
        return own if shift is None else median + shift + own

    def _load_boosters(
        self, files: Mapping[str, Path], continuation: MedianContinuation | None
    ) -> dict[str, NativeBooster]:
        """Each head's booster. When the manifest records how the quantile heads continue
        the median (`artifact.MedianContinuation`, as `mlpay train` writes from_median
        heads), their boosters predict their own trees only, from the median's tree count
        on; otherwise every head is predicted whole."""
        names = self.encoder.feature_names
        median = NativeBooster(files["median"], names)
        first_tree = 0 if continuation is None else continuation.trees
        if first_tree and median.num_iterations != first_tree:
            raise ArtifactError(
                f"{median.path}: {median.num_iterations} trees, where the manifest's "
                f"calibration.continues_median says {first_tree}"
            )
        heads = {
            head: NativeBooster(files[head], names, first_tree=first_tree)
            for head in QUANTILE_HEADS
            if head != "median"
        }
        for booster in heads.values():
            if booster.num_iterations <= first_tree:
                raise ArtifactError(
                    f"{booster.path}: {booster.num_iterations} trees; a quantile head that "
                    f"continues the median ({first_tree} trees) has more trees than it"
                )
        return {"median": median, **heads}

    def predict_record(self, record: Mapping[str, Any]) -> RecordPrediction:
        """The fast path for one canonical profile (a mapping of canonical column -> value).

        No pandas: the record is encoded into one numpy row and each booster predicts it
        with LightGBM's single-row predictor (three plain predictions). The explanation
        comes later, from the same row, when it is read. Values are not checked here;
        `predict_salary` checks and normalises what users type before calling it.
        """
        record = self._priced_record(record)
        row = self.encoder.encode_record(self._tree_record(record))
        offset = self._record_offset(record)
        median = self._boosters["median"].predict_one(row)
        low, high = (
            self._quantile(head, self._boosters[head].predict_one(row), median) + offset
            for head in ("low", "high")
        )
        median, low, high = calibrated_bounds(
            median + offset, low, high, self._record_adjustment(record)
        )
        return RecordPrediction(median, low, high, record, self, row)

    def median_as(self, prediction: RecordPrediction, changes: Mapping[str, Any]) -> float:
        """The median of `prediction`'s profile with some canonical values changed (e.g. the
        same person priced as another population of a pooled model: `source`, and its pay
        year), re-encoding only those columns and running the median booster alone."""
        if self._defaults_year:  # the year the trees read is the new population's nearest
            given = prediction.record
            year = changes.get("year", given.get("year"))
            changes = {
                **changes,
                "year": self.pay_years.nearest(year, changes.get("source", given.get("source"))),
            }
        row = self.encoder.with_values(prediction._row, changes)
        offset = self._record_offset({**prediction.record, **changes})
        return math.exp(self._boosters["median"].predict_one(row) + offset)

    def _tree_record(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        """A priced record as the trees read it: its pay year held within its population's
        pay years (`PayYears.nearest`); the record itself keeps the year asked for."""
        if not self._defaults_year:
            return record
        year = record.get("year")
        nearest = self.pay_years.nearest(year, record.get("source"))
        return record if nearest == year or is_missing(year) else {**record, "year": nearest}

    def _tree_frame(self, priced: pd.DataFrame, populations: Any) -> pd.DataFrame:
        """`_tree_record` of every row of a `_priced_frame` (`populations`: theirs)."""
        if not self._defaults_year:
            return priced
        years = priced["year"].to_numpy("float64")
        nearest = self.pay_years.nearest_years(years, populations)
        same = (nearest == years) | np.isnan(years)
        return priced if same.all() else priced.assign(year=nearest)

    def _populations_of(self, priced: pd.DataFrame) -> Any:
        """The populations of `_priced_frame` rows (None: every row is the default one, or
        the model's one population): worked out once per frame, and passed on."""
        if not self.uses("source"):
            return None
        populations = priced["source"].astype(str).to_numpy()
        if (populations == self.default_population).all():  # a file without sources
            return None
        return populations

    def _priced_record(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        """`record` with what the model fills in: seniority derived from years (a model
        without years), its default population, the population's latest pay year."""
        if self.derives_seniority_from_years:
            from mlpay_model.normalise import record_with_seniority_from_years

            record = record_with_seniority_from_years(record)
        if self.uses("source") and is_missing(record.get("source")):
            record = {**record, "source": self.default_population}
        if self._defaults_year and is_missing(record.get("year")):
            year = self.pay_years.default(record.get("source"))
            if year is not None:
                record = {**record, "year": year}
        return record

    def _canonical_priced(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """`_priced_frame` of profiles (canonical, or normalised from raw values)."""
        from mlpay_model.normalise import canonical_profiles

        return self._priced_frame(canonical_profiles(profiles))

    def _matrix(self, profiles: pd.DataFrame) -> np.ndarray:
        """The feature matrix of profiles (canonical, or normalised from raw values)."""
        priced = self._canonical_priced(profiles)
        return self.encoder.encode_frame(self._tree_frame(priced, self._populations_of(priced)))

    def _record_effects(self, record: Mapping[str, Any]) -> dict[str, float]:
        """{effect factor: log pay} of one priced record ({} for a model without effects)."""
        if self.effects is None:
            return {}
        population = record.get("source") or self.default_population
        return self.effects.of_record(record, str(population))

    def _record_offset(self, record: Mapping[str, Any]) -> float:
        return float(sum(self._record_effects(record).values()))

    def _effects_of_frame(self, priced: pd.DataFrame, populations: Any) -> np.ndarray:
        """(rows x effect factors) log pay of `_priced_frame` rows, each in its population
        (`populations`: theirs, `_populations_of`)."""
        if self.effects is None:
            return np.zeros((len(priced), 0))
        return self.effects.of_frame(
            priced, self.default_population if populations is None else list(populations)
        )

    def _priced_frame(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Canonical `profiles` with what the model fills in (`_priced_record`, per row):
        seniority derived if need be, the default population, the population's pay year."""
        from mlpay_model.normalise import frame_with_seniority_from_years

        if self.derives_seniority_from_years:
            profiles = frame_with_seniority_from_years(profiles)
        if self.uses("source"):  # a pooled model: rows without a source are the default's
            given = profiles.get("source")
            profiles = profiles.assign(
                source=self.default_population
                if given is None
                else given.astype(object).where(given.notna(), self.default_population)
            )
        if self._defaults_year:  # rows without a year are priced at their population's latest
            profiles = profiles.assign(year=self.default_pay_years(profiles))
        return profiles

    def _check_median_model(self) -> float:
        """The baseline pay; refuses a median model whose SHAP values do not add up to it.

        The explanation (`mlpay_model.model.factors`) relies on the trees' leaf values adding
        up to the prediction (so that its baseline * prod(1 + p/100) is the median the plain
        prediction gives), which holds for the identity link of the regression/quantile
        objectives that mlpay trains; LightGBM's SHAP values of one row check it.
        """
        probe = np.full((1, len(self.encoder.feature_names)), np.nan)
        median = self._boosters["median"]
        shap = median.predict_row(probe, contrib=True)
        prediction = median.predict_matrix(probe)[0]
        if not math.isclose(shap.sum(), prediction, rel_tol=1e-9, abs_tol=1e-9):
            raise ArtifactError(
                f"{self.path}: the median model's SHAP values do not sum to its prediction "
                "(not an identity-link objective); mlpay models predict log pay directly"
            )
        return math.exp(shap[-1])


def _year_or_nan(year: int | None) -> float:
    return math.nan if year is None else float(year)


def _populations(spec: FeatureSpec, manifest: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """The source populations a model can price (pooled: every source its `source` feature
    learned; otherwise the sources of its data) and the one it prices by default (the
    config's `population`, else the first)."""
    if "source" in spec.features:
        names = tuple(v for v in spec.categories.get("source", ()) if v != OTHER_CATEGORY)
    else:
        entries = manifest.get("data") or []
        names = tuple(
            dict.fromkeys(
                str(e["source"]) for e in entries if isinstance(e, dict) and "source" in e
            )
        )
    config = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    chosen = config.get("population") if isinstance(config, dict) else None
    default = chosen if chosen in names else (names[0] if names else "unknown")
    return names, str(default)
