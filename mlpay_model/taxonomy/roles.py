"""Job titles to canonical role families (`schema.ROLE_FAMILIES`).

The mapping lives in `roles.yaml` beside this module: exact titles, then ordered regular
expression rules on the normalised title (first match wins), then "other". Multi-select
answers (Stack Overflow 2017 `DeveloperType`) pick one family by the YAML's `list_priority`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final

from mlpay_model.errors import ConfigError
from mlpay_model.schema import ROLE_FAMILIES
from mlpay_model.taxonomy._common import (
    PatternRule,
    as_text,
    as_words,
    check_value,
    first_match,
    load_rules,
    load_yaml,
    normalise_words,
)

ROLES_FILE: Final = "roles.yaml"
OTHER: Final = "other"
# Separator of Stack Overflow multi-select answers ("Web developer; Data scientist").
LIST_SEPARATOR: Final = ";"
# Words a title key leaves out (seniority is a factor of its own) or spells out.
_SENIORITY_WORDS: Final = frozenset({"senior", "sr", "junior", "jr", "mid", "level"})
_SPELLED_OUT: Final = {"ml": "machine learning", "swe": "software engineer"}


@dataclass(frozen=True)
class RoleTable:
    exact: dict[str, str]
    rules: tuple[PatternRule, ...]
    list_priority: tuple[str, ...]


def role_family(title: object) -> str:
    """Canonical role family (schema.ROLE_FAMILIES) for a raw job title.

    "other" when unknown or missing.

    >>> role_family("Senior ML Engineer"), role_family("Developer, back-end")
    ('ml_engineer', 'backend_engineer')
    """
    words = as_words(title)
    return OTHER if words is None else _family_of_normalised(words)


@lru_cache(maxsize=65536)
def title_key(title: object) -> str | None:
    """The title as a model reads it beside its family: normalised words, seniority words
    left out, "ML" spelled out; None when missing.

    >>> title_key("Sr. ML Engineer"), title_key("Machine Learning Engineer")
    ('machine learning engineer', 'machine learning engineer')
    """
    words = as_words(title)
    if words is None:
        return None
    kept = [_SPELLED_OUT.get(word, word) for word in words.split() if word not in _SENIORITY_WORDS]
    return " ".join(kept) or None


_RANK_WORDS: Final = frozenset({"staff", "principal", "lead", "distinguished"})


def title_key_without_rank(key: str) -> str | None:
    """A title key with its rank words (staff, principal, lead) left out: what a rare ranked
    title ("staff machine learning engineer") is read as when the model does not know it, so
    that it is priced as its plain title at its seniority, never below it.

    >>> title_key_without_rank("staff machine learning engineer")
    'machine learning engineer'
    """
    kept = [word for word in key.split() if word not in _RANK_WORDS]
    return " ".join(kept) or None


def role_family_of_list(titles: Iterable[object] | str | None) -> str:
    """One family for a multi-select answer: the chosen label whose family ranks first.

    `titles` is an iterable of labels or one "; "-separated string (Stack Overflow 2017
    "Web developer; Machine learning specialist" -> "ml_engineer"). The ranking is
    `list_priority` in roles.yaml; "other" only when no label maps to another family.
    """
    if not isinstance(titles, Iterable):  # None, NaN, pd.NA
        return OTHER
    labels = titles.split(LIST_SEPARATOR) if isinstance(titles, str) else titles
    rank = {family: position for position, family in enumerate(_table().list_priority)}
    families = {role_family(label) for label in labels}
    return min(families, key=rank.__getitem__, default=OTHER)


def unmapped_titles(titles: Iterable[object]) -> Counter[str]:
    """How often each non-missing title maps to "other" (for data summaries and audits)."""
    counts: Counter[str] = Counter()
    for title in titles:
        text = as_text(title)
        if text is not None and role_family(text) == OTHER:
            counts[text] += 1
    return counts


@lru_cache(maxsize=65536)
def _family_of_normalised(title: str) -> str:
    table = _table()
    if title in table.exact:
        return table.exact[title]
    return first_match(table.rules, title, OTHER) or OTHER


@cache
def _table() -> RoleTable:
    data = load_yaml(ROLES_FILE)
    where = f"taxonomy file {ROLES_FILE}"
    exact = {
        normalise_words(str(title)): str(
            check_value(family, ROLE_FAMILIES, f"{where}, exact {title!r}", allow_null=False)
        )
        for title, family in (data.get("exact") or {}).items()
    }
    rules = load_rules(data["rules"], field="family", allowed=ROLE_FAMILIES, where=where)
    priority = tuple(data["list_priority"])
    if sorted(priority) != sorted(ROLE_FAMILIES):
        raise ConfigError(f"{where}: list_priority must name every role family exactly once")
    return RoleTable(exact=exact, rules=rules, list_priority=priority)
