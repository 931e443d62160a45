"""`mlpay score`: a NaN or infinite number in a Parquet file is refused as the CSV reader
refuses "nan" and "inf" (a rejected row with its reason), never scored as "unknown"; only a
null (Parquet) or an empty cell (CSV) is missing (issue 23)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from artifact_factory import build_artifact

from mlpay_model.cli import main

YEARS = [5.0, math.nan, math.inf, -math.inf, None]
YEARS_TEXT = ["5", "nan", "inf", "-inf", ""]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full")


def rejects_of(source: Path, model_dir: Path, tmp_path: Path) -> pd.DataFrame:
    assert (
        main(["score", str(source), "-o", str(tmp_path / "out.csv"), "--model", str(model_dir)])
        == 1
    )
    scored = pd.read_csv(tmp_path / "out.csv")
    rejects = pd.read_csv(tmp_path / "out.rejects.csv", keep_default_na=False)
    assert len(scored) + len(rejects) == len(YEARS)
    return rejects


def test_nan_and_infinite_years_in_parquet_are_rejected_as_in_csv(tmp_path, model_dir, capsys):
    rows = {"role": ["ML Engineer"] * 5, "country": ["US"] * 5}
    pq.write_table(
        pa.table({**rows, "years_experience": pa.array(YEARS, pa.float64())}),
        tmp_path / "in.parquet",
    )
    pd.DataFrame({**rows, "years_experience": YEARS_TEXT}).to_csv(tmp_path / "in.csv", index=False)
    from_parquet = rejects_of(tmp_path / "in.parquet", model_dir, tmp_path)
    summary = capsys.readouterr().out
    assert "rejected 3 (years_experience 3)" in summary
    assert "(as unknown): years_experience 1;" in summary  # the null alone
    from_csv = rejects_of(tmp_path / "in.csv", model_dir, tmp_path)
    assert from_parquet["row_number"].tolist() == from_csv["row_number"].tolist() == [2, 3, 4]
    assert from_parquet["reason"].tolist() == [
        "years_experience='NaN': must be a finite number (empty when unknown)",
        "years_experience=inf: must be a finite number",
        "years_experience=-inf: must be a finite number",
    ]
    assert [reason.split(": ", 1)[1] for reason in from_csv["reason"]] == [
        reason.split(": ", 1)[1] for reason in from_parquet["reason"]
    ]


def test_a_nan_in_any_numeric_parquet_column_is_a_reject_and_a_null_is_unknown(
    tmp_path, model_dir, capsys
):
    table = pa.table(
        {
            "role": ["ML Engineer"] * 5,
            "country": ["US"] * 5,
            "remote_ratio": pa.array([50.0, math.nan, None, 0.0, 100.0]),
            "year": pa.array([2024.0, 2024.0, 2024.0, math.nan, None]),
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    rejects = rejects_of(tmp_path / "in.parquet", model_dir, tmp_path)
    assert rejects["row_number"].tolist() == [2, 4]
    assert rejects["reason"].str.split("=").str[0].tolist() == ["remote_ratio", "year"]
    assert rejects["reason"].str.contains("'NaN'").all()
