"""The dask engine gives what the local engine gives, on a 2-worker local cluster."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from artifact_factory import build_artifact

from mlpay_model.cli import main
from mlpay_model.errors import ConfigError, DataError
from mlpay_model.scoring import _dask as dask_engine
from mlpay_model.scoring import score_file

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # a Dask cluster (integration)

HEADER = ["id", "role", "country", "years_experience", "education", "skills"]
POOL = [
    ["ML Engineer", "Germany", "4", "MSc", "python;pytorch"],
    ["Senior Data Scientist", "US", "", "PhD", "sql"],
    ["Data Engineer", "Atlantis", "1", "", ""],
    ["", "FR", "2", "bachelor", "aws"],
    ["Data Analyst", "IN", "many", "", ""],
    ["Backend Developer", "BR", "9", "high school", "docker,excel"],
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    # Threads rather than processes: starts in about a second and is reliable here; the
    # partition function is the same code either way.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut CSVs into many partitions, so that row numbers must be carried across them."""
    monkeypatch.setattr(dask_engine, "CSV_BLOCK_SIZE", 400)


def write_rows(path: Path, count: int, start: int = 0) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(start, start + count):
            writer.writerow([f"r{i}", *POOL[i % len(POOL)]])
    return path


def test_dask_matches_local(tmp_path: Path, model_dir: Path, scheduler: str, small_blocks):
    source = write_rows(tmp_path / "in.csv", 120)
    assert len(dask_engine._partitions(source, "csv")) > 5  # row numbers cross partitions
    local = score_file(source, tmp_path / "local.parquet", model=str(model_dir))
    spread = score_file(
        source,
        tmp_path / "dask.parquet",
        model=str(model_dir),
        engine="dask",
        scheduler=scheduler,
        chunk_size=7,
    )
    assert (spread.rows_read, spread.rows_scored, spread.rows_rejected) == (
        local.rows_read,
        local.rows_scored,
        local.rows_rejected,
    )
    assert spread.rows_read == 120 == spread.rows_scored + spread.rows_rejected
    assert spread.rejected_by_field == local.rejected_by_field
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "dask.parquet"), pd.read_parquet(tmp_path / "local.parquet")
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "dask.rejects.csv"), pd.read_csv(tmp_path / "local.rejects.csv")
    )


def test_tricky_csv_reads_the_same_in_both_engines(tmp_path: Path, model_dir: Path, scheduler: str):
    source = tmp_path / "in.csv"
    source.write_text(
        "\ufeffrole,country,skills,note\n"
        'ML Engineer,NA,"python,sql","two\nlines"\n'  # NA is Namibia, not missing
        '"Data Scientist, Senior",DE,"",""\n'
        "\n"
        "Analyst,US,sql,NaN\n",
        encoding="utf-8",
    )
    for engine, scheduler_address in (("local", None), ("dask", scheduler)):
        score_file(
            source,
            tmp_path / f"{engine}.parquet",
            model=str(model_dir),
            engine=engine,
            scheduler=scheduler_address,
        )
    local = pq.read_table(tmp_path / "local.parquet")
    assert local.column("note").to_pylist() == ["two\nlines", None, "NaN"]
    assert local.column("country").to_pylist() == ["NA", "DE", "US"]
    assert local.column_names[0] == "role"  # the byte-order mark is not part of the name
    assert pq.read_table(tmp_path / "dask.parquet").equals(local)


def test_folder_in_folder_out(tmp_path: Path, model_dir: Path, scheduler: str, small_blocks):
    parts = tmp_path / "parts"
    parts.mkdir()
    write_rows(parts / "a.csv", 30)
    write_rows(parts / "b.csv", 25, start=30)
    output = tmp_path / "scored"
    summary = score_file(parts, output, model=str(model_dir), engine="dask", scheduler=scheduler)
    files = sorted(p.name for p in output.iterdir())
    assert files[0] == "part-00000.parquet" and all(name.startswith("part-") for name in files)
    scored = pq.read_table(output).to_pandas()
    rejects = pd.read_csv(tmp_path / "scored.rejects.csv")
    assert summary.rows_read == 55 == len(scored) + len(rejects)
    # Rejected rows are numbered within their own file.
    for file, number, identifier in rejects[["file", "row_number", "id"]].itertuples(index=False):
        offset = 0 if file == "a.csv" else 30
        assert identifier == f"r{offset + number - 1}"
    # A second run replaces the folder of an earlier run.
    score_file(parts, output, model=str(model_dir), engine="dask", scheduler=scheduler)
    assert pq.read_table(output).num_rows == len(scored)


