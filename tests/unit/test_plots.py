from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from training.plots import (
    COVERAGE_BY_ROLE_FILE,
    FEATURE_IMPORTANCE_FILE,
    RESIDUALS_FILE,
    coverage_by_group,
    coverage_by_group_figure,
    feature_importance_figure,
    residuals_figure,
    save_plots,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def predictions(rows: list[tuple[str, float, float, float, float, float]]) -> pd.DataFrame:
    """(role, pred_low, pred_median, pred_high, target_low, target_high) per test row."""
    frame = pd.DataFrame(
        rows,
        columns=["role", "pred_low", "pred_median", "pred_high", "target_low", "target_high"],
    )
    exact = frame["target_low"] == frame["target_high"]
    return frame.assign(
        salary_usd=frame["target_low"].where(exact),
        salary_usd_low=frame["target_low"].where(~exact),
        salary_usd_high=frame["target_high"].where(~exact),
    )


def test_coverage_by_group_counts_exact_pay_inside_the_interval() -> None:
    frame = predictions(
        [
            ("ml_engineer", 80, 100, 120, 90, 90),  # inside
            ("ml_engineer", 80, 100, 120, 120, 120),  # on the edge: inside
            ("ml_engineer", 80, 100, 120, 150, 150),  # above
            ("data_analyst", 50, 60, 70, 40, 40),  # below
        ]
    )

    table = coverage_by_group(frame, "role")

    assert table.loc["ml_engineer", "coverage"] == pytest.approx(2 / 3)
    assert table.loc["ml_engineer", "rows"] == 3
    assert table.loc["data_analyst", "coverage"] == 0.0
    assert list(table.index) == ["ml_engineer", "data_analyst"]  # best covered first


def test_coverage_by_group_counts_the_share_of_a_pay_band_inside() -> None:
    # The band 100..400 is half inside the interval 50..200 on the log scale.
    frame = predictions([("data_scientist", 50, 100, 200, 100, 400)])

    table = coverage_by_group(frame, "role")

    assert table.loc["data_scientist", "coverage"] == pytest.approx(0.5)


def test_coverage_by_group_keeps_rows_with_a_missing_group() -> None:
    frame = predictions([("ml_engineer", 80, 100, 120, 90, 90)])
    frame["country"] = [None]

    table = coverage_by_group(frame, "country")

    assert table.loc["missing", "rows"] == 1


def test_feature_importance_figure_shows_the_top_features_largest_on_top() -> None:
    importance = {f"feature_{i}": float(i) for i in range(40)}

    figure = feature_importance_figure(importance, top=5)

    bars = figure.axes[0].patches
    assert len(bars) == 5
    widths = [bar.get_width() for bar in bars]
    assert widths == sorted(widths)  # drawn bottom-up, so the largest is the top bar
    assert widths[-1] == 39.0
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels[-1] == "feature_39"


def test_residuals_figure_plots_log_ratio_of_rows_with_pay() -> None:
    frame = predictions(
        [
            ("ml_engineer", 80, 100, 120, 200, 200),
            ("ml_engineer", 80, 100, 120, 50, 50),
            ("ml_engineer", 80, 100, 120, math.nan, math.nan),  # no pay: not plotted
        ]
    )

    figure = residuals_figure(frame)

    points = figure.axes[0].collections[0].get_offsets()
    assert len(points) == 2
    np.testing.assert_allclose(np.asarray(points)[:, 1], [math.log(2), math.log(0.5)])


def test_save_plots_writes_png_files_with_the_agg_canvas(tmp_path) -> None:
    frame = predictions(
        [("ml_engineer", 80, 100, 120, 90 + i, 90 + i) for i in range(10)]
        + [("data_analyst", 50, 60, 70, 40, 40)]
    )

    written = save_plots(
        tmp_path / "plots",
        test_predictions=frame,
        feature_importance={"role": 3.0, "country": 1.0},
        target_coverage=0.8,
    )

    assert sorted(path.name for path in written) == sorted(
        [FEATURE_IMPORTANCE_FILE, RESIDUALS_FILE, COVERAGE_BY_ROLE_FILE]
    )
    for path in written:
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert isinstance(coverage_by_group_figure(frame).canvas, FigureCanvasAgg)
