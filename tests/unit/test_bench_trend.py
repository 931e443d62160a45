"""benchmarks/bench_trend.py: its slope estimators and the verdict of its summary table.

The benchmark itself trains on the real data (about a minute); here only its pure parts are
checked, on inputs whose answer is known by construction.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # a script folder, not a package

import bench_trend as bench  # noqa: E402
from bench_out_of_time import CASE_BY_SOURCE  # noqa: E402


def test_theil_sen_ignores_one_outlying_year() -> None:
    years = [2020, 2021, 2022, 2023, 2024]
    values = [10.0, 10.1, 10.2, 11.9, 10.4]  # +0.1 a year, 2023 off the line
    assert bench.theil_sen(years, values) == approx(0.1)
    assert bench.theil_sen([2019], [10.0]) == 0.0


def test_weighted_slope_recovers_a_line_and_needs_two_years() -> None:
    years = np.array([2017.0, 2024.0, 2025.0])
    values = 3.0 + 0.05 * (years - 2017)
    assert bench.weighted_slope(years, values, np.array([1.0, 5.0, 2.0])) == approx(0.05)
    assert bench.weighted_slope(np.array([2019.0]), np.array([1.0]), np.array([3.0])) == 0.0


def test_raw_slope_reads_the_median_log_pay_of_each_year() -> None:
    rows = pd.DataFrame(
        {
            "year": [2020, 2020, 2021, 2021, 2022],
            "salary_usd": [100.0, 100.0, 110.0, 110.0, 121.0],
            "salary_usd_low": np.nan,
            "salary_usd_high": np.nan,
        }
    )
    assert np.expm1(bench.raw_slope(rows)) == approx(0.10)


def _result(source: str, years: tuple[int, ...], differences: dict[str, tuple[float, float]]):
    metrics = {
        name: {"vs_latest_usd": difference, "vs_latest_se_usd": se}
        for name, (difference, se) in differences.items()
    }
    return bench.TrendResult(CASE_BY_SOURCE[source], years, {}, {}, metrics, 0.0)


def test_the_summary_calls_a_variant_clear_only_when_it_wins_beyond_two_errors_everywhere() -> None:
    results = [
        _result("aijobs", (2022, 2023), {"trend_raw": (-100.0, 10.0), "trend_adjusted": (-5, 10)}),
        _result("kaggle", (2019,), {"trend_raw": (500.0, 1.0)}),  # one year: not judged
        _result("stackoverflow", (2017, 2024), {"trend_raw": (-30.0, 10.0)}),
    ]
    lines = bench.summary_lines(results)
    rows = {line.split(" | ")[0].strip("| "): line for line in lines}
    assert rows["trend_raw"].endswith("| yes |")
    assert rows["trend_adjusted"].endswith("| no |")  # within noise on aijobs, absent on SO
    assert rows["trend_model_year"].endswith("| no |")  # not run at all
    assert rows["variant"] == "| variant | aijobs | stackoverflow | clearly better on all |"


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-9, abs=1e-12)
