"""The calibrated 80% interval: one formula, used by training (calibration) and prediction.

A model predicts log(annual USD pay) with three boosters (the median and the low and high
quantiles). Conformalized quantile regression widens (or narrows) the quantile interval by
one adjustment q learned on the calibration split: low = exp(low(X) - q), high =
exp(high(X) + q), then clipped so that low <= median <= high (quantiles never cross).

Training fits q with this very function (`training.train.conformal_adjustment`, which lives
with the training metrics because it scores pay bands by `training.evaluate`'s coverage), so
the interval it calibrates is the interval every prediction returns.
"""

from __future__ import annotations

import math

import numpy as np


def calibrated_interval(
    median_raw: np.ndarray, low_raw: np.ndarray, high_raw: np.ndarray, adjustment: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-scale model outputs to (median, low, high) annual pay, CQR-adjusted, never crossing."""
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
