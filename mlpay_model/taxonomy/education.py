"""Education answers to canonical levels (`schema.EDUCATION_LEVELS`).

The mapping lives in `education.yaml`: exact answers, then ordered patterns on the
normalised text (first match wins). Works on survey answers ("Master’s degree", with a curly
apostrophe) and on what users type ("MSc", "PhD", "bachelor's", "high school", "none").
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Final

from mlpay_model.schema import EDUCATION_LEVELS
from mlpay_model.taxonomy._common import (
    PatternRule,
    as_words,
    check_value,
    first_match,
    load_rules,
    load_yaml,
    normalise_words,
)

EDUCATION_FILE: Final = "education.yaml"


def education_level(text: object) -> str | None:
    """Canonical education level (schema.EDUCATION_LEVELS) for a raw answer.

    None when unknown, missing or "prefer not to say".

    >>> education_level("Master’s degree"), education_level("PhD"), education_level("Other")
    ('master', 'doctorate', None)
    """
    words = as_words(text)
    return None if words is None else _level_of_normalised(words)


@lru_cache(maxsize=65536)
def _level_of_normalised(answer: str) -> str | None:
    exact = _exact()
    if answer in exact:
        return exact[answer]
    return first_match(_rules(), answer, None)


@cache
def _exact() -> dict[str, str | None]:
    where = f"taxonomy file {EDUCATION_FILE}, exact"
    return {
        normalise_words(str(answer)): check_value(level, EDUCATION_LEVELS, where, allow_null=True)
        for answer, level in (load_yaml(EDUCATION_FILE).get("exact") or {}).items()
    }


@cache
def _rules() -> tuple[PatternRule, ...]:
    return load_rules(
        load_yaml(EDUCATION_FILE)["rules"],
        field="level",
        allowed=EDUCATION_LEVELS,
        where=f"taxonomy file {EDUCATION_FILE}",
        allow_null=True,
    )
