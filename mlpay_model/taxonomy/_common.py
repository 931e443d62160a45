"""Helpers shared by the taxonomy modules: missing values, text normalisation, data files."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from mlpay_model._yaml import parse_yaml
from mlpay_model.errors import ConfigError
from mlpay_model.schema import is_missing as is_missing_value

# What survey files write for "no answer" (Stack Overflow writes the text "NA").
MISSING_TEXTS: Final[frozenset[str]] = frozenset({"na", "n/a", "nan", "null", "<na>"})

_NOT_WORD = re.compile(r"[^\w+#]+|_+")


def is_missing(value: object) -> bool:
    """True for a missing value (`schema.is_missing`: None, NaN, pd.NA/NaT) or blank text."""
    if isinstance(value, str):
        return not value.strip()
    return is_missing_value(value)


def normalise_words(text: str) -> str:
    """Lower-case words, single spaces: "Sr. Data-Scientist (ML)" -> "sr data scientist ml".

    Keeps letters, digits, "+" and "#" (so "C++" and "C#" survive); curly quotes and every
    other punctuation mark become spaces.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def normalise_key(text: str) -> str:
    """Case-folded text with collapsed whitespace and straight apostrophes (for exact lookups)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def as_text(value: object) -> str | None:
    """The value as stripped text, or None when it is missing (including the text "NA")."""
    if is_missing(value):
        return None
    text = str(value).strip()
    if text.casefold() in MISSING_TEXTS:
        return None
    return text


def as_words(value: object) -> str | None:
    """`normalise_words` of the value's text, or None when it is missing."""
    text = as_text(value)
    return None if text is None else normalise_words(text)


@cache
def load_yaml(name: str) -> Any:
    """Parse a data file shipped beside this module; a ConfigError if it is broken."""
    try:
        content = resources.files("mlpay_model.taxonomy").joinpath(name).read_text("utf-8")
        return parse_yaml(content)
    except (OSError, yaml.YAMLError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError(f"taxonomy file {name}: cannot be read ({first_line})") from None


def compile_pattern(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"{where}: invalid pattern {pattern!r} ({error})") from None


@dataclass(frozen=True)
class PatternRule:
    """One row of an ordered rule table: any pattern found in the text gives `value`."""

    value: str | None
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.patterns)


def first_match(rules: Iterable[PatternRule], text: str, default: str | None) -> str | None:
    """The value of the first rule that matches `text` (first match wins), else `default`."""
    for rule in rules:
        if rule.matches(text):
            return rule.value
    return default


def load_rules(
    entries: Iterable[dict[str, Any]],
    *,
    field: str,
    allowed: Iterable[str],
    where: str,
    allow_null: bool = False,
) -> tuple[PatternRule, ...]:
    """Ordered rules from YAML entries `{<field>: value, patterns: [regex, ...]}`, checked."""
    allowed = tuple(allowed)
    rules = []
    for number, entry in enumerate(entries, start=1):
        place = f"{where}, rule {number}"
        patterns = entry.get("patterns") or []
        if field not in entry or not patterns:
            raise ConfigError(f"{place}: needs '{field}' and a non-empty 'patterns' list")
        value = check_value(entry[field], allowed, place, allow_null=allow_null)
        rules.append(PatternRule(value, tuple(compile_pattern(p, place) for p in patterns)))
    return tuple(rules)


def check_value(
    value: object, allowed: tuple[str, ...], where: str, *, allow_null: bool
) -> str | None:
    """`value` if it is one of `allowed` (or None when `allow_null`), else a ConfigError."""
    if value is None and allow_null:
        return None
    if value not in allowed:
        raise ConfigError(f"{where}: unknown value {value!r}; expected one of {', '.join(allowed)}")
    return str(value)
