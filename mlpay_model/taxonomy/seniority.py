"""Seniority codes, words and title hints to canonical levels (`schema.SENIORITY_LEVELS`).

The mapping lives in `seniority.yaml`: whole answers that name a level (aijobs codes
EN/MI/SE/EX, "junior", "mid-level"...), then ordered patterns that read a hint from a title
("Senior ML Engineer" -> senior, "Head of Data" -> executive).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Final

from mlpay_model.schema import SENIORITY_LEVELS
from mlpay_model.taxonomy._common import (
    PatternRule,
    as_words,
    check_value,
    first_match,
    load_rules,
    load_yaml,
    normalise_words,
)

SENIORITY_FILE: Final = "seniority.yaml"


def seniority_level(value: object) -> str | None:
    """Canonical seniority (schema.SENIORITY_LEVELS) from aijobs codes EN/MI/SE/EX or words.

    None when unknown.

    >>> seniority_level("SE"), seniority_level("Mid-level"), seniority_level("Principal")
    ('senior', 'mid', 'senior')
    """
    words = as_words(value)
    if words is None:
        return None
    exact = _exact()
    if words in exact:
        return exact[words]
    return _title_level(words)


def title_seniority(title: object) -> str | None:
    """The seniority a job title states, if any ("Lead Data Scientist" -> "senior"); else None.

    >>> title_seniority("Junior Analyst"), title_seniority("Head of AI"), title_seniority("SWE")
    ('entry', 'executive', None)
    """
    words = as_words(title)
    return None if words is None else _title_level(words)


@lru_cache(maxsize=65536)
def _title_level(words: str) -> str | None:
    return first_match(_title_rules(), words, None)


@cache
def _exact() -> dict[str, str]:
    where = f"taxonomy file {SENIORITY_FILE}, exact"
    return {
        normalise_words(str(word)): str(
            check_value(level, SENIORITY_LEVELS, where, allow_null=False)
        )
        for word, level in load_yaml(SENIORITY_FILE)["exact"].items()
    }


@cache
def _title_rules() -> tuple[PatternRule, ...]:
    return load_rules(
        load_yaml(SENIORITY_FILE)["title_rules"],
        field="level",
        allowed=SENIORITY_LEVELS,
        where=f"taxonomy file {SENIORITY_FILE}",
    )
