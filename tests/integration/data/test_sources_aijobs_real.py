"""The aijobs adapter on the real salaries.csv in MLPAY_DATA_DIR (the unit tests:
tests/unit/test_sources_aijobs.py)."""

from __future__ import annotations

import math

import pandas as pd

from mlpay_model.data.sources import aijobs


def test_real_file_keeps_all_rows_and_exact_pay(data_file) -> None:
    path = data_file("aijobs/salaries.csv")
    profiles = aijobs.load(path)
    raw = pd.read_csv(path)
    assert len(profiles) == 47_522
    assert profiles["row_number"].tolist() == list(range(1, 47_523))
    assert (profiles["salary_usd"].to_numpy() == raw["salary_in_usd"].to_numpy()).all()
    assert profiles["employment_type"].value_counts().to_dict() == {
        "full_time": int((raw["employment_type"] == "FT").sum()),
        "part_time": int((raw["employment_type"] == "PT").sum()),
        "contract": int((raw["employment_type"] == "CT").sum()),
        "freelance": int((raw["employment_type"] == "FL").sum()),
    }
    # Residence codes are already ISO alpha-2, so every one maps to itself.
    assert (profiles["country"] == raw["employee_residence"]).all()
    ml_titles = profiles["role_raw"] == "Machine Learning Engineer"
    assert set(profiles.loc[ml_titles, "role"]) == {"ml_engineer"}
    assert not math.isnan(profiles["remote_ratio"].mean())
