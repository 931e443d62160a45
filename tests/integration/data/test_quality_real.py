"""The quality rules on the real files in MLPAY_DATA_DIR (the unit tests:
tests/unit/test_quality.py)."""

from __future__ import annotations

from mlpay_model.data.quality import QualityRules, apply_quality_rules
from mlpay_model.data.sources import aijobs, kaggle
from mlpay_model.schema import has_pay


def test_real_aijobs(data_file) -> None:
    frame = aijobs.load(data_file("aijobs/salaries.csv"))
    result = apply_quality_rules(frame, QualityRules.for_source("aijobs"))
    part_time_or_freelance = frame["employment_type"].isin(["part_time", "freelance"]).sum()
    assert result.dropped["no_pay"] == 0  # every aijobs row has pay
    assert result.dropped["employment_type"] == part_time_or_freelance
    assert result.dropped["implausible_pay"] == 0  # the file's lowest pay is 15,000 USD
    # Outliers are rare: under 1 % of rows.
    assert 0 < result.dropped["outlier"] < 0.01 * len(frame)
    assert result.rows_kept + sum(result.dropped.values()) == 47_522
    # About half the file repeats an earlier row; all of them are kept by default.
    assert 0.4 * len(frame) < result.flagged["exact_duplicate"] < 0.6 * len(frame)


def test_real_kaggle_2021(data_file) -> None:
    frame = kaggle.load(data_file("kaggle/kaggle-survey-2021.zip"))
    result = apply_quality_rules(frame, QualityRules.for_source("kaggle"))
    assert result.dropped["no_pay"] == len(frame) - int(has_pay(frame).sum())
    below_1000 = (frame["salary_usd_high"] < 1_000).sum()
    over_a_million = (frame["salary_usd_low"] >= 1_000_000).sum()
    assert below_1000 > 0 and over_a_million > 0
    assert result.dropped["implausible_pay"] == below_1000 + over_a_million
    assert result.rows_kept + sum(result.dropped.values()) == len(frame)
    assert (result.kept["salary_usd_high"] >= 1_000).all()
