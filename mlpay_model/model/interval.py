"""The calibrated 80% interval and its one owner, `IntervalCalibrator`.

A model predicts log(annual USD pay) with three boosters (the median and the low and high
quantiles). Conformalized quantile regression (CQR) widens (or narrows) that raw interval by
one adjustment q: low = exp(low(X) - q), high = exp(high(X) + q), clipped so that low <=
median <= high (`calibrated_interval`; quantiles never cross).

`IntervalCalibrator` is fitted in training and applied at run time, like MAPIE's conformal
regressors (`conformalize`, then `predict_interval`), with what mlpay's data needs on top:

    conformalize      q from rows the boosters did not learn from (`HeldOut`: a calibration
                      split, or every non-test row's out-of-fold prediction for the
                      cross-conformal scheme): the smallest q whose interval covers the target
                      share of the rows, a pay band (Kaggle) counting by the share of it inside
                      (`interval_coverage`). A model of several sources is calibrated per
                      population (Mondrian conformal prediction): each source with at least
                      MIN_POPULATION_ROWS rows gets its own q, so its interval covers 80% of
                      its own people, not 80% of the sources mixed.
    with_year_ahead   the extra q of a pay year past the training years (pay drifts):
                      `ahead` rows (each source's latest year, predicted by a model of the
                      others) against `in_time` rows (as many drawn from all years), model-wide
                      and per population (`YearAhead`, never below 0), per year: a source
                      whose latest year comes `step` years after its previous one has its
                      drift divided by `step` (a trend's bias grows with the years it spans).
    predict_interval  (median, low, high) pay of raw predictions, q per row from the row's
                      population and whether its pay year lies past that population's latest.

The manifest's `calibration` block holds it (`manifest_entry`, `from_manifest`). MAPIE itself
is not used: its scores take exact targets (no pay bands), its CQR is split-only (no
cross-conformal folds) and it has no year-ahead term; this module is numpy alone, so the
runtime stays light.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

import numpy as np

from mlpay_model.errors import ArtifactError, clip

CALIBRATION_METHOD: Final = "conformal_quantile"
MIN_POPULATION_ROWS: Final = 300
"""Fewest scored rows of a source that give it its own q (or year-ahead extra); a source with
fewer takes the model-wide one (at 300 rows, 80% coverage is measured to about +-2.3 points)."""
_SEARCH_STEPS: Final = 100


def calibrated_interval(
    median_raw: np.ndarray,
    low_raw: np.ndarray,
    high_raw: np.ndarray,
    adjustment: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-scale model outputs to (median, low, high) annual pay, CQR-adjusted, never crossing
    (`adjustment`: one q, or q per row from `IntervalCalibrator.per_row`)."""
    median = np.exp(median_raw)
    low = np.minimum(np.exp(low_raw - adjustment), median)
    high = np.maximum(np.exp(high_raw + adjustment), median)
    return median, low, high


def calibrated_bounds(
    median_raw: float, low_raw: float, high_raw: float, adjustment: float
) -> tuple[float, float, float]:
    """`calibrated_interval` of one profile, in plain floats (the single-row fast path:
    numpy's per-call cost on 1-element arrays is most of the work)."""
    median = math.exp(median_raw)
    return (
        median,
        min(math.exp(low_raw - adjustment), median),
        max(math.exp(high_raw + adjustment), median),
    )


def interval_coverage(
    low: np.ndarray, high: np.ndarray, target_low: np.ndarray, target_high: np.ndarray
) -> np.ndarray:
    """Per row, the share of the true pay [target_low, target_high] inside [low, high], on the
    log scale (the chance the interval holds the pay if it is spread log-uniformly over the
    band); for exact pay, 1 inside the interval, else 0."""
    log_low, log_high = np.log(low), np.log(high)
    truth_low, truth_high = np.log(target_low), np.log(target_high)
    band_width = truth_high - truth_low
    overlap = np.minimum(log_high, truth_high) - np.maximum(log_low, truth_low)
    with np.errstate(divide="ignore", invalid="ignore"):
        band_share = np.clip(overlap / band_width, 0.0, 1.0)
    point_inside = (log_low <= truth_low) & (truth_low <= log_high)
    return np.where(band_width > 0, band_share, point_inside.astype("float64"))


