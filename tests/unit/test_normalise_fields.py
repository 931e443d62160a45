"""One field at a time: `normalise_<field>` (mlpay_model.normalise._fields)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlpay_model.errors import InvalidInputError
from mlpay_model.normalise import (
    normalise_company_size,
    normalise_country,
    normalise_education,
    normalise_employment_status,
    normalise_employment_type,
    normalise_remote_ratio,
    normalise_role,
    normalise_seniority,
    normalise_skills,
    normalise_year,
    normalise_years,
)
from mlpay_model.schema import ROLE_FAMILIES


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


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("100 to 499 employees", "medium"), (1200, "large"), ("12", "small"), ("L", "large")],
)
def test_company_size_accepts_headcounts_like_every_data_source(typed, expected):
    assert normalise_company_size(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [("Hybrid", 50.0), ("on-site", 0.0), ("75%", 75.0)])
def test_remote_ratio_accepts_the_words_data_sources_use(typed, expected):
    assert normalise_remote_ratio(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(" 40 % ", 40.0), ("40%", 40.0), ("12.5", 12.5), (100, 100.0), ("remote", 100.0)],
)
def test_remote_ratio_text_follows_the_one_taxonomy_rule(typed, expected):
    assert normalise_remote_ratio(typed) == expected


@pytest.mark.parametrize("typed", ["150", "-5", "40 percent", "often", True])
def test_remote_ratio_outside_the_rule_is_refused(typed):
    with pytest.raises(InvalidInputError, match="percentage from 0 to 100"):
        normalise_remote_ratio(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Full-time", "full_time"),
        ("permanent", "full_time"),
        ("PT", "part_time"),
        ("Contractor", "contract"),
        ("self employed", "freelance"),
        ("Self-Employed", "freelance"),
        ("freelance", "freelance"),
    ],
)
def test_employment_type_words_come_from_the_taxonomy_table(typed, expected):
    assert normalise_employment_type(typed) == expected


def test_an_unknown_employment_type_lists_the_accepted_values():
    with pytest.raises(InvalidInputError) as error:
        normalise_employment_type("weekly")
    assert "full_time, part_time, contract, freelance" in error.value.reason


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("Employed", "employed"), ("self-employed", "self_employed"), ("unemployed", "not_employed")],
)
def test_employment_status_words(typed, expected):
    assert normalise_employment_status(typed) == expected


def test_an_unknown_employment_status_is_refused():
    with pytest.raises(InvalidInputError, match="retired"):
        normalise_employment_status("on leave")


@pytest.mark.parametrize(
    ("normalise", "field", "text"),
    [
        (normalise_role, "role", "ML\x01Engineer"),
        (normalise_country, "country", "U\x7fS"),
        (normalise_years, "years_experience", "5\x00"),
        (normalise_education, "education", "mas\x1bter"),
        (normalise_skills, "skills", "python,py\x02torch"),
        (normalise_seniority, "seniority", "\x1fsenior"),  # str.strip() alone would drop it
        (normalise_employment_type, "employment_type", "full\x0e-time"),
        (normalise_employment_status, "employment_status", "Employed\x9b"),
        (normalise_company_size, "company_size", "large\x03"),
        (normalise_remote_ratio, "remote_ratio", "remote\x08"),
        (normalise_year, "year", "2024\x04"),
    ],
)
def test_a_control_character_in_any_text_field_is_refused_naming_field_and_value(
    normalise, field, text
):
    with pytest.raises(InvalidInputError) as error:
        normalise(text)
    assert error.value.field == field and error.value.value == text
    assert str(error.value).startswith(f"{field}={text!r}: ")  # the repr shows the character
    assert "control character" in str(error.value) and "\n" not in str(error.value)


def test_a_control_character_in_one_skill_of_a_list_names_the_list_and_the_skill():
    with pytest.raises(InvalidInputError, match=r"the skill 'py\\x02torch' contains") as error:
        normalise_skills(["python", "py\x02torch"])
    assert error.value.value == ["python", "py\x02torch"]


def test_tabs_and_line_breaks_inside_text_read_as_spaces():
    assert normalise_role("ML\tEngineer") == normalise_role("ML Engineer")
    assert normalise_country("United\nStates") == "US"
    assert normalise_skills("python,\r\npytorch") == normalise_skills("python, pytorch")
