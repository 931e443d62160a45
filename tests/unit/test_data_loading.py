from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from training_factory import small_config, write_aijobs_csv

from mlpay_model._digest import sha256_file
from mlpay_model.errors import DataError
from mlpay_model.schema import conform
from training.data import (
    MIN_KEPT_ROWS,
    dataset_digest,
    load_training_data,
    log_target,
    row_hashes,
    target_bounds,
)


def test_sources_are_read_quality_checked_and_combined(tmp_path):
    first = write_aijobs_csv(tmp_path / "a.csv", rows=400, seed=1)
    second = write_aijobs_csv(tmp_path / "b.csv", rows=300, seed=2)
    config = small_config(
        first,
        sources=[
            {"adapter": "aijobs", "path": str(first)},
            {"adapter": "aijobs", "path": str(second)},
        ],
    )
    data = load_training_data(config)
    assert [r.rows_read for r in data.reports] == [400, 300]
    assert len(data.profiles) == sum(r.rows_kept for r in data.reports)
    assert list(data.profiles.index) == list(range(len(data.profiles)))
    assert set(data.profiles["source"]) == {"aijobs"}
    for report, path in zip(data.reports, (first, second), strict=True):
        assert report.sha256 == sha256_file(path)
        assert report.rows_kept + sum(report.dropped.values()) == report.rows_read
        entry = report.manifest_entry()
        assert entry["file"] == str(path) and entry["source"] == "aijobs"


def test_manifest_keeps_the_unexpanded_path(tmp_path, monkeypatch):
    write_aijobs_csv(tmp_path / "aijobs" / "salaries.csv", rows=300)
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tmp_path))
    data = load_training_data(small_config("${MLPAY_DATA_DIR}/aijobs/salaries.csv"))
    assert data.reports[0].file == "${MLPAY_DATA_DIR}/aijobs/salaries.csv"


def test_missing_data_file_is_a_data_error_naming_it(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(DataError, match=r"nowhere\.csv: no such file"):
        load_training_data(small_config(missing))


def test_unset_data_dir_is_a_data_error(monkeypatch):
    monkeypatch.delenv("MLPAY_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="MLPAY_DATA_DIR is not set"):
        load_training_data(small_config("${MLPAY_DATA_DIR}/aijobs/salaries.csv"))


def test_too_few_usable_rows_is_refused(tmp_path):
    path = write_aijobs_csv(tmp_path / "small.csv", rows=MIN_KEPT_ROWS - 20)
    with pytest.raises(DataError) as caught:
        load_training_data(small_config(path))
    message = str(caught.value)
    assert "small.csv" in message and f"at least {MIN_KEPT_ROWS}" in message


def test_quality_overrides_apply(tmp_path):
    path = write_aijobs_csv(tmp_path / "a.csv", rows=600)
    everything = load_training_data(small_config(path))
    pay = everything.profiles["salary_usd"]
    cut = float(pay.quantile(0.2))
    config = small_config(path, quality={"min_pay_usd": cut})
    data = load_training_data(config)
    assert data.profiles["salary_usd"].min() >= cut
    assert data.reports[0].dropped["implausible_pay"] > 0


def test_a_feature_the_data_lacks_names_the_feature_and_source(tmp_path):
    path = write_aijobs_csv(tmp_path / "a.csv", rows=300)
    config = small_config(path, features=["role", "country", "education"])
    with pytest.raises(DataError) as caught:
        load_training_data(config)
    message = str(caught.value)
    assert "'education'" in message and "aijobs" in message and "a.csv" in message


def test_log_target_uses_the_geometric_midpoint_of_bands():
    frame = conform(
        pd.DataFrame(
            {
                "salary_usd": [50_000.0, np.nan],
                "salary_usd_low": [np.nan, 10_000.0],
                "salary_usd_high": [np.nan, 40_000.0],
            }
        )
    )
    target = log_target(frame)
    assert target[0] == pytest.approx(math.log(50_000))
    assert target[1] == pytest.approx(math.log(20_000))  # sqrt(10,000 x 40,000)
    low, high = target_bounds(frame)
    assert list(low) == [50_000, 10_000] and list(high) == [50_000, 40_000]


def test_row_hashes_depend_on_values_only():
    frame = conform(
        pd.DataFrame(
            {
                "role": ["ml_engineer", "ml_engineer", "data_analyst"],
                "skills": [("python",), ("python",), ()],
                "salary_usd": [1.0, 1.0, 1.0],
                "row_number": [1, 2, 3],
            }
        )
    )
    hashes = row_hashes(frame, ["role", "skills", "salary_usd"])
    assert hashes[0] == hashes[1] != hashes[2]
    assert (row_hashes(frame.iloc[::-1], ["role", "skills", "salary_usd"]) == hashes[::-1]).all()


def test_dataset_digest_changes_with_content():
    frame = conform(pd.DataFrame({"role": ["ml_engineer"], "salary_usd": [100_000.0]}))
    changed = frame.assign(salary_usd=[100_001.0])
    assert dataset_digest(frame) == dataset_digest(frame.copy())
    assert dataset_digest(frame) != dataset_digest(changed)
