"""Scoring predictions against exact pay and against pay bands, overall and per group.

A row's truth is an interval [target_low, target_high] in annual USD: a single point for exact
pay, a band's edges for a banded answer (Kaggle). Every metric reduces to the usual one for
exact pay; for a band:

    error        the distance from the prediction to the nearest pay in the band (0 inside
                 it): the prediction is compared with the band's pay closest to it.
                 mae_usd, mdape (median of error / that nearest pay) and mae_log use it.
    r2_log       R² of log pay against log(band geometric midpoint), the training target.
    coverage     the share of the band (on the log scale) inside the predicted interval, i.e.
                 the chance that the interval holds the true pay if that pay is spread
                 log-uniformly over the band. For exact pay: 1 inside the interval, else 0.
    width_usd    mean predicted interval width (high - low), in USD.
    collapsed_share  share of predictions whose high is within COLLAPSED_WITHIN (10%) of the
                 median: a range that says "no more than the median" (issue 9, item 5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from mlpay_model.model.interval import interval_coverage as interval_coverage  # re-exported
from mlpay_model.schema import SCORE_COLUMNS

MIN_GROUP_ROWS: Final = 10  # groups with fewer test rows are too noisy to report
TOP_COUNTRIES: Final = 10
EVALUATED_COLUMNS: Final[tuple[str, ...]] = (*SCORE_COLUMNS.values(), "target_low", "target_high")
"""What a frame of evaluated rows holds: the predictions (USD) and the true pay interval."""
COLLAPSED_WITHIN: Final = 0.10
GROUP_METRICS: Final = (
    "rows",
    "mae_usd",
    "mdape",
    "mae_log",
    "coverage",
    "width_usd",
    "collapsed_share",
)


def point_metrics(
    predicted: np.ndarray, target_low: np.ndarray, target_high: np.ndarray
) -> dict[str, float]:
    """rows, mae_usd, mdape, mae_log and r2_log of USD point predictions (see module doc)."""
    predicted = np.asarray(predicted, dtype="float64")
    nearest = np.clip(predicted, target_low, target_high)
    error = np.abs(predicted - nearest)
    log_predicted = np.log(predicted)
    midpoint = 0.5 * (np.log(target_low) + np.log(target_high))
    spread = np.sum((midpoint - midpoint.mean()) ** 2)
    residual = np.sum((midpoint - log_predicted) ** 2)
    return {
        "rows": float(len(predicted)),
        "mae_usd": float(error.mean()),
        "mdape": float(np.median(error / nearest)),
        "mae_log": float(np.abs(log_predicted - np.log(nearest)).mean()),
        "r2_log": float(1.0 - residual / spread) if spread > 0 else float("nan"),
    }


def interval_metrics(
    low: np.ndarray, high: np.ndarray, target_low: np.ndarray, target_high: np.ndarray
) -> dict[str, float]:
    """coverage (mean share of truth inside the interval) and width_usd (mean width)."""
    return {
        "coverage": float(interval_coverage(low, high, target_low, target_high).mean()),
        "width_usd": float(np.mean(np.asarray(high) - np.asarray(low))),
    }


def collapsed_share(median: np.ndarray, high: np.ndarray) -> float:
    """Share of predictions whose high is within COLLAPSED_WITHIN of the median."""
    median, high = np.asarray(median, dtype="float64"), np.asarray(high, dtype="float64")
    return float(np.mean(high <= (1.0 + COLLAPSED_WITHIN) * median)) if len(median) else math.nan


def score(predictions: pd.DataFrame) -> dict[str, float]:
    """Point and interval metrics of a frame holding EVALUATED_COLUMNS."""
    low, high = predictions["target_low"].to_numpy(), predictions["target_high"].to_numpy()
    median = predictions["pred_median"].to_numpy()
    return {
        **point_metrics(median, low, high),
        **interval_metrics(
            predictions["pred_low"].to_numpy(), predictions["pred_high"].to_numpy(), low, high
        ),
        "collapsed_share": collapsed_share(median, predictions["pred_high"].to_numpy()),
    }


def breakdown(predictions: pd.DataFrame, column: str, groups: Sequence[str]) -> pd.DataFrame:
    """GROUP_METRICS per value of `column`, for the given groups (rows = test rows)."""
    records = {
        group: {
            name: value
            for name, value in score(predictions[predictions[column] == group]).items()
            if name in GROUP_METRICS
        }
        for group in groups
    }
    table = pd.DataFrame.from_dict(records, orient="index", columns=list(GROUP_METRICS))
    table.index.name = column
    return table


def evaluate(predictions: pd.DataFrame) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """Test metrics (flat `test_*` names) and the per-role / per-country tables.

    Roles and the TOP_COUNTRIES most frequent countries with at least MIN_GROUP_ROWS test
    rows are broken down; each also appears flat, e.g. `test_role_ml_engineer_mae_usd`.
    """
    metrics = {f"test_{name}": value for name, value in score(predictions).items()}
    breakdowns = {
        "role": breakdown(predictions, "role", _frequent(predictions["role"], None)),
        "country": breakdown(
            predictions, "country", _frequent(predictions["country"], TOP_COUNTRIES)
        ),
    }
    for column, table in breakdowns.items():
        for group, row in table.iterrows():
            for name in GROUP_METRICS:
                metrics[f"test_{column}_{group}_{name}"] = float(row[name])
    return metrics, breakdowns


def _frequent(values: pd.Series, limit: int | None) -> list[str]:
    """Values with at least MIN_GROUP_ROWS rows, most frequent first (ties by name)."""
    counts = values.dropna().astype(str).value_counts()
    counts = counts[counts >= MIN_GROUP_ROWS]
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [str(value) for value, _ in ordered[:limit]]
