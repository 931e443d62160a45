"""Smoke tests of benchmarks/bench_out_of_time.py on a small seeded sample of the aijobs file.

Only the structure is checked (one row per model, finite MAE for every peer, the README block,
the raw columns aligned with the canonical rows, the newest-postings split), never the numbers:
the sample is tiny and the machine is shared.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Idle OpenMP threads sleep rather than spin (see test_bench_leaderboard.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # a script folder, not a package

import bench_out_of_time as bench  # noqa: E402
import oot_raw  # noqa: E402

from mlpay_model.schema import conform  # noqa: E402
from training.config import load_config  # noqa: E402
from training.data import load_training_data  # noqa: E402
from training.split import split_rows  # noqa: E402

SAMPLE_ROWS = 1000  # a seeded sample of the file, in file order (newest postings first)


@pytest.fixture(scope="module")
def tiny_data_dir(data_file, tmp_path_factory) -> Path:
    """A data folder whose aijobs/salaries.csv is a seeded sample of the real file, its rows
    in the file's order (newest first)."""
    raw = pd.read_csv(data_file("aijobs/salaries.csv"), dtype=str, keep_default_na=False)
    sample = raw.sample(SAMPLE_ROWS, random_state=1).sort_index()
    folder = tmp_path_factory.mktemp("oot-data")
    (folder / "aijobs").mkdir()
    sample.to_csv(folder / "aijobs" / "salaries.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def kept(tiny_data_dir) -> pd.DataFrame:
    """The sample's canonical rows (the config's quality rules drop a few)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLPAY_DATA_DIR", str(tiny_data_dir))
        return load_training_data(load_config(bench.REPO_ROOT / "configs" / "aijobs.yaml")).profiles


def newest_row_numbers(kept: pd.DataFrame) -> list[int]:
    """The row numbers of the newest 25% of the kept rows: the first in the file."""
    numbers = sorted(kept["row_number"].astype(int))
    return numbers[: int(0.25 * len(numbers))]


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_report_has_rows_breakdowns_and_the_readme_block(report, kept):
    newest = newest_row_numbers(kept)
    test_rows = len(newest)
    assert f"Rows: train: {len(kept) - test_rows:,} (pay years " in report
    assert f"test (newest 25%): {test_rows:,} (pay years " in report
    assert f"file rows {newest[0]:,}-{newest[-1]:,})" in report
    assert "mlpay (own config) on the test rows by role family" in report
    assert "mlpay (own config) on the test rows by top countries" in report
    assert "add no year-ahead adjustment to them" in report  # test years are training years
    assert "quick" not in report.lower()
    summary = report.split("## Summary (the README's table)", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in summary.splitlines() if line.startswith("| aijobs")]
    assert len(lines) == 1
    assert lines[0].startswith(f"| aijobs: older 75% → newest 25% ({test_rows:,}) |")
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


def synthetic_profiles(seed: int) -> pd.DataFrame:
    """Two sources, rows in a shuffled frame order, each source's row_number 1..n shuffled;
    many repeated rows (as aijobs' repeated submissions)."""
    rng = np.random.default_rng(seed)
    parts = []
    for source, rows in (("aijobs", 120), ("stackoverflow", 81)):
        distinct = pd.DataFrame(
            {
                "role": rng.choice(["ml_engineer", "data_scientist"], rows // 3),
                "country": rng.choice(["US", "DE"], rows // 3),
                "year": rng.choice([2023, 2024], rows // 3),
                "salary_usd": rng.integers(50, 60, rows // 3) * 1000.0,
            }
        )
        frame = pd.concat([distinct] * 3, ignore_index=True).assign(source=source)
        frame["row_number"] = rng.permutation(len(frame)) + 1
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=seed)
    return conform(frame.reset_index(drop=True))


@pytest.mark.parametrize("seed", [0, 1])
def test_newest_split_takes_the_smallest_row_numbers_of_each_source(seed):
    frame = synthetic_profiles(seed)
    case = bench.CASE_BY_SOURCE["aijobs"]
    config = case.split_config(load_config(bench.REPO_ROOT / case.config))
    assert config.split.method == "newest" and config.split.test_fraction == case.newest
    split = split_rows(frame, config.split, features=config.features, seed=seed)
    parts = [split.train, split.calibration, split.test]
    every = np.concatenate(parts)
    assert len(every) == len(set(every)) == len(frame)  # each row in exactly one part
    numbers = frame["row_number"].to_numpy(dtype="int64")
    test = np.zeros(len(frame), dtype=bool)
    test[split.test] = True
    for source, at in frame.groupby("source").indices.items():
        expected = np.sort(numbers[at])[: int(case.newest * len(at))]
        assert sorted(numbers[at][test[at]]) == list(expected), source
        assert numbers[at][test[at]].max() < numbers[at][~test[at]].min(), source


@pytest.mark.slow
def test_train_uses_the_newest_split_on_the_benchmark_rows(
    tiny_data_dir, kept, monkeypatch, tmp_path
):
    """`train()` with the case's config scores exactly the rows first in the file."""
    from training.train import train

    monkeypatch.setenv("MLPAY_DATA_DIR", str(tiny_data_dir))
    case = bench.CASE_BY_SOURCE["aijobs"]
    config = case.split_config(load_config(bench.REPO_ROOT / case.config))
    result = train(config, staging_dir=tmp_path)
    tested = result.test_predictions["row_number"].astype(int)
    assert sorted(tested) == newest_row_numbers(kept)
    assert result.split_sizes["test"] == len(newest_row_numbers(kept))


@pytest.mark.slow
def test_quick_run_says_quick_and_leaves_out_the_slow_models(tiny_data_dir, kept, tmp_path):
    output = tmp_path / "quick.md"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLPAY_DATA_DIR", str(tiny_data_dir))
        assert bench.main(["--sources", "aijobs", "--quick", "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# mlpay out-of-time benchmark (QUICK run")
    assert "| source: train → test (test rows) [quick] |" in text
    assert "`python benchmarks/bench_out_of_time.py --sources aijobs --quick`" in text
    names = {cells[1] for cells in section_rows(text, "aijobs")}
    assert names == set(bench.MODELS) - set(bench.QUICK_SKIPS)
    older = len(kept) - len(newest_row_numbers(kept))
    assert f"({bench.QUICK_SHARE:.0%} of {older:,}, --quick)" in text


@pytest.mark.parametrize("out_of_time", [True, False])
@pytest.mark.slow
def test_pooled_runs_fit_the_rows_of_the_sources_own_split(tiny_data_dir, kept, out_of_time):
    """With the source's own config as the 'pooled' config, pooled_runs fits the same rows as
    the source's own row: the same test rows, and in time the same scores as its own config."""
    case = bench.CASE_BY_SOURCE["aijobs"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLPAY_DATA_DIR", str(tiny_data_dir))
        runs, own = bench.pooled_runs(
            [case], out_of_time=out_of_time, config_path=bench.REPO_ROOT / case.config
        )
    pooled = runs["aijobs"].metrics
    if out_of_time:
        assert pooled["rows"] == len(newest_row_numbers(kept)) and own == {}
    else:
        rows, metrics = own["aijobs"]
        assert rows == pooled["rows"]
        assert metrics["mae_usd"] == pytest.approx(pooled["mae_usd"])
        assert metrics["coverage"] == pytest.approx(pooled["coverage"])


def test_seed_replaces_only_the_configs_seed(tiny_data_dir, monkeypatch):
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tiny_data_dir))
    path = bench.REPO_ROOT / bench.POOLED_CONFIG
    committed = bench.seeded_config(path, None)
    reseeded = bench.seeded_config(path, committed.seed + 7)
    assert reseeded.seed == committed.seed + 7
    assert reseeded.model_copy(update={"seed": committed.seed}) == committed


def scored(name: str, predicted_usd: list[float], pay_usd: list[float]) -> bench.ModelRun:
    """A ModelRun of these predictions of exact pay."""
    test = pd.DataFrame({"salary_usd": pay_usd, "salary_usd_low": None, "salary_usd_high": None})
    return bench.scored_run(name, 0.0, test, np.log(np.asarray(predicted_usd)))


def test_paired_gap_is_the_mean_row_difference_with_its_own_standard_error():
    pay = [100.0, 200.0, 300.0, 400.0]
    ours = scored("ours", [110.0, 190.0, 330.0, 400.0], pay)  # errors 10, 10, 30, 0
    peer = scored("peer", [130.0, 200.0, 260.0, 420.0], pay)  # errors 30, 0, 40, 20
    gap = bench.PairedGap.of(ours, peer)
    differences = np.array([-20.0, 10.0, -10.0, -20.0])
    assert gap.gap_usd == pytest.approx(differences.mean())
    assert gap.se_usd == pytest.approx(differences.std(ddof=1) / 2)
    assert gap.verdict == "tie"  # -10 within two SEs (about 7 each)
    far = scored("far", [200.0, 300.0, 400.0, 500.0], pay)  # errors 100 on every row
    assert bench.PairedGap.of(ours, far).verdict == "ahead"
    assert bench.PairedGap.of(far, ours).verdict == "behind"


def test_paired_gap_refuses_runs_of_other_rows():
    ours = scored("ours", [110.0, 190.0], [100.0, 200.0])
    other = scored("other", [110.0, 190.0], [200.0, 100.0])
    with pytest.raises(bench.MlpayError, match="scored different rows"):
        bench.PairedGap.of(ours, other)


def test_coverage_text_gives_the_binomial_standard_error():
    assert bench.coverage_text(0.809, 580) == "80.9% ± 1.6"  # sqrt(.809 * .191 / 580) = .0163
    assert bench.coverage_text(0.792, 11837) == "79.2% ± 0.4"


def test_paired_table_compares_the_default_with_each_peer_it_ran():
    pay = [100.0, 200.0, 300.0, 400.0]
    test = pd.DataFrame({"salary_usd": pay, "salary_usd_low": None, "salary_usd_high": None})
    log_pay = np.log(np.asarray(pay))
    ours = bench.scored_run(bench.POOLED, 0.0, test, log_pay + 0.1, log_pay - 1, log_pay + 1)
    peer = scored("lightgbm", [200.0, 300.0, 400.0, 500.0], pay)
    result = bench.SourceResult(
        case=bench.CASE_BY_SOURCE["aijobs"],
        rows={"test": len(pay)},
        train_years=(2024,),
        has_bands=False,
        runs=[ours, peer],
        diagnostics=[],
        breakdowns={},
        raw_feature_count=0,
        pipeline_seconds=0.0,
    )
    lines = bench.paired_table([result])
    row = next(line for line in lines if line.startswith("| aijobs |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    peers = [model for model in bench.README_MODELS if model != bench.POOLED]
    gap = bench.PairedGap.of(ours, peer)
    expected = f"-${-gap.gap_usd:,.0f} ± ${gap.se_usd:,.0f} (ahead)"
    assert cells[1 + peers.index("lightgbm")] == expected
    assert cells[1 + peers.index("catboost")] == bench.NONE  # not run
    assert "aijobs 100.0% ± 0.0" in lines[-2]
    assert bench.paired_table([bench.SourceResult(**{**vars(result), "runs": [peer]})]) == []
