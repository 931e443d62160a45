"""One profile: `normalise_profile` and ProfileInput (mlpay_model.normalise._profile)."""

from __future__ import annotations

import math

import pytest

from mlpay_model.errors import InvalidInputError
from mlpay_model.normalise import (
    normalise_profile,
)


def test_a_profile_reads_seniority_from_the_title_when_not_given():
    profile = normalise_profile("Senior ML Engineer", "US")
    assert profile.record["role"] == "ml_engineer"
    assert profile.record["seniority"] == "senior"
    assert profile.seniority_from_title
    assert profile.given == {"role", "country"}


def test_a_given_seniority_wins_over_the_title():
    profile = normalise_profile("Senior ML Engineer", "US", seniority="mid")
    assert profile.record["seniority"] == "mid" and not profile.seniority_from_title
    assert "seniority" in profile.given


def test_a_profile_record_has_every_factor_and_context_column():
    profile = normalise_profile(
        "Data Scientist", "India", 4, "MSc", ["sql"], employment_type="FT", year=2024
    )
    assert profile.record == {
        "role": "data_scientist",
        "role_raw": "Data Scientist",
        "country": "IN",
        "years_experience": 4.0,
        "education": "master",
        "skills": ("sql",),
        "seniority": None,
        "employment_type": "full_time",
        "remote_ratio": pytest.approx(math.nan, nan_ok=True),
        "company_size": None,
        "year": 2024,
    }
    assert profile.given == {
        "role",
        "country",
        "years_experience",
        "education",
        "skills",
        "employment_type",
        "year",
    }


def test_an_unknown_keyword_is_named_with_the_accepted_ones():
    with pytest.raises(InvalidInputError) as caught:
        normalise_profile("ML Engineer", "US", senority="senior")
    assert caught.value.field == "senority"
    assert "seniority" in caught.value.suggestions
    assert "company_size" in str(caught.value)


@pytest.mark.parametrize(
    ("role", "country", "field"), [(None, "US", "role"), ("x", None, "country")]
)
def test_role_and_country_are_required(role, country, field):
    with pytest.raises(InvalidInputError, match="required") as caught:
        normalise_profile(role, country)
    assert caught.value.field == field
