"""The real skill option lists map to canonical tokens (the unit tests:
tests/unit/test_taxonomy_skills.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from mlpay_model.data.sources._io import read_header_rows, read_table
from mlpay_model.taxonomy import canonical_skill

KAGGLE = [
    ("kaggle/kaggle-survey-2019.zip", "multiple_choice_responses.csv"),
    ("kaggle/kaggle-survey-2021.zip", "kaggle_survey_2021_responses.csv"),
]
LANGUAGES = "What programming languages do you use on a regular basis?"
FRAMEWORKS = "Which of the following machine learning frameworks do you use on a regular basis?"
CLOUDS = "Which of the following cloud computing platforms do you use on a regular basis?"
NOT_A_SKILL = {"None", "Other", "NA"}


@pytest.fixture(scope="module")
def kaggle_tables(data_file) -> dict[int, tuple[dict[str, str], pd.DataFrame]]:
    """Per Kaggle year: question text by column, and the answers (read once per module)."""
    tables = {}
    for year, (relative, member) in zip((2019, 2021), KAGGLE, strict=True):
        path = data_file(relative)
        codes, texts = read_header_rows(path, members=[member])
        question_of = dict(zip(codes, texts, strict=True))
        tables[year] = (question_of, read_table(path, members=[member], header_rows=2))
    return tables


def _kaggle_options(kaggle_tables, question: str) -> dict[int, set[str]]:
    options = {}
    for year, (question_of, table) in kaggle_tables.items():
        columns = [
            c for c, t in question_of.items() if t.startswith(question) and "_OTHER" not in c
        ]
        options[year] = {value for column in columns for value in table[column].dropna()}
    return options


@pytest.mark.parametrize("question", [LANGUAGES, FRAMEWORKS, CLOUDS])
@pytest.mark.slow  # reads the Kaggle surveys
def test_every_kaggle_option_maps_to_a_token(kaggle_tables, question: str) -> None:
    for year, options in _kaggle_options(kaggle_tables, question).items():
        assert len(options) >= 10, (year, options)
        tokens = {option: canonical_skill(option) for option in options}
        unmapped = {option for option, token in tokens.items() if not token}
        assert unmapped == NOT_A_SKILL & options, (year, unmapped)
        if question != CLOUDS:  # clouds merge IBM and Red Hat on purpose (skills.yaml)
            mapped = [token for token in tokens.values() if token]
            assert len(mapped) == len(set(mapped)), (year, tokens)


def test_every_stackoverflow_2025_language_maps_to_a_distinct_token(data_file) -> None:
    answers = read_table(data_file("stackoverflow/so-2025-sample.csv"))["LanguageHaveWorkedWith"]
    languages = {label.strip() for answer in answers.dropna() for label in answer.split(";")}
    tokens = {language: canonical_skill(language) for language in languages - NOT_A_SKILL}
    assert all(tokens.values()), tokens
    assert len(set(tokens.values())) == len(tokens)


@pytest.mark.slow  # reads the Kaggle surveys
def test_sources_share_tokens_for_the_same_skill(data_file, kaggle_tables) -> None:
    kaggle = set().union(*_kaggle_options(kaggle_tables, LANGUAGES).values())
    answers = read_table(data_file("stackoverflow/so-2025-sample.csv"))["LanguageHaveWorkedWith"]
    stackoverflow = {label for answer in answers.dropna() for label in answer.split(";")}
    shared = {canonical_skill(o) for o in kaggle} & {canonical_skill(o) for o in stackoverflow}
    assert {"python", "javascript", "sql", "bash", "cpp", "java", "r"} <= shared
