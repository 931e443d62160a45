"""Smoke tests of benchmarks/bench_leaderboard.py on a tiny slice of the aijobs file.

No timing assertions: the machine is shared. What is checked is that every model runs, the
table has one row per model sorted by MAE, and the peers see exactly mlpay's rows.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

# Idle OpenMP threads sleep rather than spin, as in the benchmark's worker processes: on the
# shared 2-core machine spinning made these tiny fits 10-50x slower. It only takes effect if
# no OpenMP library (LightGBM, scikit-learn, XGBoost) was loaded before this module.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
REPO_ROOT = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))  # a script folder, not a package; spawned workers need it

import bench_leaderboard as bench  # noqa: E402

from mlpay_model.model.features import FeatureSpec  # noqa: E402
from training.config import SourceConfig, TrainConfig, load_config  # noqa: E402
from training.train import train  # noqa: E402

TINY_ROWS = 1500


@pytest.fixture(scope="module")
def tiny_config(data_file, tmp_path_factory) -> TrainConfig:
    """configs/aijobs.yaml on the file's first TINY_ROWS rows, with fewer boosting rounds."""
    lines = data_file("aijobs/salaries.csv").read_text(encoding="utf-8").splitlines()
    tiny = tmp_path_factory.mktemp("tiny") / "salaries.csv"
    tiny.write_text("\n".join(lines[: TINY_ROWS + 1]) + "\n", encoding="utf-8")
    config = load_config(REPO_ROOT / "configs" / "aijobs.yaml")
    return config.model_copy(
        update={
            "sources": [SourceConfig(adapter="aijobs", path=str(tiny))],
            "lightgbm": config.lightgbm.model_copy(update={"num_boost_round": 30}),
        }
    )


@pytest.fixture(scope="module")
def tiny_data(tiny_config) -> bench.PreparedData:
    return bench.prepare_data(tiny_config)


@pytest.fixture(scope="module")
def tiny_result(tiny_config, tiny_data) -> bench.DatasetResult:
    return bench.benchmark_config(tiny_config, "tiny.yaml", isolate=False, data=tiny_data)


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of each model row of the leaderboard tables."""
    rows = []
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0].isdigit():
            rows.append(cells)
    return rows


@pytest.mark.slow
def test_table_has_every_model_once_sorted_by_mae(tiny_result):
    markdown = bench.render_markdown([tiny_result], {"CPUs": "2"})
    rows = table_rows(markdown)
    names = [cells[1].strip("*") for cells in rows]
    assert sorted(names) == sorted(bench.MODELS)
    assert [int(cells[0]) for cells in rows] == list(range(1, len(bench.MODELS) + 1))
    maes = [float(cells[2].lstrip("$").replace(",", "")) for cells in rows]
    assert maes == sorted(maes)
    by_name = dict(zip(names, rows, strict=True))
    assert by_name["mlpay"][5].endswith("%") and by_name["mlpay"][6].startswith("$")
    for peer in bench.PEERS:
        assert by_name[peer][5] == by_name[peer][6] == bench.NONE
    assert "## aijobs" in markdown
    assert "whole `train(config)`" in markdown


@pytest.mark.slow
def test_every_run_has_finite_metrics_and_measurements(tiny_result):
    assert not tiny_result.has_bands  # aijobs pay is exact
    for run in tiny_result.runs:
        expected = {"mae_usd", "mdape", "r2_log"}
        if run.model == bench.MLPAY:
            expected |= {"coverage", "width_usd"}
        assert set(run.metrics) == expected, run.model
        assert all(math.isfinite(value) for value in run.metrics.values()), run.model
        assert run.fit_seconds > 0, run.model
    mlpay = next(run for run in tiny_result.runs if run.model == bench.MLPAY)
    assert mlpay.pipeline_seconds is not None and mlpay.pipeline_seconds > mlpay.fit_seconds
    assert mlpay.split_sizes == tiny_result.split_sizes


@pytest.mark.slow
def test_baselines_score_as_in_the_training_pipeline(tiny_config, tiny_result):
    """Same rows, encoding and target as train(): its own baseline scores come out equal."""
    result = train(tiny_config)
    scores = {run.model: run.metrics for run in tiny_result.runs}
    for name in ("group_median", "ridge"):
        for metric in ("mae_usd", "mdape", "r2_log"):
            assert scores[name][metric] == pytest.approx(result.baselines[name][metric])
    assert scores["mlpay"]["mae_usd"] == pytest.approx(result.metrics["test_mae_usd"])


@pytest.mark.slow
def test_isolated_run_matches_in_process_and_measures_memory(tiny_config, tiny_data, tiny_result):
    isolated = bench.run_isolated("xgboost", tiny_config, tiny_data)
    in_process = next(run for run in tiny_result.runs if run.model == "xgboost")
    assert isolated.metrics == pytest.approx(in_process.metrics)
    if sys.platform.startswith("linux"):
        assert isolated.peak_memory_mb is not None and isolated.peak_memory_mb >= 0


SPEC = FeatureSpec(
    features=("role", "year"),
    categories={"role": ("data_scientist", "ml_engineer", "__other__")},
)
MATRIX = np.array([[0.0, 2023.0], [np.nan, 2024.0], [2.0, np.nan]])


def test_catboost_frame_turns_codes_back_into_categories():
    frame = bench.catboost_frame(MATRIX, SPEC)
    assert frame["role"].tolist() == ["data_scientist", bench.MISSING_CATEGORY, "__other__"]
    assert frame["year"].iloc[0] == 2023.0 and math.isnan(frame["year"].iloc[2])


def test_xgboost_frame_keeps_codes_as_categories_and_missing_as_missing():
    frame = bench.xgboost_frame(MATRIX, SPEC)
    assert list(frame["role"].cat.categories) == [0, 1, 2]
    assert frame["role"].iloc[0] == 0 and frame["role"].iloc[2] == 2
    assert frame["role"].isna().tolist() == [False, True, False]


def test_main_without_data_dir_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("MLPAY_DATA_DIR", raising=False)
    output = tmp_path / "leaderboard.md"
    assert bench.main(["--output", str(output)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: MLPAY_DATA_DIR is not set")
    assert "\n" not in error
    assert not output.exists()


def test_main_names_a_missing_config(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tmp_path))
    missing = tmp_path / "nope.yaml"
    assert bench.main(["--configs", str(missing), "--output", str(tmp_path / "out.md")]) == 2
    error = capsys.readouterr().err.strip()
    assert str(missing) in error and "\n" not in error
