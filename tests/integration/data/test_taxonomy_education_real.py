"""Every real education answer maps to a level (the unit tests:
tests/unit/test_taxonomy_education.py)."""

from __future__ import annotations

import pytest

from mlpay_model.data.sources._io import read_header_rows, read_table
from mlpay_model.schema import EDUCATION_LEVELS
from mlpay_model.taxonomy import education_level

EDUCATION_QUESTION = "What is the highest level of formal education"
KAGGLE = [
    ("kaggle/kaggle-survey-2019.zip", "multiple_choice_responses.csv"),
    ("kaggle/kaggle-survey-2021.zip", "kaggle_survey_2021_responses.csv"),
]
STACKOVERFLOW = [
    ("stackoverflow/so-2017-partial.zip", "FormalEducation"),
    ("stackoverflow/so-2024-subset.csv", "EdLevel"),
    ("stackoverflow/so-2025-sample.csv", "EdLevel"),
]
# Answers that carry no level; the only ones allowed to give None.
NO_LEVEL = {"I prefer not to answer", "Something else", "Other (please specify):", "NA"}


def _kaggle_answers(data_file, source: tuple[str, str]) -> set[str]:
    path = data_file(source[0])
    codes, texts = read_header_rows(path, members=[source[1]])
    (column,) = [c for c, t in zip(codes, texts, strict=True) if t.startswith(EDUCATION_QUESTION)]
    return set(read_table(path, members=[source[1]], header_rows=2)[column].dropna())


@pytest.mark.slow  # every answer of every real file
def test_every_real_answer_maps_to_a_level(data_file) -> None:
    answers: set[str] = set()
    for source in KAGGLE:
        answers |= _kaggle_answers(data_file, source)
    for relative, column in STACKOVERFLOW:
        answers |= set(read_table(data_file(relative))[column].dropna())
    levels = {answer: education_level(answer) for answer in answers}
    assert {answer for answer, level in levels.items() if level is None} <= NO_LEVEL
    # every level except the lumped "none" shows up in the real answers
    assert set(levels.values()) - {None} == set(EDUCATION_LEVELS)