def test_parquet_input_and_csv_output(tmp_path: Path, model_dir: Path, scheduler: str):
    frame = pd.read_csv(write_rows(tmp_path / "in.csv", 40), dtype=str)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=10)
    score_file(tmp_path / "in.parquet", tmp_path / "local.csv", model=str(model_dir))
    score_file(
        tmp_path / "in.parquet",
        tmp_path / "dask.csv",
        model=str(model_dir),
        engine="dask",
        scheduler=scheduler,
    )
    assert (tmp_path / "dask.csv").read_text() == (tmp_path / "local.csv").read_text()


def test_a_failing_partition_leaves_nothing_behind(
    tmp_path: Path, model_dir: Path, scheduler: str, small_blocks, monkeypatch
):
    source = write_rows(tmp_path / "in.csv", 60)

    def failing(*args, **kwargs):
        raise RuntimeError("worker lost its disk")

    monkeypatch.setattr(dask_engine, "score_chunk", failing)
    with pytest.raises(RuntimeError, match="lost its disk"):
        score_file(
            source,
            tmp_path / "out.parquet",
            model=str(model_dir),
            engine="dask",
            scheduler=scheduler,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_refuses_to_replace_a_folder_that_is_not_an_output(
    tmp_path: Path, model_dir: Path, scheduler: str
):
    source = write_rows(tmp_path / "in.csv", 5)
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    with pytest.raises(DataError, match="refusing to replace"):
        score_file(source, precious, model=str(model_dir), engine="dask", scheduler=scheduler)
    assert (precious / "thesis.txt").read_text() == "keep me"


def test_unreachable_scheduler_is_a_user_error(tmp_path: Path, model_dir: Path, monkeypatch):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    source = write_rows(tmp_path / "in.csv", 5)
    with pytest.raises(ConfigError, match="cannot connect"):
        score_file(
            source,
            tmp_path / "out.parquet",
            model=str(model_dir),
            engine="dask",
            scheduler="tcp://127.0.0.1:9",
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_cli_with_the_dask_engine(
    tmp_path: Path, model_dir: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
):
    source = write_rows(tmp_path / "in.csv", 12)
    argv = ["score", str(source), "-o", str(tmp_path / "out"), "--model", str(model_dir)]
    code = main([*argv, "--engine", "dask", "--scheduler", scheduler])
    assert code == 1  # the pool has rows that are rejected
    assert "rows read 12" in capsys.readouterr().out
    assert (tmp_path / "out.rejects.csv").is_file()


def test_dask_prices_each_row_in_its_population_as_local_does(tmp_path: Path, scheduler: str):
    if not (Path(__file__).parents[3] / "models" / "pooled" / "manifest.json").is_file():
        pytest.skip("the shipped models/pooled is missing")
    header = ["role", "country", "years_experience", "skills", "source"]
    rows = [
        ["ML Engineer", "US", "4", "python;frobnicate", "kaggle"],
        ["Wizard", "DE", "2", "sql", "stackoverflow"],
        ["Data Scientist", "IN", "1", "", ""],
        ["Data Analyst", "FR", "3", "excel", "Kagle"],
    ]
    source = tmp_path / "in.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows * 5)
    local = score_file(source, tmp_path / "local.parquet", model="default")
    spread = score_file(
        source, tmp_path / "dask.parquet", model="default", engine="dask", scheduler=scheduler
    )
    out = pd.read_parquet(tmp_path / "dask.parquet")
    pd.testing.assert_frame_equal(out, pd.read_parquet(tmp_path / "local.parquet"))
    assert out["population"].tolist()[:3] == ["kaggle", "stackoverflow", "aijobs"]
    assert out["pay_year"].tolist()[:3] == [2021, 2025, 2024]
    assert spread.rows_by_population == local.rows_by_population
    assert spread.rows_by_population == {"kaggle": 5, "stackoverflow": 5, "aijobs": 5}
    assert spread.rejected_by_field == local.rejected_by_field == {"source": 5}
    assert spread.roles_read_as_other == local.roles_read_as_other == 5
    assert spread.unknown_skills == local.unknown_skills
    assert spread.unknown_skill_rows == local.unknown_skill_rows
