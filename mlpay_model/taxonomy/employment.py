"""Employment type and status words to canonical values (`schema.EMPLOYMENT_TYPES`, `..._STATUSES`).

The word tables live in `employment.yaml`: a whole text, read as lower-case words
("Full-time", "FT", "self_employed"), names a value; anything else is None (unknown).
"""

from __future__ import annotations

from functools import cache
from typing import Final

from mlpay_model.schema import EMPLOYMENT_STATUSES, EMPLOYMENT_TYPES
from mlpay_model.taxonomy._common import as_words, check_value, load_yaml, normalise_words

EMPLOYMENT_FILE: Final = "employment.yaml"


def employment_type(value: object) -> str | None:
    """Canonical employment type for 'full-time', 'FT', 'contractor', 'self employed', ...

    >>> employment_type("Full-time"), employment_type("CT"), employment_type("weekly")
    ('full_time', 'contract', None)
    """
    words = as_words(value)
    return None if words is None else _words("employment_type", EMPLOYMENT_TYPES).get(words)


def employment_status(value: object) -> str | None:
    """Canonical employment status for 'Employed', 'self-employed', 'unemployed', ...

    >>> employment_status("Self-employed"), employment_status("on leave")
    ('self_employed', None)
    """
    words = as_words(value)
    return None if words is None else _words("employment_status", EMPLOYMENT_STATUSES).get(words)


@cache
def _words(table: str, allowed: tuple[str, ...]) -> dict[str, str]:
    where = f"taxonomy file {EMPLOYMENT_FILE}, {table}"
    words: dict[str, str] = {}
    for value, spellings in load_yaml(EMPLOYMENT_FILE)[table].items():
        canonical = str(check_value(value, allowed, where, allow_null=False))
        for spelling in (canonical, *spellings):
            words[normalise_words(str(spelling))] = canonical
    return words
