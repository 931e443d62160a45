"""Every real experience band is read (the unit tests: tests/unit/test_taxonomy_experience.py)."""

from __future__ import annotations

import math

import pytest

from mlpay_model.data.sources._io import read_header_rows, read_table
from mlpay_model.taxonomy import experience_years

KAGGLE = [
    ("kaggle/kaggle-survey-2019.zip", "multiple_choice_responses.csv"),
    ("kaggle/kaggle-survey-2021.zip", "kaggle_survey_2021_responses.csv"),
]
KAGGLE_QUESTIONS = (
    "How long have you been writing code",
    "For how many years have you been writing code",
    "For how many years have you used machine learning methods",
)
STACKOVERFLOW = [
    ("stackoverflow/so-2017-partial.zip", ("YearsCodedJob", "YearsProgram")),
    ("stackoverflow/so-2024-subset.csv", ("YearsCodePro", "WorkExp", "YearsCode")),
    ("stackoverflow/so-2025-sample.csv", ("WorkExp", "YearsCode")),
]


@pytest.mark.slow  # every answer of every real file
def test_every_real_answer_is_read(data_file) -> None:
    answers: set[str] = set()
    for relative, member in KAGGLE:
        path = data_file(relative)
        codes, texts = read_header_rows(path, members=[member])
        columns = [c for c, t in zip(codes, texts, strict=True) if t.startswith(KAGGLE_QUESTIONS)]
        assert len(columns) == 2, columns
        table = read_table(path, members=[member], header_rows=2)
        for column in columns:
            answers |= set(table[column].dropna())
    for relative, columns in STACKOVERFLOW:
        table = read_table(data_file(relative))
        for column in columns:
            answers |= set(table[column].dropna())
    unread = {answer for answer in answers - {"NA"} if math.isnan(experience_years(answer))}
    assert not unread
    # Stack Overflow 2017's one-year bands sit at their midpoints
    assert experience_years("9 to 10 years") == 9.5
