"""One field at a time: what a person typed or a file holds -> one canonical value.

Every normaliser takes one raw value and returns the canonical value (None / NaN / () when
missing), or raises InvalidInputError naming the field, the value, why, and the closest valid
values. Text holding a control character (CONTROL_CHARACTERS: U+0001, DEL, ...) is refused
in every field, never silently cleaned; tabs and line breaks read as spaces. Text goes
through the taxonomy (`mlpay_model.taxonomy`, whose data files hold the word tables); numbers
are checked for type and range. Lookups of text are cached.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache, lru_cache
from typing import Any, Final

from mlpay_model.errors import InvalidInputError, closest
from mlpay_model.schema import (
    COMPANY_SIZES,
    CONTEXT_COLUMNS,
    EDUCATION_LEVELS,
    EMPLOYMENT_STATUSES,
    EMPLOYMENT_TYPES,
    ROLE_FAMILIES,
    SENIORITY_LEVELS,
    is_missing,
)
from mlpay_model.taxonomy import (
    canonical_skills,
    company_size,
    country_code,
    country_name,
    country_of_city,
    education_level,
    employment_status,
    employment_type,
    experience_years,
    is_unreadable_skill,
    remote_ratio,
    role_family,
    seniority_level,
    title_seniority,
)

MAX_YEARS_EXPERIENCE: Final = 60.0
YEAR_RANGE: Final[tuple[int, int]] = (1990, 2100)
REQUIRED_FIELDS: Final[tuple[str, ...]] = ("role", "country")
OPTIONAL_FIELDS: Final[tuple[str, ...]] = ("years_experience", "education", "skills")
ACCEPTED_CONTEXT: Final[tuple[str, ...]] = CONTEXT_COLUMNS
FIELDS: Final[tuple[str, ...]] = REQUIRED_FIELDS + OPTIONAL_FIELDS + ACCEPTED_CONTEXT
"""The profile fields, in the order they are checked (a row is rejected for the first)."""

SKILL_SEPARATORS: Final = r"[,;]|\s+[+/]\s+"
"""Between skills in one text: a comma or semicolon, or a '+' or '/' with spaces on both
sides ("Python + PyTorch", "SQL / Spark"), so that "C++", "C++ + Python"'s "C++", "C#" and
"Bash/Shell" stay one skill each.
One pattern for Python's re and Arrow's RE2 (files)."""
_LIST_SEPARATORS: Final = re.compile(SKILL_SEPARATORS)
CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
"""The C0 and C1 control characters and DEL, except the whitespace ones (tab, line feed,
vertical tab, form feed, carriage return, next line), which read as spaces."""


def refuse_control_characters(field: str, value: str) -> str:
    """`value` itself; InvalidInputError naming the field, the value (its repr shows the
    character) and the character, when the text holds a control character."""
    found = CONTROL_CHARACTERS.search(value)
    if found is not None:
        raise InvalidInputError(field, value, _control_reason(found.group()))
    return value


def _control_reason(character: str, where: str = "") -> str:
    return (
        f"{where}contains the control character {character!r}; accepted: printable text "
        "(tabs and line breaks read as spaces)"
    )


def normalise_role(value: object) -> tuple[str, str | None]:
    """A job title -> (role family, the seniority the title states or None)."""
    if not isinstance(value, str):
        raise InvalidInputError("role", value, "must be a job title (text), e.g. 'ML Engineer'")
    text = refuse_control_characters("role", value).strip()
    if not text:
        raise InvalidInputError("role", value, "must not be empty; give a job title")
    return _role_of_text(text)


def normalise_country(value: object) -> str:
    """A country name or ISO code -> ISO 3166-1 alpha-2 code."""
    if not isinstance(value, str):
        raise InvalidInputError(
            "country", value, "must be a country name or ISO code (text), e.g. 'Germany' or 'DE'"
        )
    text = refuse_control_characters("country", value).strip()
    if not text:
        raise InvalidInputError("country", value, "must not be empty; give a country")
    code = country_code(text)
    if code is None:
        code = country_of_place(text)
    if code is None:
        city_in = country_of_city(text)
        if city_in is not None:
            example = f"'{text}, {country_name(city_in)}' or '{city_in}'"
            raise InvalidInputError(
                "country",
                value,
                f"is a city, and mlpay prices countries: give its country, e.g. {example}",
            )
        raise InvalidInputError(
            "country",
            value,
            "unknown country",
            closest(text, _country_names()),
            hint="a city alone is not read: add its country, e.g. 'Berlin, Germany' or 'DE'",
        )
    return code


def country_of_place(text: str) -> str | None:
    """The country of "City, Country" (the text after the last comma), or None.

    "Berlin, Germany" -> "DE"; a place without a comma, or whose last part is no country,
    gives None. Only for texts that are not a country themselves ("Korea, Republic of" is).
    """
    if "," not in text:
        return None
    return country_code(text.rsplit(",", 1)[1].strip()) or None


def normalise_years(value: object) -> float:
    """Years of professional experience (a number, a numeric text or a band like '5-10')."""
    if is_missing(value):
        return math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str):
        raise InvalidInputError("years_experience", value, "must be a number of years")
    if isinstance(value, str):
        if not refuse_control_characters("years_experience", value).strip():
            return math.nan
        years = _years_of_text(value.strip())
        if math.isnan(years) and value.strip().lower().lstrip("+-") == "nan":
            raise InvalidInputError(
                "years_experience", value, "must be a finite number (empty when unknown)"
            )
        if math.isnan(years):
            raise InvalidInputError(
                "years_experience", value, "not a number of years (e.g. 5, 2.5 or '5-10 years')"
            )
    else:
        years = float(value)
    if not math.isfinite(years):
        raise InvalidInputError("years_experience", value, "must be a finite number")
    if years < 0:
        raise InvalidInputError("years_experience", value, "cannot be negative")
    if years > MAX_YEARS_EXPERIENCE:
        raise InvalidInputError(
            "years_experience",
            value,
            f"more than {MAX_YEARS_EXPERIENCE:g} years of experience is not plausible",
        )
    return years


def normalise_education(value: object) -> str | None:
    """An education level in words ('MSc', "Bachelor's degree", 'phd') -> canonical level."""
    text = _optional_text("education", value, "an education level such as 'master' or 'PhD'")
    if text is None:
        return None
    level = _education_of_text(text)
    if level is None:
        raise InvalidInputError(
            "education",
            value,
            f"unknown education level; accepted: {', '.join(EDUCATION_LEVELS)} "
            "(or words such as 'MSc', 'PhD', 'high school')",
            closest(text, EDUCATION_LEVELS),
        )
    return level


def normalise_skills(value: object) -> tuple[str, ...]:
    """Skills as a list of names or one comma-separated text -> sorted canonical tokens."""
    return _skills_of_tokens(skill_tokens(value))


def skill_tokens(value: object) -> tuple[str, ...]:
    """The skill names of a list, or of one text split at SKILL_SEPARATORS (not normalised)."""
    if is_missing(value):
        return ()
    if isinstance(value, str):
        return tuple(_LIST_SEPARATORS.split(refuse_control_characters("skills", value)))
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray | Mapping):
        tokens = tuple(value)
        for token in tokens:
            if not isinstance(token, str):
                raise InvalidInputError("skills", value, f"every skill must be text; got {token!r}")
            found = CONTROL_CHARACTERS.search(token)
            if found is not None:
                raise InvalidInputError(
                    "skills", value, _control_reason(found.group(), f"the skill {token!r} ")
                )
        return tokens
    raise InvalidInputError(
        "skills", value, "must be a list of skill names or a comma-separated text"
    )


def unreadable_skills(value: object) -> tuple[str, ...]:
    """The names in `value` that give no skill although they are not blank and not an
    answer meaning "no skill" ("None", "Other"): emoji, punctuation. They are dropped; the
    caller says so."""
    return tuple(token for token in skill_tokens(value) if is_unreadable_skill(token))


def normalise_seniority(value: object) -> str | None:
    """A seniority word or aijobs code ('senior', 'Junior', 'SE', 'lead') -> canonical level."""
    text = _optional_text("seniority", value, "a seniority such as 'senior'")
    if text is None:
        return None
    level = text if text in SENIORITY_LEVELS else seniority_level(text)
    if level is None:
        raise InvalidInputError(
            "seniority",
            value,
            f"unknown seniority; accepted: {', '.join(SENIORITY_LEVELS)}",
            closest(text, SENIORITY_LEVELS),
        )
    return level


def normalise_employment_type(value: object) -> str | None:
    """'full-time', 'FT', 'contractor', 'self employed', ... -> schema.EMPLOYMENT_TYPES.

    The words are the taxonomy's (`taxonomy/employment.yaml`); "self employed" is freelance.
    """
    return _word_choice("employment_type", value, employment_type, EMPLOYMENT_TYPES)


def normalise_employment_status(value: object) -> str | None:
    """'Employed', 'self-employed', 'unemployed', ... -> schema.EMPLOYMENT_STATUSES.

    Not a profile field (no model reads it); files give it for the quality rules.
    """
    return _word_choice("employment_status", value, employment_status, EMPLOYMENT_STATUSES)


def normalise_company_size(value: object) -> str | None:
    """small/medium/large, S/M/L, a headcount or a band ("100 to 499") -> schema.COMPANY_SIZES.

    The rule is the taxonomy's (`taxonomy.company_size`), the same as for every data source.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value:
        value = str(value)
    text = _optional_text("company_size", value, f"one of {', '.join(COMPANY_SIZES)}")
    if text is None:
        return None
    size = company_size(text)
    if size is None:
        raise InvalidInputError(
            "company_size",
            value,
            f"accepted: {', '.join(COMPANY_SIZES)}, S/M/L or a headcount",
            closest(text, COMPANY_SIZES),
        )
    return size


