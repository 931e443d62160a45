"""Company size and remote ratio: one rule for every source's wording."""

from __future__ import annotations

import pytest

from mlpay_model.taxonomy import company_size, remote_ratio


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Remote", 100.0),
        ("Fully remote", 100.0),
        ("Hybrid (some remote, leans heavy to in-person)", 50.0),
        ("In-person", 0.0),
        ("Full in-person", 0.0),
        ("A few days each month", 0.0),
        ("Less than half the time, but at least one day each week", 50.0),
        ("All or almost all the time (I'm full-time remote)", 100.0),
        ("It's complicated", None),
        (None, None),
    ],
)
def test_remote_ratio(answer: str | None, expected: float | None) -> None:
    assert remote_ratio(answer) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Just me - I am a freelancer, sole proprietor, etc.", "small"),
        ("Fewer than 10 employees", "small"),
        ("Less than 20 employees", "small"),
        ("20 to 99 employees", "small"),
        ("100 to 499 employees", "medium"),
        ("500 to 999 employees", "large"),
        ("10,000 or more employees", "large"),
        ("Medium", "medium"),
        ("L", "large"),
        ("I don’t know", None),
        ("I prefer not to answer", None),
        (None, None),
    ],
)
def test_company_size_of_words_codes_and_bands(answer: str | None, expected: str | None) -> None:
    assert company_size(answer) == expected


@pytest.mark.parametrize(
    ("band", "size"),
    [
        ("0-49 employees", "small"),
        ("50-249 employees", "medium"),
        ("250-999 employees", "large"),
        ("1000-9,999 employees", "large"),
        ("> 10,000 employees", "large"),
        ("10,000 or more employees", "large"),
        (None, None),
        ("I do not know", None),
    ],
)
def test_company_size_of_kaggle_headcount_bands(band: str | None, size: str | None) -> None:
    assert company_size(band) == size
