"""Smoke tests of benchmarks/bench_out_of_time.py on a small seeded sample of the aijobs file.

Only the structure is checked (one row per model, finite MAE for every peer, the README block,
the raw columns aligned with the canonical rows), never the numbers: the sample is tiny and
the machine is shared.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

# Idle OpenMP threads sleep rather than spin (see tests/test_bench_leaderboard.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # a script folder, not a package

import bench_out_of_time as bench  # noqa: E402
import oot_raw  # noqa: E402

from training.config import load_config  # noqa: E402
from training.data import load_training_data  # noqa: E402

EARLIER_ROWS = 500  # work_year <= 2023
TEST_ROWS = 300  # work_year 2024


@pytest.fixture(scope="module")
def tiny_data_dir(data_file, tmp_path_factory) -> Path:
    """A data folder whose aijobs/salaries.csv is a seeded sample of the real file's years."""
    raw = pd.read_csv(data_file("aijobs/salaries.csv"), dtype=str, keep_default_na=False)
    years = raw["work_year"].astype(int)
    sample = pd.concat(
        [
            raw[years <= 2023].sample(EARLIER_ROWS, random_state=1),
            raw[years == 2024].sample(TEST_ROWS, random_state=1),
        ]
    ).sort_index()
    folder = tmp_path_factory.mktemp("oot-data")
    (folder / "aijobs").mkdir()
    sample.to_csv(folder / "aijobs" / "salaries.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def report(tiny_data_dir, tmp_path_factory) -> str:
    output = tmp_path_factory.mktemp("oot-out") / "out_of_time.md"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLPAY_DATA_DIR", str(tiny_data_dir))
        assert bench.main(["--sources", "aijobs", "--output", str(output)]) == 0
    return output.read_text(encoding="utf-8")


def section_rows(markdown: str, heading: str) -> list[list[str]]:
    """The cells of the model rows of the tables under `## heading` (up to the next `## `)."""
    lines = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0].splitlines()
    width = len(bench.TABLE_HEADER[1].split("|")) - 2
    rows = []
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        table_row = line.startswith("|") and len(cells) == width
        if table_row and cells[1] != "model" and not cells[1].startswith("---"):
            rows.append(cells)
    return rows


def usd(cell: str) -> float:
    return float(cell.strip("*").lstrip("$").replace(",", ""))


def test_every_model_once_ranked_by_finite_mae(report):
    rows = section_rows(report, "aijobs")
    ranked = [cells for cells in rows if cells[0].isdigit()]
    diagnostics = [cells for cells in rows if not cells[0]]
    names = [cells[1].strip("*") for cells in ranked]
    assert sorted(names) == sorted(bench.MODELS)
    assert [int(cells[0]) for cells in ranked] == list(range(1, len(bench.MODELS) + 1))
    maes = [usd(cells[2]) for cells in ranked]
    assert all(math.isfinite(mae) and mae > 0 for mae in maes)
    assert maes == sorted(maes)
    assert sorted(cells[1] for cells in diagnostics) == sorted(bench.DIAGNOSTICS)
    assert all(math.isfinite(usd(cells[2])) for cells in diagnostics)
    by_name = dict(zip(names, ranked, strict=True))
    for with_interval in ("mlpay", "lightgbm_q10_q90"):
        coverage, width, collapsed = by_name[with_interval][7:10]
        assert coverage.endswith("%") and width.startswith("$") and collapsed.endswith("%")
    for point_only in ("lightgbm", "catboost", "hist_gradient_boosting", "ridge", "group_median"):
        assert by_name[point_only][7:10] == [bench.NONE] * 3


def test_report_has_rows_breakdowns_and_the_readme_block(report):
    assert "Rows: training years 2020-2023: " in report
    assert f"test 2024: {TEST_ROWS:,}" in report
    assert "mlpay (own config) on the test year by role family" in report
    assert "mlpay (own config) on the test year by top countries" in report
    # Its interval adds the year-ahead adjustment its calibration measured (2023 from 2020-22).
    ahead = report.split("calibration measured (`calibration.year_ahead`, log scale): mlpay +")
    assert len(ahead) == 2 and float(ahead[1].split(".\n", 1)[0].split()[0]) >= 0
    summary = report.split("## Summary (the README's table)", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in summary.splitlines() if line.startswith("| aijobs")]
    assert len(lines) == 1
    cells = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert len(cells) == len(bench.README_MODELS) + 2
    pooled = cells[1 + bench.README_MODELS.index(bench.POOLED)]
    assert pooled == bench.NONE  # the pooled model runs only when every source does
    assert all(math.isfinite(usd(cell)) for cell in cells[1:-1] if cell != pooled)
    assert sum(cell.startswith("**") for cell in cells[1:-1]) >= 1  # the best is bold


def test_raw_columns_line_up_with_the_canonical_rows(tiny_data_dir, monkeypatch):
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tiny_data_dir))
    config = load_config(bench.REPO_ROOT / "configs" / "aijobs.yaml")
    data = load_training_data(config)
    files = [
        (spec.resolved_path(), report.rows_kept)
        for spec, report in zip(config.data_recipe().sources, data.reports, strict=True)
    ]
    raw = oot_raw.raw_columns("aijobs", files, data.profiles)
    assert raw.frame.index.equals(data.profiles.index)
    assert (raw.frame["employee_residence"] == data.profiles["country_raw"]).all()
    assert (raw.frame["job_title"] == data.profiles["role_raw"]).all()
    assert (raw.frame["work_year"] == data.profiles["year"].astype(float)).all()


def test_years_answers_become_numbers():
    values = pd.Series(
        [
            "7",
            "2 to 3 years",
            "3-5 years",
            "< 1 years",
            "Less than 1 year",
            "More than 50 years",
            "I have never written code",
            "NA",
            None,
        ]
    )
    parsed = oot_raw._years(values).tolist()
    assert parsed[:7] == [7.0, 2.0, 3.0, 0.0, 0.0, 50.0, 0.0]
    assert math.isnan(parsed[7]) and math.isnan(parsed[8])


def test_main_refuses_an_unknown_source_and_a_missing_data_dir(monkeypatch, capsys, tmp_path):
    output = tmp_path / "out.md"
    assert bench.main(["--sources", "payscale", "--output", str(output)]) == 2
    assert "unknown source payscale" in capsys.readouterr().err
    monkeypatch.delenv("MLPAY_DATA_DIR", raising=False)
    assert bench.main(["--sources", "aijobs", "--output", str(output)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: MLPAY_DATA_DIR is not set") and "\n" not in error
    assert not output.exists()
