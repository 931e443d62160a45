"""The calibrated 80% interval: one formula, used by training (calibration) and prediction.

A model predicts log(annual USD pay) with three boosters (the median and the low and high
quantiles). Conformalized quantile regression widens (or narrows) the quantile interval by
one adjustment q learned on the calibration split: low = exp(low(X) - q), high =
exp(high(X) + q), then clipped so that low <= median <= high (quantiles never cross).

A pay year past the model's training years is a year ahead: pay drifts, and training measures
how much wider the interval must be for it (the manifest's `calibration.year_ahead.adjustment`,
see `training.train.measure_year_ahead`); `row_adjustments` adds it to q for such rows.

Training fits q with this very function (`training.train.conformal_adjustment`, which lives
with the training metrics because it scores pay bands by `training.evaluate`'s coverage), so
the interval it calibrates is the interval every prediction returns.
"""

from __future__ import annotations

import math

import numpy as np


def calibrated_interval(
    median_raw: np.ndarray,
    low_raw: np.ndarray,
    high_raw: np.ndarray,
    adjustment: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-scale model outputs to (median, low, high) annual pay, CQR-adjusted, never crossing
    (`adjustment`: one q, or q per row from `row_adjustments`)."""
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


def row_adjustments(adjustment: float, year_ahead: float, past: np.ndarray) -> np.ndarray:
    """q per row: `adjustment`, plus `year_ahead` where `past` (the row's pay year lies past
    its population's latest training year, `PayYears.past_latest`)."""
    return np.where(past, adjustment + year_ahead, adjustment)
