"""Education answers to canonical levels: survey wordings, what users type (the real answer
lists: tests/integration/data/test_taxonomy_education_real.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpay_model.schema import EDUCATION_LEVELS
from mlpay_model.taxonomy import education_level

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