@dataclass(frozen=True)
class HeldOut:
    """Rows scored by a model that did not learn from them: its uncalibrated (median, low,
    high) log pay, their true pay (a band's edges, or the same pay twice) and, to calibrate
    per population, their populations (None: model-wide only)."""

    raw: tuple[np.ndarray, np.ndarray, np.ndarray]
    target_low: np.ndarray
    target_high: np.ndarray
    populations: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.target_low)

    def where(self, rows: np.ndarray) -> HeldOut:
        """The `rows` (a mask) of these."""
        return HeldOut(
            (self.raw[0][rows], self.raw[1][rows], self.raw[2][rows]),
            self.target_low[rows],
            self.target_high[rows],
            None if self.populations is None else self.populations[rows],
        )


@dataclass(frozen=True)
class YearAhead:
    """How the year-ahead extra was measured (`IntervalCalibrator.with_year_ahead`): q of each
    source's latest pay year predicted by a model of the other rows (`ahead_q`), q of as many
    rows drawn from all its years (`in_time_q`); the extra is their difference per year of
    the step from the source's previous pay year (`steps`), never below 0, model-wide
    (`adjustment`: of the sources with the shortest step) and per measured population
    (`by_population`)."""

    adjustment: float
    measured_on: dict[str, int]  # source -> the pay year held out
    rows: int
    ahead_q: float
    in_time_q: float
    by_population: dict[str, float] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)  # source -> years since its previous

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "adjustment": self.adjustment,
            "measured_on": dict(self.measured_on),
            "rows": self.rows,
            "ahead_q": self.ahead_q,
            "in_time_q": self.in_time_q,
        }
        if self.by_population:
            entry["by_population"] = dict(self.by_population)
        if any(step != 1 for step in self.steps.values()):
            entry["step_years"] = dict(self.steps)
        return entry


