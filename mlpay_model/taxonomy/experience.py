"""Years of experience as a float, from a number or from a survey band.

Rules (one value per answer, so banded and exact sources share one scale):
    number ("5", 5, "5.5")                 -> that number
    closed band "A-B years", "A to B years" -> the midpoint (A + B) / 2  ("1-2 years" -> 1.5,
                                               "5-10 years" -> 7.5, "10 to 11 years" -> 10.5)
    below one year ("< 1 years", "Less than 1 year", "Less than a year", "Under 1 year")
                                            -> 0.5, the midpoint of [0, 1)
    open band "N+ years", "N or more years", "More than N years"
                                            -> N + 5 (OPEN_BAND_EXTRA_YEARS): the bands
                                               before it are 5 to 10 years wide, so +5 is
                                               about half a band ("20+ years" -> 25)
    never coded / never used ML ("I have never written code",
    "I do not use machine learning methods") -> 0
    missing (None, NaN, pd.NA, "", "NA"), negative, infinite or unreadable -> NaN
Callers that take user input validate it themselves (NaN here is never an error).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Final

from mlpay_model.taxonomy._common import as_text, is_missing

BELOW_ONE_YEAR: Final = 0.5
OPEN_BAND_EXTRA_YEARS: Final = 5.0
NEVER_PHRASES: Final[tuple[str, ...]] = ("never", "do not use", "don't use")

_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"\s*(?:years?|yrs?)?\.?"
_PLAIN = re.compile(rf"^{_NUMBER}{_UNIT}$")
_CLOSED_BAND = re.compile(rf"^{_NUMBER}\s*(?:-|–|to)\s*{_NUMBER}{_UNIT}$")
_OPEN_BAND = re.compile(
    rf"^(?:{_NUMBER}\s*(?:\+|or more|and more|and above){_UNIT}"
    rf"|(?:more than|over|>)\s*{_NUMBER}{_UNIT})$"
)
_BELOW_ONE = re.compile(rf"^(?:less than|under|<)\s*(?:1|one|a){_UNIT}$")


def experience_years(value: object) -> float:
    """Years as a float from a number or a band; NaN when missing (rules: module docstring).

    Bands: "1-2 years", "< 1 years", "20+ years", "Less than 1 year", "More than 50 years",
    "10 to 11 years".

    >>> experience_years("1-2 years"), experience_years("< 1 years"), experience_years("20+ years")
    (1.5, 0.5, 25.0)
    """
    if is_missing(value) or isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        return _valid(float(value))
    text = as_text(value)
    if text is None:
        return math.nan
    return _years_of_text(" ".join(text.casefold().split()))


@lru_cache(maxsize=4096)
def _years_of_text(text: str) -> float:
    try:
        return _valid(float(text))
    except ValueError:
        pass
    if match := _PLAIN.match(text):
        return _valid(float(match.group(1)))
    if match := _CLOSED_BAND.match(text):
        low, high = float(match.group(1)), float(match.group(2))
        return _valid((low + high) / 2) if low <= high else math.nan
    if match := _OPEN_BAND.match(text):
        start = match.group(1) or match.group(2)
        return _valid(float(start) + OPEN_BAND_EXTRA_YEARS)
    if _BELOW_ONE.match(text):
        return BELOW_ONE_YEAR
    if any(phrase in text for phrase in NEVER_PHRASES):
        return 0.0
    return math.nan


def _valid(years: float) -> float:
    return years if math.isfinite(years) and years >= 0 else math.nan
