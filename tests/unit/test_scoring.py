"""Batch scoring with the local engine (`mlpay_model.scoring.score_file`)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from artifact_factory import build_artifact
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpay_model import predict_salary
from mlpay_model.errors import ConfigError, DataError, ModelNotFoundError
from mlpay_model.model import load_model
from mlpay_model.model.factors import factor_names
from mlpay_model.normalise import normalise_frame
from mlpay_model.scoring import _local as local_engine
from mlpay_model.scoring import default_rejects_path, score_file

PREDICTIONS = ["pred_median", "pred_low", "pred_high", "population", "pay_concept", "pay_year"]
"""What scoring adds after the input columns: the prices, then whose pay they are."""
HEADER = ["id", "role", "country", "years_experience", "education", "skills", "note"]
GOOD_ROWS = [
    ["a1", "Senior ML Engineer", "Germany", "5", "MSc", "Python;PyTorch", "x"],
    ["a2", "Data Scientist", "US", "3", "PhD", "sql, aws", ""],
    ["a3", "data_analyst", "IN", "", "", "", "NA"],
    ["a4", "Backend Developer", "France", "12.5", "Bachelor's degree", "docker", "y"],
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full")


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def expected_predictions(model_dir: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """What the runtime predicts for these raw rows (normalised the documented way)."""
    normalised = normalise_frame(frame)
    return load_model(model_dir).predict(normalised.profiles)


def test_output_keeps_input_columns_and_adds_predictions(tmp_path: Path, model_dir: Path):
    source = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    summary = score_file(source, tmp_path / "out.parquet", model=str(model_dir), chunk_size=3)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert list(out.columns) == HEADER + PREDICTIONS
    assert out["id"].tolist() == ["a1", "a2", "a3", "a4"]
    # Text is carried through exactly as written: "NA" is not missing, "12.5" stays text.
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column("note").to_pylist() == ["x", None, "NA", "y"]
    assert table.column("years_experience").to_pylist() == ["5", "3", None, "12.5"]
    raw = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    expected = expected_predictions(model_dir, raw)
    np.testing.assert_allclose(out["pred_median"], expected["median"], rtol=1e-12)
    np.testing.assert_allclose(out["pred_low"], expected["low"], rtol=1e-12)
    np.testing.assert_allclose(out["pred_high"], expected["high"], rtol=1e-12)
    assert (out["pred_low"] <= out["pred_median"]).all()
    assert (out["pred_median"] <= out["pred_high"]).all()
    assert (summary.rows_read, summary.rows_scored, summary.rows_rejected) == (4, 4, 0)


def test_rejects_name_row_field_and_value(tmp_path: Path, model_dir: Path):
    rows = [
        *GOOD_ROWS,
        ["b1", "ML Engineer", "Atlantis", "2", "", "", ""],  # data row 5
        ["b2", "", "US", "2", "", "", ""],  # data row 6: empty cell = missing role
        ["b3", "Data Scientist", "US", "-4", "", "", ""],  # data row 7
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    summary = score_file(source, tmp_path / "out.csv", model=str(model_dir), chunk_size=2)
    rejects = pd.read_csv(default_rejects_path(tmp_path / "out.csv"), dtype=str)
    assert rejects["row_number"].tolist() == ["5", "6", "7"]
    assert rejects["reason"][0] == "country='Atlantis': unknown country"
    assert rejects["reason"][1] == "role: is required but missing"
    assert rejects["reason"][2].startswith("years_experience='-4': ")
    assert rejects["id"].tolist() == ["b1", "b2", "b3"]  # the input columns follow
    assert pd.read_csv(tmp_path / "out.csv")["id"].tolist() == ["a1", "a2", "a3", "a4"]
    assert summary.rejected_by_field == {"country": 1, "role": 1, "years_experience": 1}
    assert "rejected 3" in summary.render()


ROW_POOL = [
    ["ML Engineer", "DE", "4", "master", "python"],
    ["Senior Data Scientist", "United Kingdom", "", "PhD", "sql;pytorch"],
    ["Data Engineer", "Atlantis", "1", "", ""],
    ["", "US", "2", "bachelor", "aws"],
    ["Manager", "FR", "ten", "", ""],
    ["QA Engineer", "", "7", "kindergarten", "cobol"],
    ["software_engineer", "BR", "0", "high school", "docker,excel"],
]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(0, len(ROW_POOL) - 1), min_size=0, max_size=40),
    chunk_size=st.integers(1, 7),
)
def test_every_row_is_scored_or_rejected(
    tmp_path: Path, model_dir: Path, picks: list[int], chunk_size: int
):
    rows = [[f"r{i}", *ROW_POOL[pick], ""] for i, pick in enumerate(picks)]
    source = write_csv(tmp_path / "in.csv", rows)
    summary = score_file(
        source, tmp_path / "out.parquet", model=str(model_dir), chunk_size=chunk_size
    )
    scored = pd.read_parquet(tmp_path / "out.parquet")
    rejects = pd.read_csv(tmp_path / "out.rejects.csv", dtype={"id": str})
    assert summary.rows_read == len(rows) == summary.rows_scored + summary.rows_rejected
    assert (len(scored), len(rejects)) == (summary.rows_scored, summary.rows_rejected)
    assert sorted([*scored["id"], *rejects["id"]]) == sorted(row[0] for row in rows)
    for number, identifier in zip(rejects["row_number"], rejects["id"], strict=True):
        assert rows[number - 1][0] == identifier  # 1-based data row


def test_parquet_lists_in_and_csv_out(tmp_path: Path, model_dir: Path):
    table = pa.table(
        {
            "role": ["ML Engineer", "Data Analyst", "Data Scientist"],
            "country": ["DE", "US", "Atlantis"],
            "years_experience": [3.0, None, 2.0],
            "skills": pa.array([["Python", "SQL"], [], None], pa.list_(pa.string())),
            "employee": pa.array([7, 8, 9], pa.int32()),
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    score_file(tmp_path / "in.parquet", tmp_path / "out.parquet", model=str(model_dir))
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.schema.field("skills").type == pa.list_(pa.string())  # types kept
    assert out.schema.field("employee").type == pa.int32()
    assert out.column("skills").to_pylist() == [["Python", "SQL"], []]
    score_file(tmp_path / "in.parquet", tmp_path / "out.csv", model=str(model_dir))
    text = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert text["skills"].tolist() == ["Python;SQL", ""]
    rejects = pd.read_csv(tmp_path / "out.rejects.csv")
    assert rejects["row_number"].tolist() == [3]


def test_contributions_are_the_persons_factors_and_multiply_out_to_the_median(
    tmp_path: Path, model_dir: Path
):
    source = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    score_file(source, tmp_path / "out.parquet", model=str(model_dir), contributions=True)
    out = pd.read_parquet(tmp_path / "out.parquet")
    model = load_model(model_dir)
    factors = [f"contrib_{name}" for name in factor_names(model)]
    assert list(out.columns) == HEADER + PREDICTIONS + ["contrib_baseline", *factors]
    assert not {"contrib_source", "contrib_title", "contrib_year"} & set(out.columns)
    moved = np.prod(1 + np.nan_to_num(out[factors].to_numpy()) / 100, axis=1)
    np.testing.assert_allclose(out["contrib_baseline"] * moved, out["pred_median"], rtol=1e-9)
    # a factor not given is in the baseline: a3 gave no years, education or skills
    a3 = out.set_index("id").loc[
        "a3", ["contrib_experience", "contrib_education", "contrib_skills"]
    ]
    assert np.isnan(a3.to_numpy(dtype=float)).all()


def test_contributions_are_what_predict_salary_explains(tmp_path: Path, model_dir: Path):
    """The same person gets the same factors from a scored file and from predict_salary."""
    source = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    score_file(source, tmp_path / "out.parquet", model=str(model_dir), contributions=True)
    out = pd.read_parquet(tmp_path / "out.parquet").set_index("id")
    for row_id, role, country, years, education, skills, _note in GOOD_ROWS:
        prediction = predict_salary(
            role,
            country,
            years_experience=years or None,
            education=education or None,
            skills=skills or None,
            model=str(model_dir),
        )
        scored = out.loc[row_id]
        assert scored["contrib_baseline"] == pytest.approx(prediction.baseline, rel=1e-12)
        explained = prediction.contributions
        skills_moved = np.prod(
            [1 + percent / 100 for name, percent in explained.items() if name.startswith("skills")]
        )
        for name in ("role", "location", "experience", "education"):
            expected = explained.get(name, np.nan)
            assert scored[f"contrib_{name}"] == pytest.approx(expected, rel=1e-9, nan_ok=True)
        if any(name.startswith("skills") for name in explained):
            assert 1 + scored["contrib_skills"] / 100 == pytest.approx(skills_moved, rel=1e-9)


def test_input_is_never_touched(tmp_path: Path, model_dir: Path):
    source = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    os.utime(source, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = (source.read_bytes(), source.stat().st_mtime_ns)
    score_file(source, tmp_path / "out.parquet", model=str(model_dir), chunk_size=1)
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before


@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_failure_mid_run_leaves_no_half_written_file(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
):
    source = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    output = tmp_path / "out.parquet"
    output.write_bytes(b"previous run")
    real = local_engine.score_chunk
    calls = []

    def failing_in_the_middle(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the middle one of three chunks
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(local_engine, "score_chunk", failing_in_the_middle)
    with pytest.raises(type(failure)):
        score_file(source, output, model=str(model_dir), chunk_size=2)
    assert output.read_bytes() == b"previous run"
    assert not default_rejects_path(output).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.parquet"]


def test_folder_of_parts_gives_file_and_row_in_rejects(tmp_path: Path, model_dir: Path):
    parts = tmp_path / "parts"
    parts.mkdir()
    write_csv(parts / "a.csv", [GOOD_ROWS[0], ["x1", "ML Engineer", "Atlantis", "", "", "", ""]])
    write_csv(parts / "b.csv", [["x2", "ML Engineer", "Mordor", "", "", "", ""], GOOD_ROWS[1]])
    summary = score_file(parts, tmp_path / "out.parquet", model=str(model_dir))
    rejects = pd.read_csv(tmp_path / "out.rejects.csv")
    assert rejects[["file", "row_number", "id"]].values.tolist() == [
        ["a.csv", 2, "x1"],
        ["b.csv", 1, "x2"],
    ]
    assert pd.read_parquet(tmp_path / "out.parquet")["id"].tolist() == ["a1", "a2"]
    assert summary.rows_read == 4


def test_header_only_input_gives_empty_output(tmp_path: Path, model_dir: Path):
    source = write_csv(tmp_path / "in.csv", [])
    summary = score_file(source, tmp_path / "out.csv", model=str(model_dir))
    assert summary.rows_read == 0
    assert pd.read_csv(tmp_path / "out.csv").columns.tolist() == HEADER + PREDICTIONS


def test_mapping_keeps_the_users_columns(tmp_path: Path, model_dir: Path):
    hr = tmp_path / "hr.csv"
    write_csv(
        hr,
        [["1", "Senior ML Engineer", "Germany", "7"], ["2", "Analyst", "Atlantis", "2"]],
        header=["Employee ID", "Job Title", "Work Country", "Years"],
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  role: Job Title\n  country: Work Country\n  years_experience: Years\n"
    )
    summary = score_file(hr, tmp_path / "out.csv", model=str(model_dir), mapping=mapping)
    out = pd.read_csv(tmp_path / "out.csv", dtype={"Employee ID": str})
    assert list(out.columns) == ["Employee ID", "Job Title", "Work Country", "Years", *PREDICTIONS]
    rejects = pd.read_csv(tmp_path / "out.rejects.csv")
    assert rejects["reason"].tolist()[0].startswith("country='Atlantis': unknown country")
    assert (summary.rows_scored, summary.rows_rejected) == (1, 1)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"input": "missing.csv"}, DataError, "no such file"),
        ({"output": "in.csv"}, DataError, "the output is the input"),
        ({"output": "out.txt"}, DataError, "expected .csv or .parquet"),
        ({"output": "nowhere/out.csv"}, DataError, "does not exist"),
        ({"rejects": "in.csv"}, DataError, "would overwrite"),
        ({"model": "no-such-model"}, ModelNotFoundError, "no-such-model"),
        ({"scheduler": "tcp://127.0.0.1:1"}, ConfigError, "needs --engine dask"),
        ({"source": "aijobs", "mapping": "m.yaml"}, ConfigError, "not both"),
        ({"chunk_size": 0}, ConfigError, "positive"),
    ],
)
def test_user_errors_are_clear(
    tmp_path: Path, model_dir: Path, monkeypatch, arguments, error, message
):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "in.csv", GOOD_ROWS)
    call = {"input": "in.csv", "output": "out.csv", "model": str(model_dir), **arguments}
    with pytest.raises(error, match=message):
        score_file(call.pop("input"), call.pop("output"), **call)
    assert not (tmp_path / "out.csv").exists()


def test_input_without_profile_columns_is_a_user_error(tmp_path: Path, model_dir: Path):
    source = write_csv(tmp_path / "in.csv", [["1", "x"]], header=["Job", "Where"])
    with pytest.raises(DataError, match=r"missing column\(s\) role, country.*--mapping"):
        score_file(source, tmp_path / "out.csv", model=str(model_dir))


def test_input_that_already_has_predictions_is_refused(tmp_path: Path, model_dir: Path):
    source = write_csv(
        tmp_path / "in.csv", [["ML Engineer", "DE", "1"]], ["role", "country", "pred_median"]
    )
    with pytest.raises(DataError, match="already has column"):
        score_file(source, tmp_path / "out.csv", model=str(model_dir))


def test_malformed_csv_is_a_user_error_and_writes_nothing(tmp_path: Path, model_dir: Path):
    source = tmp_path / "in.csv"
    source.write_text("role,country\nML Engineer,DE\nAnalyst,US,extra\n", encoding="utf-8")
    with pytest.raises(DataError, match="cannot be read as CSV"):
        score_file(source, tmp_path / "out.csv", model=str(model_dir))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_chunks_scored_in_parallel_are_written_in_input_order(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    rows = [[f"r{i}", *row[1:]] for i, row in enumerate(GOOD_ROWS * 6)]
    rows[7][2] = "Atlantis"  # a reject among them
    source = write_csv(tmp_path / "in.csv", rows)
    outputs = {}
    for threads in (1, 3):
        monkeypatch.setattr(local_engine, "SCORING_THREADS", threads)
        output = tmp_path / f"out{threads}.parquet"
        score_file(source, output, model=str(model_dir), chunk_size=2)
        outputs[threads] = (output.read_bytes(), default_rejects_path(output).read_bytes())
    assert outputs[3] == outputs[1]
    scored = pd.read_parquet(tmp_path / "out3.parquet")
    assert scored["id"].tolist() == [row[0] for i, row in enumerate(rows) if i != 7]
