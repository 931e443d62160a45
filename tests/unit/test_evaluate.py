from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from training.evaluate import (
    GROUP_METRICS,
    MIN_GROUP_ROWS,
    evaluate,
    interval_coverage,
    interval_metrics,
    point_metrics,
)


def test_point_metrics_on_exact_pay():
    truth = np.array([100_000.0, 200_000.0, 50_000.0, 80_000.0])
    predicted = np.array([110_000.0, 180_000.0, 50_000.0, 100_000.0])
    metrics = point_metrics(predicted, truth, truth)
    assert metrics["rows"] == 4
    assert metrics["mae_usd"] == pytest.approx((10_000 + 20_000 + 0 + 20_000) / 4)
    # Absolute percentage errors 0.1, 0.1, 0, 0.25: the median is 0.1.
    assert metrics["mdape"] == pytest.approx(0.1)
    expected_log = np.abs(np.log(predicted) - np.log(truth)).mean()
    assert metrics["mae_log"] == pytest.approx(expected_log)
    log_truth = np.log(truth)
    r2 = 1 - np.sum((log_truth - np.log(predicted)) ** 2) / np.sum(
        (log_truth - log_truth.mean()) ** 2
    )
    assert metrics["r2_log"] == pytest.approx(r2)


def test_a_band_is_scored_by_the_distance_to_its_nearest_edge():
    low = np.array([100_000.0, 100_000.0, 100_000.0])
    high = np.array([125_000.0, 125_000.0, 125_000.0])
    predicted = np.array([110_000.0, 90_000.0, 150_000.0])
    metrics = point_metrics(predicted, low, high)
    assert metrics["mae_usd"] == pytest.approx((0 + 10_000 + 25_000) / 3)
    # Percentage errors against the nearest pay in the band: 0, 0.1, 0.2.
    assert metrics["mdape"] == pytest.approx(0.1)


def test_r2_of_bands_uses_the_log_midpoint():
    low, high = np.array([10_000.0, 40_000.0]), np.array([40_000.0, 160_000.0])
    midpoint = np.sqrt(low * high)  # 20,000 and 80,000
    assert point_metrics(midpoint, low, high)["r2_log"] == pytest.approx(1.0)


def test_coverage_of_exact_pay_is_inside_or_not():
    truth = np.array([100.0, 100.0, 100.0, 100.0])
    low = np.array([90.0, 100.0, 101.0, 50.0])
    high = np.array([110.0, 120.0, 130.0, 99.0])
    assert list(interval_coverage(low, high, truth, truth)) == [1.0, 1.0, 0.0, 0.0]


def test_coverage_of_a_band_is_the_share_inside_on_the_log_scale():
    band_low, band_high = np.array([100.0]), np.array([400.0])
    # The interval [200, 1000] holds log-half of [100, 400] (200 is its geometric middle).
    assert interval_coverage(np.array([200.0]), np.array([1000.0]), band_low, band_high)[
        0
    ] == pytest.approx(0.5)
    assert interval_coverage(np.array([50.0]), np.array([500.0]), band_low, band_high)[0] == 1.0
    assert interval_coverage(np.array([500.0]), np.array([900.0]), band_low, band_high)[0] == 0.0


def test_interval_metrics_mean_width_in_usd():
    truth = np.array([100.0, 100.0])
    metrics = interval_metrics(np.array([90.0, 50.0]), np.array([110.0, 60.0]), truth, truth)
    assert metrics == {"coverage": 0.5, "width_usd": 15.0}


def predictions(rows_per_role: dict[str, int]) -> pd.DataFrame:
    roles = [role for role, n in rows_per_role.items() for _ in range(n)]
    n = len(roles)
    rng = np.random.default_rng(0)
    truth = rng.uniform(50_000, 150_000, n)
    median = truth * rng.uniform(0.8, 1.2, n)
    return pd.DataFrame(
        {
            "role": roles,
            "country": ["US" if i % 3 else "DE" for i in range(n)],
            "pred_median": median,
            "pred_low": median * 0.8,
            "pred_high": median * 1.25,
            "target_low": truth,
            "target_high": truth,
        }
    )


def test_evaluate_reports_flat_metrics_and_group_tables():
    frame = predictions({"ml_engineer": 40, "data_scientist": 30, "manager": MIN_GROUP_ROWS - 1})
    metrics, breakdowns = evaluate(frame)
    assert metrics["test_rows"] == len(frame)
    assert metrics["test_mae_usd"] == pytest.approx(
        np.abs(frame["pred_median"] - frame["target_low"]).mean()
    )
    role_table = breakdowns["role"]
    assert list(role_table.index) == ["ml_engineer", "data_scientist"]  # by size, small left out
    assert list(role_table.columns) == list(GROUP_METRICS)
    ml = frame[frame["role"] == "ml_engineer"]
    assert metrics["test_role_ml_engineer_mae_usd"] == pytest.approx(
        np.abs(ml["pred_median"] - ml["target_low"]).mean()
    )
    assert metrics["test_role_ml_engineer_rows"] == 40
    assert "test_role_manager_rows" not in metrics
    assert set(breakdowns["country"].index) == {"US", "DE"}
    assert all(math.isfinite(value) for value in metrics.values())
