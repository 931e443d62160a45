"""STUB: to be implemented by the taxonomy work."""

from __future__ import annotations


def experience_years(value: object) -> float:
    """Years as a float from a number or a band ("1-2 years", "< 1 years", "20+ years", "Less than 1 year", "More than 50 years", "10 to 11 years"); NaN when missing."""
    return float("nan")
