"""Normalising what people type and what files hold into canonical profile values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlpay_model.errors import InvalidInputError
from mlpay_model.normalise import (
    SENIORITY_FROM_YEARS_RULE,
    check_canonical,
    frame_with_seniority_from_years,
    normalise_company_size,
    normalise_country,
    normalise_education,
    normalise_employment_type,
    normalise_frame,
    normalise_profile,
    normalise_remote_ratio,
    normalise_role,
    normalise_seniority,
    normalise_skills,
    normalise_year,
    normalise_years,
    record_with_seniority_from_years,
    seniority_from_years,
)
from mlpay_model.schema import PROFILE_COLUMNS, ROLE_FAMILIES


@pytest.mark.parametrize(
    ("title", "family", "seniority"),
    [
        ("Senior ML Engineer", "ml_engineer", "senior"),
        ("Machine Learning/ MLops Engineer", "ml_engineer", None),
        ("  data scientist ", "data_scientist", None),
        ("Junior Data Analyst", "data_analyst", "entry"),
        ("Wizard of Light", "other", None),
    ],
)
def test_titles_become_a_family_and_a_seniority_hint(title, family, seniority):
    assert normalise_role(title) == (family, seniority)


@pytest.mark.parametrize("family", ROLE_FAMILIES)
def test_role_families_are_accepted_as_they_are(family):
    assert normalise_role(family)[0] == family


@pytest.mark.parametrize(("value", "reason"), [("", "empty"), ("   ", "empty"), (42, "text")])
def test_bad_roles_are_refused(value, reason):
    with pytest.raises(InvalidInputError, match=reason) as caught:
        normalise_role(value)
    assert caught.value.field == "role"


@pytest.mark.parametrize(
    ("text", "code"),
    [("Germany", "DE"), ("de", "DE"), ("DEU", "DE"), ("United States", "US"), ("uk", "GB")],
)
def test_countries_by_name_or_code(text, code):
    assert normalise_country(text) == code


def test_an_unknown_country_suggests_close_names():
    with pytest.raises(InvalidInputError) as caught:
        normalise_country("Germny")
    assert caught.value.field == "country" and caught.value.value == "Germny"
    assert "Germany" in caught.value.suggestions
    assert "did you mean: Germany" in str(caught.value)


@pytest.mark.parametrize("value", [None, 49, ""])
def test_a_country_must_be_non_empty_text(value):
    with pytest.raises(InvalidInputError):
        normalise_country(value)


@pytest.mark.parametrize(
    ("value", "years"),
    [(5, 5.0), (2.5, 2.5), ("7", 7.0), ("5-10 years", 7.5), (np.int64(3), 3.0), (0, 0.0)],
)
def test_years_from_numbers_and_text(value, years):
    assert normalise_years(value) == years


@pytest.mark.parametrize("value", [None, math.nan, "", pd.NA])
def test_missing_years_are_nan(value):
    assert math.isnan(normalise_years(value))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (-1, "negative"),
        (61, "not plausible"),
        (math.inf, "finite"),
        ("five", "not a number of years"),
        (True, "number of years"),
        ([5], "number of years"),
    ],
)
def test_bad_years_are_refused(value, reason):
    with pytest.raises(InvalidInputError, match=reason) as caught:
        normalise_years(value)
    assert caught.value.field == "years_experience"


def test_sixty_years_is_the_limit():
    assert normalise_years(60) == 60.0


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("MSc", "master"),
        ("PhD", "doctorate"),
        ("bachelor", "bachelor"),
        ("high school", "high_school"),
    ],
)
def test_education_words(text, level):
    assert normalise_education(text) == level


def test_unknown_education_lists_the_levels_and_the_closest():
    with pytest.raises(InvalidInputError) as caught:
        normalise_education("profesional")
    assert "professional" in caught.value.suggestions
    assert "doctorate" in caught.value.reason


@pytest.mark.parametrize(
    ("value", "skills"),
    [
        (["Python", "PYTORCH", "python"], ("python", "pytorch")),
        ("python, sql;AWS", ("aws", "python", "sql")),
        (("Amazon Web Services (AWS)",), ("aws",)),
        ((), ()),
        (None, ()),
        ("", ()),
    ],
)
def test_skills_in_any_case_alias_or_separator(value, skills):
    assert normalise_skills(value) == skills


@pytest.mark.parametrize("value", [5, 3.5, {"python": 1}, ["python", 3]])
def test_skills_of_the_wrong_type_are_refused(value):
    with pytest.raises(InvalidInputError) as caught:
        normalise_skills(value)
    assert caught.value.field == "skills"


def test_context_values():
    assert normalise_seniority("SE") == "senior"
    assert normalise_seniority("junior") == "entry"
    assert normalise_employment_type("Full-time") == "full_time"
    assert normalise_employment_type("FT") == "full_time"
    assert normalise_company_size("M") == "medium"
    assert normalise_remote_ratio("hybrid") == 50.0
    assert normalise_remote_ratio("100%") == 100.0
    assert normalise_remote_ratio(0) == 0.0
    assert normalise_year("2024") == 2024
    assert normalise_year(2023.0) == 2023


@pytest.mark.parametrize(
    ("normalise", "value"),
    [
        (normalise_seniority, "wizard"),
        (normalise_employment_type, "sometimes"),
        (normalise_company_size, "huge"),
        (normalise_remote_ratio, 150),
        (normalise_remote_ratio, "often"),
        (normalise_year, 2024.5),
        (normalise_year, 1800),
        (normalise_year, True),
    ],
)
def test_bad_context_values_are_refused(normalise, value):
    with pytest.raises(InvalidInputError):
        normalise(value)


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


@pytest.mark.parametrize(
    ("years", "level"),
    [(0, "entry"), (1.99, "entry"), (2, "mid"), (4.99, "mid"), (5, "senior"), (60, "senior")],
)
def test_seniority_from_years_follows_the_documented_rule(years, level):
    assert seniority_from_years(years) == level
    assert SENIORITY_FROM_YEARS_RULE == "<2 entry, <5 mid, else senior"


def test_years_never_make_an_executive():
    assert {seniority_from_years(tenth / 10) for tenth in range(601)} == {"entry", "mid", "senior"}


def test_a_profile_gets_a_seniority_from_years_only_when_it_has_none():
    derived = normalise_profile("ML Engineer", "US", years_experience=3).with_seniority_from_years()
    assert derived.record["seniority"] == "mid" and derived.seniority_from_years
    assert derived.given == {"role", "country", "years_experience"}  # seniority was not given
    for kept in (
        normalise_profile("Junior ML Engineer", "US", years_experience=9),  # from the title
        normalise_profile("ML Engineer", "US", years_experience=9, seniority="mid"),  # given
        normalise_profile("ML Engineer", "US"),  # no years
    ):
        assert kept.with_seniority_from_years() is kept
        assert not kept.seniority_from_years


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


def test_a_frame_keeps_good_rows_and_gives_one_reason_per_bad_row():
    frame = pd.DataFrame(
        {
            "role": ["Senior Data Scientist", "", "ML Engineer", "Data Analyst", "Analyst"],
            "country": ["Germany", "US", "Narnia", None, "fr"],
            "years_experience": [3, 2, 4, "five", "1-2 years"],
            "skills": ["python;sql", ["PyTorch"], None, (), "excel"],
        },
        index=[10, 11, 12, 13, 14],
    )
    result = normalise_frame(frame)
    assert list(result.profiles.index) == [10, 14]
    assert list(result.profiles.columns) == list(PROFILE_COLUMNS)
    first = result.profiles.loc[10]
    assert (first["role"], first["country"], first["seniority"]) == (
        "data_scientist",
        "DE",
        "senior",
    )
    assert first["skills"] == ("python", "sql") and first["role_raw"] == "Senior Data Scientist"
    assert result.profiles.loc[14, "years_experience"] == 1.5
    reasons = result.rejected.set_index("row")
    assert list(reasons.index) == [11, 12, 13]
    assert reasons.loc[11, "field"] == "role" and "empty" in reasons.loc[11, "reason"]
    assert reasons.loc[12, "field"] == "country" and reasons.loc[12, "value"] == "Narnia"
    assert reasons.loc[13, "field"] == "country" and "required" in reasons.loc[13, "reason"]


def test_a_frame_without_required_columns_is_refused():
    with pytest.raises(InvalidInputError, match="missing required column"):
        normalise_frame(pd.DataFrame({"role": ["x"]}))


def test_a_frame_can_make_country_optional():
    result = normalise_frame(pd.DataFrame({"role": ["Data Engineer"]}), required=("role",))
    assert result.rejected.empty and result.profiles["country"].isna().all()


def test_check_canonical_accepts_canonical_frames_with_missing_values():
    check_canonical(
        pd.DataFrame(
            {
                "role": ["ml_engineer", None],
                "country": ["US", np.nan],
                "education": [None, "master"],
                "years_experience": [1.0, np.nan],
            }
        )
    )


def test_check_canonical_refuses_other_objects():
    with pytest.raises(InvalidInputError, match="DataFrame"):
        check_canonical([{"role": "ml_engineer"}])


def test_rows_with_the_same_index_label_are_judged_one_by_one():
    frame = pd.DataFrame(
        {"role": ["Data Engineer", "Data Engineer"], "country": ["Narnia", "DE"]}, index=[7, 7]
    )
    result = normalise_frame(frame)
    assert list(result.profiles["country"]) == ["DE"]
    assert result.rejected.to_dict("records") == [
        {"row": 7, "field": "country", "value": "Narnia", "reason": "unknown country"}
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("100 to 499 employees", "medium"), (1200, "large"), ("12", "small"), ("L", "large")],
)
def test_company_size_accepts_headcounts_like_every_data_source(typed, expected):
    assert normalise_company_size(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [("Hybrid", 50.0), ("on-site", 0.0), ("75%", 75.0)])
def test_remote_ratio_accepts_the_words_data_sources_use(typed, expected):
    assert normalise_remote_ratio(typed) == expected
