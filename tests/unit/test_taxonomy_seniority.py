"""Seniority from aijobs codes, words and job titles."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpay_model.schema import SENIORITY_LEVELS
from mlpay_model.taxonomy import seniority_level, title_seniority


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("EN", "entry"),
        ("MI", "mid"),
        ("SE", "senior"),
        ("EX", "executive"),
        (" se ", "senior"),
        ("junior", "entry"),
        ("Entry-level", "entry"),
        ("Mid-level", "mid"),
        ("intermediate", "mid"),
        ("Senior", "senior"),
        ("lead", "senior"),
        ("Principal", "senior"),
        ("director", "executive"),
        ("Executive", "executive"),
    ],
)
def test_seniority_level_reads_codes_and_words(value: str, level: str) -> None:
    assert seniority_level(value) == level


@pytest.mark.parametrize("value", [None, math.nan, pd.NA, "", "NA", "XX", "wizard"])
def test_unknown_or_missing_seniority_is_none(value: object) -> None:
    assert seniority_level(value) is None


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Senior ML Engineer", "senior"),
        ("Sr. Data Scientist", "senior"),
        ("Lead Data Scientist", "senior"),
        ("Principal Machine Learning Engineer", "senior"),
        ("Staff Data Analyst", "senior"),
        ("Junior Data Analyst", "entry"),
        ("Machine Learning Intern", "entry"),
        ("Head of Data", "executive"),
        ("Director of Machine Learning", "executive"),
        ("VP of Engineering", "executive"),
        ("Chief Data Officer", "executive"),
        ("Senior Executive (C-Suite, VP, etc.)", "executive"),
        ("Mid-level Developer", "mid"),
        ("Machine Learning Engineer", None),
        ("Enterprise Account Executive", None),  # a sales job, not an executive
        ("Associate", None),
        (None, None),
    ],
)
def test_title_seniority_reads_hints(title: object, level: str | None) -> None:
    assert title_seniority(title) == level


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none()))
@settings(max_examples=200, deadline=None)
def test_seniority_never_raises(value: object) -> None:
    assert seniority_level(value) in (*SENIORITY_LEVELS, None)
    assert title_seniority(value) in (*SENIORITY_LEVELS, None)
