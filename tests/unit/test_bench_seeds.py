"""benchmarks/bench_seeds.py: its tables, on runs whose numbers are known.

The benchmark itself retrains every config per seed (minutes each); here only how it reads a
training result and reports the runs is checked.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # a script folder, not a package

import bench_seeds as bench  # noqa: E402


def run(seed: int, coverage: float, by_source: dict[str, float]) -> bench.Run:
    return bench.Run(
        source="pooled",
        seed=seed,
        test_rows=1_000,
        mae_usd=30_000.0,
        coverage=coverage,
        width_usd=100_000.0,
        collapsed=0.0,
        seconds=1.0,
        method="cross_conformal (5 folds), from_median heads",
        role_coverage=(0.7, 0.9),
        country_coverage=(0.65, 0.95),
        source_coverage=by_source,
    )


class Result:
    """What `source_coverage` reads of a `TrainResult`: its test predictions."""

    def __init__(self, predictions: pd.DataFrame):
        self.test_predictions = predictions


def test_source_coverage_is_measured_on_each_sources_test_rows() -> None:
    # Four rows of source a (three inside their interval), two of b (both inside).
    pay = np.array([100.0, 100.0, 100.0, 300.0, 100.0, 100.0])
    predictions = pd.DataFrame(
        {
            "source": ["a", "a", "a", "a", "b", "b"],
            "pred_median": 100.0,
            "pred_low": 80.0,
            "pred_high": 120.0,
            "target_low": pay,
            "target_high": pay,
            "salary_usd": pay,
        }
    )
    assert bench.source_coverage(Result(predictions)) == {"a": 0.75, "b": 1.0}
    assert bench.source_coverage(Result(predictions[predictions["source"] == "a"])) == {}


def test_a_pooled_models_runs_get_a_per_source_table_with_seeds_in_band() -> None:
    runs = [
        run(0, 0.80, {"aijobs": 0.83, "kaggle": 0.79}),
        run(1, 0.81, {"aijobs": 0.81, "kaggle": 0.77}),
    ]
    text = bench.render(runs, ["# title"])
    assert "| pooled | 0 | 83.0% | 79.0% |" in text
    assert "| pooled | 1 | 81.0% | 77.0% |" in text
    assert "Seeds in 78-82% per source: aijobs 1/2, kaggle 1/2." in text
    assert "| pooled | 2 | 80.0% | 81.0% | 2/2 |" in text  # the pooled coverage across seeds


def test_a_run_stopped_early_says_so_in_its_header() -> None:
    started = 0.0
    unfinished = bench._header("`configs/pooled.yaml`", "0-9", started, (1.0, 1.0, 1.0), False)
    finished = bench._header("`configs/pooled.yaml`", "0-9", started, (1.0, 1.0, 1.0), True)
    assert "in progress" in unfinished[-1] and "in progress" not in finished[-1]
