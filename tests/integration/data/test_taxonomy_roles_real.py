"""The real title lists of every source map to role families (the unit tests:
tests/unit/test_taxonomy_roles.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from mlpay_model.data.sources._io import read_header_rows, read_table
from mlpay_model.schema import ROLE_FAMILIES
from mlpay_model.taxonomy import role_family, role_family_of_list, unmapped_titles

KAGGLE_2021 = ("kaggle/kaggle-survey-2021.zip", "kaggle_survey_2021_responses.csv")
KAGGLE_2019 = ("kaggle/kaggle-survey-2019.zip", "multiple_choice_responses.csv")
TITLE_QUESTION = "Select the title most similar to your current role"
# Survey answers that name no job; the only labels allowed to map to "other".
NOT_A_JOB = {
    "Student",
    "Not employed",
    "Currently not employed",
    "Retired",
    "Other",
    "Other (please specify):",
    "NA",
    "Educator",
    "Designer",
    "Graphic designer",
    "Marketing or sales professional",
    "Support engineer or analyst",
}


def _kaggle_titles(data_file, source: tuple[str, str]) -> pd.Series:
    path = data_file(source[0])
    codes, texts = read_header_rows(path, members=[source[1]])
    (column,) = [
        code
        for code, text in zip(codes, texts, strict=True)
        if text.startswith(TITLE_QUESTION) and "_OTHER" not in code
    ]
    return read_table(path, members=[source[1]], header_rows=2)[column].dropna()


def test_aijobs_rows_almost_all_get_a_role(data_file) -> None:
    titles = read_table(data_file("aijobs/salaries.csv"))["job_title"]
    families = titles.map(role_family)
    assert (families != "other").mean() >= 0.95
    assert set(families) <= set(ROLE_FAMILIES)
    ml_titles = set(titles[families == "ml_engineer"])
    assert {"Machine Learning Engineer", "AI Engineer", "MLOps Engineer"} <= ml_titles
    assert not ml_titles & {"Data Scientist", "Research Scientist", "Data Engineer"}


@pytest.mark.slow  # reads the whole Kaggle 2021 survey
def test_kaggle_2021_titles_keep_ml_engineers_apart(data_file) -> None:
    titles = _kaggle_titles(data_file, KAGGLE_2021)
    mapping = {title: role_family(title) for title in titles.unique()}
    assert mapping["Machine Learning Engineer"] == "ml_engineer"
    assert [t for t, f in mapping.items() if f == "ml_engineer"] == ["Machine Learning Engineer"]
    assert {t for t, f in mapping.items() if f == "other"} <= NOT_A_JOB


def test_kaggle_2019_titles_all_map_except_non_jobs(data_file) -> None:
    titles = _kaggle_titles(data_file, KAGGLE_2019)
    unmapped = set(unmapped_titles(titles))
    assert unmapped <= NOT_A_JOB
    assert "Data Scientist" not in unmapped


@pytest.mark.parametrize(
    "relative", ["stackoverflow/so-2024-subset.csv", "stackoverflow/so-2025-sample.csv"]
)
def test_stackoverflow_devtypes_all_map_except_non_jobs(data_file, relative: str) -> None:
    labels = read_table(data_file(relative))["DevType"].dropna().unique()
    assert set(unmapped_titles(labels)) <= NOT_A_JOB


def test_stackoverflow_2025_has_ml_engineers_of_their_own(data_file) -> None:
    labels = read_table(data_file("stackoverflow/so-2025-sample.csv"))["DevType"].dropna()
    families = labels.map(role_family)
    assert set(labels[families == "ml_engineer"]) == {
        "AI/ML engineer",
        "Developer, AI apps or physical AI",
    }
    assert set(labels[families == "data_scientist"]) == {"Data scientist"}


def test_stackoverflow_2017_multi_select_labels_all_map(data_file) -> None:
    answers = read_table(data_file("stackoverflow/so-2017-partial.zip"))["DeveloperType"]
    labels = {label.strip() for answer in answers.dropna() for label in answer.split(";")}
    assert set(unmapped_titles(labels)) <= NOT_A_JOB
    families = answers.map(role_family_of_list)
    assert {"ml_engineer", "data_scientist", "fullstack_engineer"} <= set(families)
    # every respondent who ticked "Machine learning specialist" is counted as an ML engineer
    ticked_ml = answers.fillna("").str.contains("Machine learning specialist")
    assert (families[ticked_ml] == "ml_engineer").all()