@dataclass(frozen=True)
class IntervalCalibrator:
    """A model's interval calibration: q and the year-ahead extra (log scale), model-wide and,
    for a model calibrated per population, per population (a population not listed uses the
    model-wide value). Fitted with `conformalize` and `with_year_ahead` at `coverage`."""

    q: float = 0.0
    year_ahead: float = 0.0
    q_by_population: Mapping[str, float] = field(default_factory=dict)
    year_ahead_by_population: Mapping[str, float] = field(default_factory=dict)
    coverage: float = 0.8
    measured: YearAhead | None = None  # training's record of the year-ahead measurement

    # --- fitting --------------------------------------------------------------------------

    def conformalize(self, held_out: HeldOut) -> IntervalCalibrator:
        """This calibrator with q (and each population's q) of the `held_out` rows."""
        return replace(
            self,
            q=self.conformal_q(held_out),
            q_by_population=self.population_qs(held_out),
        )

    def with_year_ahead(
        self,
        ahead: HeldOut,
        in_time: HeldOut,
        measured_on: Mapping[str, int],
        steps: Mapping[str, int] | None = None,
    ) -> IntervalCalibrator:
        """This calibrator with the year-ahead extra: q of the `ahead` rows (the latest pay
        year of the `measured_on` sources, predicted by a model of the other rows) minus q of
        the `in_time` rows (as many drawn from all years, predicted by a model of the rest),
        per year of each source's step from its previous pay year (`steps`; absent: 1), never
        below 0. Model-wide from the sources with the shortest step; per population for the
        measured sources with enough rows on both sides."""
        steps = {source: (steps or {}).get(source, 1) for source in measured_on}
        shortest = min(steps.values(), default=1)
        nearest = [source for source, step in steps.items() if step == shortest]
        if ahead.populations is None or in_time.populations is None or not nearest:
            model_ahead, model_in_time = ahead, in_time
        else:
            model_ahead = ahead.where(np.isin(ahead.populations, nearest))
            model_in_time = in_time.where(np.isin(in_time.populations, nearest))
        ahead_q, in_time_q = self.conformal_q(model_ahead), self.conformal_q(model_in_time)
        ahead_by, in_time_by = self.population_qs(ahead), self.population_qs(in_time)
        measured = YearAhead(
            max(0.0, ahead_q - in_time_q) / shortest,
            dict(measured_on),
            len(ahead),
            ahead_q,
            in_time_q,
            {
                source: max(0.0, ahead_by[source] - in_time_by[source]) / steps[source]
                for source in measured_on
                if source in ahead_by and source in in_time_by
            },
            steps,
        )
        return replace(
            self,
            year_ahead=measured.adjustment,
            year_ahead_by_population=measured.by_population,
            measured=measured,
        )

    def population_qs(self, held_out: HeldOut) -> dict[str, float]:
        """{population: q of its own rows} (Mondrian conformal) for populations with at least
        MIN_POPULATION_ROWS rows (the others take the model-wide q); {} without populations."""
        if held_out.populations is None:
            return {}
        qs = {}
        for population in sorted(set(held_out.populations)):
            of_population = held_out.populations == population
            if of_population.sum() >= MIN_POPULATION_ROWS:
                qs[str(population)] = self.conformal_q(held_out.where(of_population))
        return qs

    def conformal_q(self, held_out: HeldOut) -> float:
        """The CQR adjustment q (log scale) of the `held_out` rows: the smallest q whose
        interval (`calibrated_interval`, the one prediction uses) covers at least
        ceil((n + 1) * coverage) / n of the rows (`interval_coverage`, so a band counts by
        the share it has inside). For exact pay this is split-conformal CQR's finite-sample
        quantile of the scores max(low - y, y - high); q may be negative when the raw
        quantiles are too wide."""
        median, low, high = held_out.raw
        target_low, target_high = held_out.target_low, held_out.target_high
        n = len(median)
        level = min(1.0, math.ceil((n + 1) * self.coverage) / n)
        log_low, log_high = np.log(target_low), np.log(target_high)

        def covered(q: float) -> float:
            _, bound_low, bound_high = calibrated_interval(median, low, high, q)
            return float(interval_coverage(bound_low, bound_high, target_low, target_high).mean())

        # Past these, the interval holds every band whole / shrinks to the median line.
        upper = float(max(np.max(low - log_low), np.max(log_high - high), 0.0)) + 1e-9
        lower = -float(np.max(np.maximum(np.abs(median - low), np.abs(high - median)))) - 1.0
        if covered(lower) >= level:
            return lower
        for _ in range(_SEARCH_STEPS):
            middle = 0.5 * (lower + upper)
            if middle in (lower, upper):
                break
            if covered(middle) >= level:
                upper = middle
            else:
                lower = middle
        return upper

    # --- applying -------------------------------------------------------------------------

    def of(self, population: str, past: bool = False) -> float:
        """q of a profile of `population`, plus its year-ahead extra when `past` (its pay
        year lies past the population's latest training year)."""
        q = self.q_by_population.get(population, self.q)
        return q + self.year_ahead_of(population) if past else q

    def year_ahead_of(self, population: str) -> float:
        """The extra q of a pay year past `population`'s latest training year."""
        return self.year_ahead_by_population.get(population, self.year_ahead)

    def per_row(self, populations: np.ndarray, past: np.ndarray | None) -> np.ndarray:
        """q per row of these `populations` (`past` as in `of`; None: no row is)."""
        q = _by_row(populations, self.q_by_population, self.q)
        if past is None:
            return q
        extra = _by_row(populations, self.year_ahead_by_population, self.year_ahead)
        return np.where(past, q + extra, q)

    def of_rows(
        self, populations: np.ndarray | None, past: np.ndarray | None, default: str
    ) -> float | np.ndarray:
        """q of rows: one number when they share it (`populations` None: all of `default`,
        and no row `past`), else one per row (`per_row`)."""
        if past is not None and not past.any():
            past = None
        if populations is not None:
            return self.per_row(populations, past)
        if past is None:
            return self.of(default)
        return np.where(past, self.of(default, past=True), self.of(default))

    def predict_interval(
        self,
        raw: tuple[np.ndarray, np.ndarray, np.ndarray],
        populations: np.ndarray | None = None,
        past: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(median, low, high) annual pay of raw log-pay predictions: q per row of their
        `populations` (`per_row`; None: the model-wide q, and `past` is not read)."""
        q = self.q if populations is None else self.per_row(populations, past)
        return calibrated_interval(*raw, q)

    # --- the manifest ---------------------------------------------------------------------

    def manifest_entry(self) -> dict[str, Any]:
        """The calibrator's keys of the manifest's `calibration` block (training adds how
        it was fitted; `year_ahead` is `measured`'s entry, written by the cross-conformal
        scheme)."""
        return {
            "method": CALIBRATION_METHOD,
            "target_coverage": self.coverage,
            "adjustment": self.q,
            **({"by_population": dict(self.q_by_population)} if self.q_by_population else {}),
        }

    @classmethod
    def from_manifest(
        cls, manifest: Mapping[str, Any], where: str = "manifest"
    ) -> IntervalCalibrator:
        """The calibration of a manifest: q and the year-ahead extra, model-wide and per
        population (an absent year_ahead: 0; absent `by_population`: the model-wide values
        for every population); an ArtifactError naming the key when one is malformed."""
        calibration = manifest.get("calibration")
        if not isinstance(calibration, Mapping):
            raise ArtifactError(f"{where}: calibration must be an object")
        year_ahead = calibration.get("year_ahead")
        if year_ahead is not None and not isinstance(year_ahead, Mapping):
            raise ArtifactError(f"{where}: calibration.year_ahead must be an object or null")
        year_ahead = year_ahead or {}
        where_ahead = f"{where}: calibration.year_ahead"
        coverage = calibration.get("target_coverage", 0.8)
        return cls(
            q=_number(calibration.get("adjustment"), f"{where}: calibration.adjustment"),
            year_ahead=_number(
                year_ahead.get("adjustment", 0.0), f"{where_ahead}.adjustment", at_least_zero=True
            ),
            q_by_population=_by_population(calibration, f"{where}: calibration"),
            year_ahead_by_population=_by_population(year_ahead, where_ahead, at_least_zero=True),
            coverage=_number(coverage, f"{where}: calibration.target_coverage"),
        )


def _by_row(populations: np.ndarray, values: Mapping[str, float], default: float) -> np.ndarray:
    """values[population] per row, `default` for a population not in `values`."""
    out = np.full(len(populations), default)
    for population, value in values.items():
        out[populations == population] = value
    return out


def _number(value: object, what: str, *, at_least_zero: bool = False) -> float:
    """`value` as a finite float (>= 0 when `at_least_zero`), else ArtifactError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or (at_least_zero and value < 0)
    ):
        kind = "a finite number >= 0" if at_least_zero else "a finite number"
        raise ArtifactError(f"{what} must be {kind}, got {clip(repr(value), 40)}")
    return float(value)


def _by_population(
    block: Mapping[str, Any], what: str, *, at_least_zero: bool = False
) -> dict[str, float]:
    """`block["by_population"]` ({population: adjustment}; absent: {})."""
    values = block.get("by_population", {})
    if not isinstance(values, Mapping):
        raise ArtifactError(f"{what}.by_population must be an object")
    return {
        str(population): _number(
            value, f"{what}.by_population.{clip(str(population), 40)}", at_least_zero=at_least_zero
        )
        for population, value in values.items()
    }
