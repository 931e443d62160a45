"""Every real source's country spellings get ISO codes (the unit tests:
tests/unit/test_taxonomy_countries.py)."""

from __future__ import annotations

import pandas as pd
import pycountry
import pytest

from mlpay_model.data.sources._io import read_header_rows, read_table
from mlpay_model.taxonomy import country_code

COUNTRY_QUESTION = "In which country do you currently reside?"
KAGGLE = {
    "kaggle 2019": ("kaggle/kaggle-survey-2019.zip", "multiple_choice_responses.csv"),
    "kaggle 2021": ("kaggle/kaggle-survey-2021.zip", "kaggle_survey_2021_responses.csv"),
}
# Answers to the country question that do not name a country (they must give None).
NOT_A_COUNTRY = {"Other", "I do not wish to disclose my location", "I prefer not to say", "Nomadic"}


def _is_assigned_code(code: str) -> bool:
    return code == "XK" or pycountry.countries.get(alpha_2=code) is not None


# --- every real source: >= 99 % of answers that name a country get a code ---


def _kaggle_countries(data_file, source: tuple[str, str]) -> pd.Series:
    path = data_file(source[0])
    codes, texts = read_header_rows(path, members=[source[1]])
    (column,) = [c for c, t in zip(codes, texts, strict=True) if t.startswith(COUNTRY_QUESTION)]
    return read_table(path, members=[source[1]], header_rows=2)[column]


def _source_countries(data_file, source: str) -> pd.Series:
    if source in KAGGLE:
        return _kaggle_countries(data_file, KAGGLE[source])
    relative, column = {
        "aijobs": ("aijobs/salaries.csv", "employee_residence"),
        "so 2017": ("stackoverflow/so-2017-partial.zip", "Country"),
        "so 2024": ("stackoverflow/so-2024-subset.csv", "Country"),
        "so 2025": ("stackoverflow/so-2025-sample.csv", "Country"),
    }[source]
    return read_table(data_file(relative))[column]


@pytest.mark.parametrize(
    "source",
    [
        "aijobs",
        "kaggle 2019",
        pytest.param("kaggle 2021", marks=pytest.mark.slow),  # the whole survey: ~2 s
        "so 2017",
        "so 2024",
        "so 2025",
    ],
)
def test_source_countries_get_iso_codes(data_file, source: str) -> None:
    answers = _source_countries(data_file, source).dropna()
    naming_a_country = answers[~answers.isin(NOT_A_COUNTRY)]
    codes = naming_a_country.map(country_code)
    assert codes.notna().mean() >= 0.99, sorted(set(naming_a_country[codes.isna()]))
    assert all(_is_assigned_code(code) for code in set(codes.dropna()))
    assert answers[answers.isin(NOT_A_COUNTRY)].map(country_code).isna().all()