def normalise_remote_ratio(value: object) -> float:
    """Share of remote work in percent (0-100): a number, a text such as ' 40 % ', or words.

    Text follows the taxonomy's one rule (`taxonomy.remote_ratio`): a percentage as written,
    remote 100, hybrid 50, in-person / onsite 0.
    """
    if is_missing(value):
        return math.nan
    if isinstance(value, str):
        if not refuse_control_characters("remote_ratio", value).strip():
            return math.nan
        worded = remote_ratio(value)
        ratio = math.nan if worded is None else worded
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        ratio = float(value)
    else:
        ratio = math.nan
    if not 0.0 <= ratio <= 100.0:  # also refuses NaN from unreadable text
        raise InvalidInputError(
            "remote_ratio",
            value,
            "must be a percentage from 0 to 100 (or 'remote', 'hybrid', 'onsite')",
        )
    return ratio


def normalise_year(value: object) -> int | None:
    """The calendar year the pay refers to, as an int."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        if not refuse_control_characters("year", value).strip():
            return None
        number = float_or_nan(value.strip())
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    else:
        number = math.nan
    low, high = YEAR_RANGE
    if not (math.isfinite(number) and number.is_integer() and low <= number <= high):
        raise InvalidInputError("year", value, f"must be a whole year from {low} to {high}")
    return int(number)


FIELD_NORMALISERS: Final[dict[str, Callable[[Any], Any]]] = {
    "country": normalise_country,
    "years_experience": normalise_years,
    "education": normalise_education,
    "skills": normalise_skills,
    "seniority": normalise_seniority,
    "employment_type": normalise_employment_type,
    "remote_ratio": normalise_remote_ratio,
    "company_size": normalise_company_size,
    "year": normalise_year,
    "employment_status": normalise_employment_status,
}
"""Field -> normaliser for every field except `role` (which also yields a seniority hint)."""


def is_empty_value(value: object) -> bool:
    """Missing, or an empty skills list."""
    return is_missing(value) or value == ()


def float_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _optional_text(field: str, value: object, example: str) -> str | None:
    """Stripped text, or None when missing/blank; InvalidInputError when not text."""
    if is_missing(value):
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field, value, f"must be text: {example}")
    return refuse_control_characters(field, value).strip() or None


def _word_choice(
    field: str, value: object, lookup: Callable[[str], str | None], accepted: tuple[str, ...]
) -> str | None:
    text = _optional_text(field, value, f"one of {', '.join(accepted)}")
    if text is None:
        return None
    choice = lookup(text)
    if choice is None:
        raise InvalidInputError(
            field, value, f"accepted: {', '.join(accepted)}", closest(text, accepted)
        )
    return choice


@lru_cache(maxsize=4096)
def _role_of_text(text: str) -> tuple[str, str | None]:
    family = text if text in ROLE_FAMILIES else role_family(text)
    return family, title_seniority(text)


@lru_cache(maxsize=1024)
def _years_of_text(text: str) -> float:
    number = float_or_nan(text)
    return number if not math.isnan(number) else experience_years(text)


@lru_cache(maxsize=1024)
def _education_of_text(text: str) -> str | None:
    return text if text in EDUCATION_LEVELS else education_level(text)


@lru_cache(maxsize=4096)
def _skills_of_tokens(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return canonical_skills(tokens)


@cache
def _country_names() -> tuple[str, ...]:
    """Country names for 'did you mean' hints (only needed when a country is unknown)."""
    import pycountry

    names: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                names.add(str(name))
    return tuple(sorted(names))
