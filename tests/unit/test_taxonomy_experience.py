"""Years of experience from numbers and survey bands (every real band:
tests/integration/data/test_taxonomy_experience_real.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpay_model.taxonomy import experience_years
from mlpay_model.taxonomy.experience import BELOW_ONE_YEAR, OPEN_BAND_EXTRA_YEARS


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("5", 5.0),
        (5, 5.0),
        ("5.5", 5.5),
        (np.int64(3), 3.0),
        ("0", 0.0),
        ("3 years", 3.0),
        # closed bands -> midpoint
        ("1-2 years", 1.5),
        ("1-3 years", 2.0),
        ("5-10 years", 7.5),
        ("10-20 years", 15.0),
        ("1 to 2 years", 1.5),
        ("10 to 11 years", 10.5),
        # below one year -> 0.5
        ("< 1 years", BELOW_ONE_YEAR),
        ("Less than 1 year", BELOW_ONE_YEAR),
        ("Less than a year", BELOW_ONE_YEAR),
        ("Under 1 year", BELOW_ONE_YEAR),
        # open bands -> start + the documented extra
        ("20+ years", 20 + OPEN_BAND_EXTRA_YEARS),
        ("20 or more years", 20 + OPEN_BAND_EXTRA_YEARS),
        ("More than 50 years", 50 + OPEN_BAND_EXTRA_YEARS),
        # never
        ("I have never written code", 0.0),
        ("I do not use machine learning methods", 0.0),
    ],
)
def test_experience_years_reads_numbers_and_bands(value: object, years: float) -> None:
    assert experience_years(value) == years


@pytest.mark.parametrize(
    "value", [None, math.nan, pd.NA, "", "NA", -1, "-3", "abc", True, math.inf, "5 to 3 years"]
)
def test_missing_negative_and_garbage_give_nan(value: object) -> None:
    assert math.isnan(experience_years(value))


def test_a_band_sits_between_its_neighbours() -> None:
    ordered = ["< 1 years", "1-2 years", "3-5 years", "5-10 years", "10-20 years", "20+ years"]
    values = [experience_years(band) for band in ordered]
    assert values == sorted(values) and len(set(values)) == len(values)


@given(st.floats(min_value=0, max_value=80, allow_nan=False))
@settings(max_examples=100, deadline=None)
def test_numbers_and_their_text_agree(years: float) -> None:
    assert experience_years(years) == years
    assert experience_years(repr(years)) == pytest.approx(years)


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none()))
@settings(max_examples=200, deadline=None)
def test_experience_years_never_raises_and_is_never_negative(value: object) -> None:
    years = experience_years(value)
    assert math.isnan(years) or years >= 0
