"""The calibrated 80% interval: one formula, used by training (calibration) and prediction.

A model predicts log(annual USD pay) with three boosters (the median and the low and high
quantiles). Conformalized quantile regression widens (or narrows) the quantile interval by
one adjustment q learned on the calibration split: low = exp(low(X) - q), high =
exp(high(X) + q), then clipped so that low <= median <= high (quantiles never cross).

A pay year past the model's training years is a year ahead: pay drifts, and training measures
how much wider the interval must be for it (the manifest's `calibration.year_ahead.adjustment`,
see `training.train.measure_year_ahead`); `Adjustments` adds it to q for such rows.

A model of several sources (pooled) is calibrated per population (Mondrian conformal
prediction): each source's rows give that source's q and year-ahead extra, so its interval
covers 80% of its own people, not 80% of the sources mixed (where the widest source's
misses hide behind another's spare width). `Adjustments` holds them, the model-wide ones for
a population that had too few rows to have its own.

Training fits q with this very function (`training.train.conformal_adjustment`, which lives
with the training metrics because it scores pay bands by `training.evaluate`'s coverage), so
the interval it calibrates is the interval every prediction returns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


def calibrated_interval(
    median_raw: np.ndarray,
    low_raw: np.ndarray,
    high_raw: np.ndarray,
    adjustment: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-scale model outputs to (median, low, high) annual pay, CQR-adjusted, never crossing
    (`adjustment`: one q, or q per row from `Adjustments.per_row`)."""
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


@dataclass(frozen=True)
class Adjustments:
    """A model's calibration: q and the year-ahead extra (log scale), model-wide and, for a
    model calibrated per population, per population (a population not listed uses the
    model-wide value)."""

    q: float
    year_ahead: float = 0.0
    q_by_population: Mapping[str, float] = field(default_factory=dict)
    year_ahead_by_population: Mapping[str, float] = field(default_factory=dict)

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


def _by_row(populations: np.ndarray, values: Mapping[str, float], default: float) -> np.ndarray:
    """values[population] per row, `default` for a population not in `values`."""
    out = np.full(len(populations), default)
    for population, value in values.items():
        out[populations == population] = value
    return out
