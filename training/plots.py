"""Diagnostic plots of a trained model, drawn with matplotlib's Agg canvas (no display needed).

Each `*_figure` function returns a matplotlib Figure; `save_plots` writes them all as PNG.
The figures are built without `pyplot`, so they hold no global state and are safe to draw
from any thread.

Reads the test predictions frame of a training result: canonical test rows plus
pred_median / pred_low / pred_high and target_low / target_high (annual USD; equal for exact
pay, the band edges for pay reported as a band). Residuals compare the median with the row's
pay point (a band's geometric midpoint, `mlpay_model.data.quality.pay_point`); coverage is
`training.evaluate.interval_coverage`, so the plots agree with the logged metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mlpay_model.data.quality import pay_point
from training.evaluate import interval_coverage

FEATURE_IMPORTANCE_FILE: Final = "feature_importance.png"
RESIDUALS_FILE: Final = "residuals.png"
COVERAGE_BY_ROLE_FILE: Final = "coverage_by_role.png"


def feature_importance_figure(importance: Mapping[str, float], top: int = 25) -> Figure:
    """Horizontal bars of the `top` features by total gain, largest at the top."""
    ranked = sorted(importance.items(), key=lambda item: item[1], reverse=True)[:top]
    names = [name for name, _ in reversed(ranked)]
    gains = [gain for _, gain in reversed(ranked)]
    figure = _figure(width=7.0, height=max(2.5, 0.28 * len(ranked) + 1.2))
    axes = figure.add_subplot()
    axes.barh(names, gains, color="#4c72b0")
    axes.set_xlabel("total gain (median model)")
    axes.set_title(f"Feature importance (top {len(ranked)} of {len(importance)})")
    figure.tight_layout()
    return figure


def residuals_figure(test_predictions: pd.DataFrame) -> Figure:
    """Log residuals (actual / predicted median) against the prediction, and their histogram."""
    predicted = test_predictions["pred_median"].to_numpy(dtype="float64")
    actual = pay_point(test_predictions)
    usable = np.isfinite(actual) & np.isfinite(predicted) & (actual > 0) & (predicted > 0)
    residual = np.log(actual[usable]) - np.log(predicted[usable])
    figure = _figure(width=10.0, height=4.0)
    scatter, histogram = figure.subplots(1, 2)
    scatter.scatter(predicted[usable], residual, s=6, alpha=0.35, color="#4c72b0")
    scatter.axhline(0.0, color="black", linewidth=0.8)
    scatter.set_xscale("log")
    scatter.set_xlabel("predicted median (USD per year)")
    scatter.set_ylabel("log(actual / predicted)")
    scatter.set_title(f"Residuals on the test split (n={usable.sum()})")
    histogram.hist(residual, bins=40, color="#55a868")
    histogram.axvline(0.0, color="black", linewidth=0.8)
    histogram.set_xlabel("log(actual / predicted)")
    histogram.set_ylabel("rows")
    histogram.set_title("Distribution of log residuals")
    figure.tight_layout()
    return figure


def coverage_by_group_figure(
    test_predictions: pd.DataFrame, group: str = "role", target_coverage: float = 0.8
) -> Figure:
    """Share of test rows whose pay falls inside the predicted interval, per `group` value."""
    coverage = coverage_by_group(test_predictions, group)
    figure = _figure(width=7.0, height=max(2.5, 0.3 * len(coverage) + 1.2))
    axes = figure.add_subplot()
    axes.barh(coverage.index.astype(str), coverage["coverage"], color="#8172b2")
    axes.axvline(target_coverage, color="#c44e52", linestyle="--", label="target")
    for position, (share, rows) in enumerate(
        zip(coverage["coverage"], coverage["rows"], strict=True)
    ):
        axes.text(min(share, 1.0) + 0.01, position, f"n={rows}", va="center", fontsize=8)
    axes.set_xlim(0.0, 1.15)
    axes.set_xlabel("interval coverage on the test split")
    axes.set_title(f"Calibration of the {target_coverage:.0%} interval by {group}")
    axes.legend(loc="lower right")
    figure.tight_layout()
    return figure


def coverage_by_group(test_predictions: pd.DataFrame, group: str) -> pd.DataFrame:
    """Per `group` value: `coverage` (share of rows inside the interval) and `rows`."""
    covered = pd.Series(
        interval_coverage(
            test_predictions["pred_low"].to_numpy(dtype="float64"),
            test_predictions["pred_high"].to_numpy(dtype="float64"),
            test_predictions["target_low"].to_numpy(dtype="float64"),
            test_predictions["target_high"].to_numpy(dtype="float64"),
        ),
        index=test_predictions.index,
    )
    keys = test_predictions[group].astype(object).where(test_predictions[group].notna(), "missing")
    grouped = covered.groupby(keys)
    table = pd.DataFrame({"coverage": grouped.mean(), "rows": grouped.size()})
    return table.sort_values("coverage", ascending=False)


def save_plots(
    directory: Path,
    *,
    test_predictions: pd.DataFrame,
    feature_importance: Mapping[str, float],
    target_coverage: float = 0.8,
) -> list[Path]:
    """Write every diagnostic plot as a PNG into `directory`; the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    figures = {
        FEATURE_IMPORTANCE_FILE: feature_importance_figure(feature_importance),
        RESIDUALS_FILE: residuals_figure(test_predictions),
        COVERAGE_BY_ROLE_FILE: coverage_by_group_figure(test_predictions, "role", target_coverage),
    }
    written = []
    for name, figure in figures.items():
        path = directory / name
        figure.savefig(path, dpi=110)
        written.append(path)
    return written


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure
