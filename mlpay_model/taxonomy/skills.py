"""Skill answers to canonical skill tokens.

The vocabulary lives in `skills.yaml`: canonical tokens with their aliases, and the answers
that are not a skill ("None", "Other"). Lookup ignores case and surrounding/duplicate
whitespace (Kaggle pads its options). Unknown skills become a lower-case slug instead of
being dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Final

from mlpay_model.errors import ConfigError
from mlpay_model.taxonomy._common import as_text, load_yaml, normalise_key

SKILLS_FILE: Final = "skills.yaml"
# Separator of Stack Overflow multi-select answers ("Python;SQL;Go").
LIST_SEPARATOR: Final = ";"

_NOT_SLUG = re.compile(r"[^\w+#.]+|_+")


def canonical_skill(token: object) -> str | None:
    """Canonical skill token; None for empty/missing/"None"-style answers.

    "Scikit-learn" -> "scikit-learn", "Amazon Web Services (AWS)" -> "aws",
    "Bash/Shell (all shells)" -> "bash". Unknown skills become a normalised lower-case slug
    (never dropped silently).
    """
    text = as_text(token)
    if text is None:
        return None
    return _skill_of_key(normalise_key(text))


def canonical_skills(tokens: Iterable[object] | str | None) -> tuple[str, ...]:
    """Sorted, de-duplicated canonical tokens for a list of raw skills.

    A string is read as one ";"-separated answer (Stack Overflow: "Python;SQL;Go").
    """
    if not isinstance(tokens, Iterable):  # None, NaN, pd.NA
        return ()
    raw = tokens.split(LIST_SEPARATOR) if isinstance(tokens, str) else tokens
    return tuple(sorted({skill for token in raw if (skill := canonical_skill(token)) is not None}))


def is_unreadable_skill(token: object) -> bool:
    """True for a text that is not blank and not a "no skill" answer ("None") but gives no
    skill: nothing in it is a letter, digit, '+', '#' or '.' (an emoji, "???")."""
    text = as_text(token)
    if text is None:
        return False
    key = normalise_key(text)
    return _skill_of_key(key) is None and key not in _vocabulary()[0]


@lru_cache(maxsize=65536)
def _skill_of_key(key: str) -> str | None:
    not_a_skill, aliases = _vocabulary()
    if key in not_a_skill:
        return None
    if key in aliases:
        return aliases[key]
    return _NOT_SLUG.sub("-", key).strip("-.") or None


@cache
def _vocabulary() -> tuple[frozenset[str], dict[str, str]]:
    data = load_yaml(SKILLS_FILE)
    where = f"taxonomy file {SKILLS_FILE}"
    not_a_skill = frozenset(normalise_key(str(answer)) for answer in data["not_a_skill"])
    aliases: dict[str, str] = {}
    for canonical, names in data["skills"].items():
        for name in (canonical, *(names or ())):
            key = normalise_key(str(name))
            if aliases.get(key, canonical) != canonical or key in not_a_skill:
                raise ConfigError(f"{where}: {name!r} is listed for more than one skill")
            aliases[key] = str(canonical)
    return not_a_skill, aliases
