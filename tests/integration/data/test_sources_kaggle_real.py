"""The Kaggle adapter on the real survey files in MLPAY_DATA_DIR (the unit tests:
tests/unit/test_sources_kaggle.py)."""

from __future__ import annotations

import pytest

from mlpay_model.data.sources import kaggle
from mlpay_model.schema import has_pay


@pytest.mark.parametrize(
    ("name", "year", "respondents", "with_pay"),
    [
        ("kaggle-survey-2019.zip", 2019, 19_717, 12_497),
        ("kaggle-survey-2021.zip", 2021, 25_973, 15_391),
    ],
)
def test_real_surveys(data_file, name: str, year: int, respondents: int, with_pay: int) -> None:
    profiles = kaggle.load(data_file(f"kaggle/{name}"))
    assert len(profiles) == respondents
    assert int(has_pay(profiles).sum()) == with_pay
    assert set(profiles["year"]) == {year}
    paid = profiles[has_pay(profiles)]
    assert (paid["salary_usd_low"] < paid["salary_usd_high"]).all()
    assert profiles["salary_usd"].isna().all()
    # Kaggle asks pay of employed respondents only.
    assert set(paid["employment_status"]) == {"employed"}
    assert profiles["skills"].map(len).gt(0).mean() > 0.5
    assert profiles["country"].notna().mean() > 0.9


def test_real_2021_maps_the_ml_engineer_title(data_file) -> None:
    profiles = kaggle.load(data_file("kaggle/kaggle-survey-2021.zip"))
    ml = profiles[profiles["role_raw"] == "Machine Learning Engineer"]
    assert len(ml) == 1_499
    assert set(ml["role"]) == {"ml_engineer"}
