"""Education answers to canonical levels: survey wordings, what users type, real answer lists."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize(
    ("answer", "level"),
    [
        # Kaggle (curly apostrophes)
        ("No formal education past high school", "high_school"),
        ("Some college/university study without earning a bachelor’s degree", "some_college"),
        ("Bachelor’s degree", "bachelor"),
        ("Master’s degree", "master"),
        ("Doctoral degree", "doctorate"),
        ("Professional degree", "professional"),
        ("Professional doctorate", "professional"),
        # Stack Overflow 2017 (straight apostrophes)
        ("I never completed any formal education", "none"),
        ("Primary/elementary school", "none"),
        ("Secondary school", "high_school"),
        ("Some college/university study without earning a bachelor's degree", "some_college"),
        ("Bachelor's degree", "bachelor"),
        ("Master's degree", "master"),
        # Stack Overflow 2024/2025
        (
            "Secondary school (e.g. American high school, German Realschule or Gymnasium, etc.)",
            "high_school",
        ),
        ("Some college/university study without earning a degree", "some_college"),
        ("Associate degree (A.A., A.S., etc.)", "some_college"),
        ("Bachelor’s degree (B.A., B.S., B.Eng., etc.)", "bachelor"),
        ("Master’s degree (M.A., M.S., M.Eng., MBA, etc.)", "master"),
        ("Professional degree (JD, MD, Ph.D, Ed.D, etc.)", "doctorate"),
        # what users type
        ("MSc", "master"),
        ("M.Sc.", "master"),
        ("master", "master"),
        ("MBA", "master"),
        ("PhD", "doctorate"),
        ("Ph.D.", "doctorate"),
        ("BSc", "bachelor"),
        ("bachelor's", "bachelor"),
        ("B.Tech", "bachelor"),
        ("high school", "high_school"),
        ("none", "none"),
        ("JD", "professional"),
    ],
)
def test_education_level_maps_answers(answer: str, level: str) -> None:
    assert education_level(answer) == level


@pytest.mark.parametrize("answer", [*NO_LEVEL, None, math.nan, pd.NA, "", "gibberish", "Other"])
def test_no_usable_answer_gives_none(answer: object) -> None:
    assert education_level(answer) is None


@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none()))
@settings(max_examples=200, deadline=None)
def test_education_level_never_raises(value: object) -> None:
    assert education_level(value) in (*EDUCATION_LEVELS, None)


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
