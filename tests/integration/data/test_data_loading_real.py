"""Training data loading on the real aijobs file in MLPAY_DATA_DIR (the unit tests:
tests/unit/test_data_loading.py)."""

from __future__ import annotations

from training_factory import small_config

from training.data import load_training_data


def test_real_aijobs_file_loads_with_its_duplicates(data_file):
    path = data_file("aijobs/salaries.csv")
    data = load_training_data(small_config(path))
    report = data.reports[0]
    assert report.rows_read == 47_522
    assert report.rows_kept > 45_000
    assert report.flagged["exact_duplicate"] > 20_000  # kept: the split groups them
