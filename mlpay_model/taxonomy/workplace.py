"""Workplace context: company size and remote work, from any source's wording.

One rule for every source, so that sizes and remote ratios mean the same thing everywhere:
    company_size   aijobs' limits on a headcount or a band's lower edge: small < 50 <= medium
                   < 250 <= large; also S/M/L codes and the words small/medium/large.
    remote_ratio   percent of time remote: a percentage written as text ("40", " 40 % ",
                   "12.5%") from 0 to 100 as it is; words as 0 / 50 / 100 as aijobs defines
                   them (0 means under 20% remote): survey answers (Stack Overflow 2017
                   HomeRemote, 2022+ RemoteWork) and the words HR exports use. The one rule
                   for every door (predict_salary, batch scoring, the CSV mapping).
"""

from __future__ import annotations

import re
from typing import Final

from mlpay_model.schema import COMPANY_SIZES

HOME_REMOTE_2017: Final[dict[str, float]] = {
    "never": 0.0,
    "a few days each month": 0.0,
    "less than half the time, but at least one day each week": 50.0,
    "about half the time": 50.0,
    "more than half, but not all, the time": 50.0,
    "all or almost all the time (i'm full-time remote)": 100.0,
}
# 2022+ RemoteWork answers by how they start, plus the words HR exports use (csv_mapping).
REMOTE_PREFIXES: Final[tuple[tuple[str, float], ...]] = (
    ("remote", 100.0),
    ("fully remote", 100.0),
    ("hybrid", 50.0),
    ("your choice", 50.0),
    ("in-person", 0.0),
    ("full in-person", 0.0),
    ("on-site", 0.0),
    ("onsite", 0.0),
    ("office", 0.0),
)

SIZE_LETTERS: Final[dict[str, str]] = {"s": "small", "m": "medium", "l": "large"}  # aijobs codes

_FIRST_NUMBER = re.compile(r"\d[\d,]*")
_PERCENT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*%?")


def remote_ratio(answer: object) -> float | None:
    """Percent of time remote for a percentage text or a survey or HR answer; else None.

    >>> remote_ratio(" 40 % "), remote_ratio("Hybrid"), remote_ratio("150"), remote_ratio("often")
    (40.0, 50.0, None, None)
    """
    if not isinstance(answer, str):
        return None
    text = answer.strip().lower().replace("’", "'")
    percent = _PERCENT.fullmatch(text)
    if percent is not None:
        ratio = float(percent.group(1))
        return ratio if ratio <= 100.0 else None
    if text in HOME_REMOTE_2017:
        return HOME_REMOTE_2017[text]
    for prefix, ratio in sorted(REMOTE_PREFIXES, key=lambda item: -len(item[0])):
        if text.startswith(prefix):
            return ratio
    return None


def company_size(answer: object) -> str | None:
    """small / medium / large for a size word, S/M/L, a headcount or a headcount band.

    A band counts by its lower edge against aijobs' limits (small < 50 <= medium < 250 <=
    large), so every source sizes companies alike. On Stack Overflow's bands: "Just me",
    "2 to 9", "Fewer than 10", "10 to 19", "Less than 20" and "20 to 99 employees" are small,
    "100 to 499" medium, "500 to 999" and up large; "I don't know" is missing.
    """
    if not isinstance(answer, str):
        return None
    text = answer.strip().lower()
    if text in COMPANY_SIZES:
        return text
    if text in SIZE_LETTERS:
        return SIZE_LETTERS[text]
    if text.startswith("just me"):
        return "small"
    return _size_of_headcount(text)


def _size_of_headcount(text: object) -> str | None:
    """'0-49 employees' -> small, '50-249 employees' -> medium, '> 10,000 employees' -> large."""
    if not isinstance(text, str):
        return None
    first = _FIRST_NUMBER.search(text)
    if first is None:
        return None
    lower_edge = _number(first.group())
    if lower_edge < 50:
        return "small"
    if lower_edge < 250:
        return "medium"
    return "large"


def _number(text: str) -> float:
    return float(text.replace(",", ""))
