"""The seniority-from-years rule (mlpay_model.normalise._seniority)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlpay_model import predict_salary
from mlpay_model.normalise import (
    SENIORITY_FROM_YEARS_RULE,
    frame_with_seniority_from_years,
    record_with_seniority_from_years,
    seniority_from_years,
)


@pytest.mark.parametrize(
    ("years", "level"),
    [(0, "entry"), (1.99, "entry"), (2, "mid"), (4.99, "mid"), (5, "senior"), (60, "senior")],
)
def test_seniority_from_years_follows_the_documented_rule(years, level):
    assert seniority_from_years(years) == level
    assert SENIORITY_FROM_YEARS_RULE == "<2 entry, <5 mid, else senior"


def test_years_never_make_an_executive():
    assert {seniority_from_years(tenth / 10) for tenth in range(601)} == {"entry", "mid", "senior"}


def test_predict_salary_shows_the_seniority_the_model_derived_from_years():
    # aijobs: a model without years, which derives the seniority from them
    derived = predict_salary("ML Engineer", "US", years_experience=3, model="aijobs")
    assert derived.profile["seniority"] == "mid"
    assert any("derived from years_experience=3" in note for note in derived.warnings)
    for kept, level in (
        (predict_salary("Junior ML Engineer", "US", years_experience=9), "entry"),  # title
        (predict_salary("ML Engineer", "US", years_experience=9, seniority="mid"), "mid"),
        (predict_salary("ML Engineer", "US"), None),  # no years
    ):
        assert kept.profile["seniority"] == level
        assert not any("derived from" in note for note in kept.warnings)


def test_predict_salary_applies_the_rule_once(monkeypatch):
    import mlpay_model.normalise as normalise

    calls = []
    original = normalise.record_with_seniority_from_years

    def counted(record):
        calls.append(record)
        return original(record)

    monkeypatch.setattr(normalise, "record_with_seniority_from_years", counted)
    predict_salary("ML Engineer", "US", years_experience=3, model="aijobs")
    assert len(calls) == 1


def test_a_record_gets_a_seniority_from_years_only_when_it_has_none():
    record = {"role": "ml_engineer", "years_experience": 7.0, "seniority": pd.NA}
    assert record_with_seniority_from_years(record) == {**record, "seniority": "senior"}
    assert record["seniority"] is pd.NA  # the input is left alone
    for kept in (
        {"years_experience": 7.0, "seniority": "entry"},
        {"years_experience": math.nan, "seniority": None},
        {"role": "ml_engineer"},
    ):
        assert record_with_seniority_from_years(kept) is kept


def test_a_frame_gets_seniorities_from_years_where_it_has_none():
    frame = pd.DataFrame(
        {
            "years_experience": [0.5, 3.0, 12.0, np.nan, 12.0],
            "seniority": [None, None, None, None, "entry"],
        },
        index=["a", "b", "c", "d", "e"],
    )
    filled = frame_with_seniority_from_years(frame)
    assert filled["seniority"].tolist() == ["entry", "mid", "senior", None, "entry"]
    assert filled.index.equals(frame.index)
    assert frame["seniority"].isna().sum() == 4  # the input is left alone
    expected = [seniority_from_years(years) for years in frame["years_experience"].iloc[:3]]
    assert filled["seniority"].iloc[:3].tolist() == expected  # one rule for records and frames


def test_a_frame_without_years_or_missing_seniorities_is_returned_as_is():
    no_years = pd.DataFrame({"role": ["ml_engineer"], "seniority": [None]})
    complete = pd.DataFrame({"years_experience": [4.0], "seniority": ["senior"]})
    assert frame_with_seniority_from_years(no_years) is no_years
    assert frame_with_seniority_from_years(complete) is complete
    no_column = frame_with_seniority_from_years(pd.DataFrame({"years_experience": [7.0, np.nan]}))
    assert no_column["seniority"].tolist() == ["senior", None]
