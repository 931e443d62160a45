"""Batch scoring of a real publisher file from MLPAY_DATA_DIR (the unit tests:
tests/unit/test_scoring.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from artifact_factory import build_artifact

from mlpay_model.scoring import score_file

"""What scoring adds after the input columns: the prices, then whose pay they are."""


@pytest.mark.data
def test_scores_a_publisher_file(tmp_path: Path, data_file, tmp_path_factory):
    aijobs_model = build_artifact(tmp_path_factory.mktemp("aijobs") / "tiny_aijobs", "aijobs")
    path = data_file("aijobs/salaries.csv")
    summary = score_file(path, tmp_path / "out.parquet", model=str(aijobs_model), source="aijobs")
    assert summary.rows_read == 47_522  # every row of the file, as the data README says
    assert summary.rows_read == summary.rows_scored + summary.rows_rejected
    out = pd.read_parquet(tmp_path / "out.parquet", columns=["row_number", "pred_median"])
    assert out["pred_median"].gt(0).all()
    assert out["row_number"].is_monotonic_increasing
