"""What people type and what files hold, normalised to canonical profile values.

Three entry points:
    normalise_profile(role, country, ...)  one profile (the `predict_salary` arguments);
                                           raises InvalidInputError on the first bad field
    normalise_frame(frame)                 a whole table; bad rows are set aside with one
                                           reason each instead of raising
    check_canonical(profiles)              refuses a frame whose values are not canonical
                                           (what `SalaryModel.predict` expects)

Every field goes through one normaliser in FIELD_NORMALISERS, so a profile typed by a user
and a row read from a file are treated the same way. Text goes through the taxonomy (job
titles, country names or codes, education words, skill aliases; `mlpay_model.taxonomy`);
numbers are checked for type and range. When no seniority is given, the one a title states
("Senior ML Engineer" -> senior) is used. Normalisers of text are cached: each distinct
value is worked out once.

Seniority from years: a model that reads seniority but not years of experience (aijobs)
would otherwise ignore the years a caller gives. For such a model, a profile with years but
no seniority (neither given nor stated by the title) gets `seniority_from_years(years)`:
SENIORITY_FROM_YEARS_RULE, i.e. under 2 years entry, 2 to under 5 mid, 5 or more senior; never
executive (years alone do not make a director). Normalisation itself does not know the model,
so the rule is applied where the model is known: `SalaryModel` applies it to every record and
frame it predicts (`record_with_seniority_from_years`, `frame_with_seniority_from_years`), so
`predict_salary`, `mlpay whatif` and batch scoring agree; `predict_salary` applies it first
(`ProfileInput.with_seniority_from_years`) to show the derived seniority and warn about it.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mlpay_model.errors import InvalidInputError, closest
from mlpay_model.schema import (
    ALLOWED_VALUES,
    COMPANY_SIZES,
    CONTEXT_COLUMNS,
    EDUCATION_LEVELS,
    EMPLOYMENT_TYPES,
    ROLE_FAMILIES,
    SENIORITY_LEVELS,
)
from mlpay_model.taxonomy import (
    canonical_skills,
    company_size,
    country_code,
    education_level,
    experience_years,
    remote_ratio,
    role_family,
    seniority_level,
    title_seniority,
)

if TYPE_CHECKING:
    import pandas as pd

MAX_YEARS_EXPERIENCE: Final = 60.0
YEAR_RANGE: Final[tuple[int, int]] = (1990, 2100)
REQUIRED_FIELDS: Final[tuple[str, ...]] = ("role", "country")
OPTIONAL_FIELDS: Final[tuple[str, ...]] = ("years_experience", "education", "skills")
ACCEPTED_CONTEXT: Final[tuple[str, ...]] = CONTEXT_COLUMNS
FIELDS: Final[tuple[str, ...]] = REQUIRED_FIELDS + OPTIONAL_FIELDS + ACCEPTED_CONTEXT

EMPLOYMENT_WORDS: Final[dict[str, str]] = {
    **{kind: kind for kind in EMPLOYMENT_TYPES},
    "ft": "full_time",
    "fulltime": "full_time",
    "permanent": "full_time",
    "pt": "part_time",
    "parttime": "part_time",
    "ct": "contract",
    "contractor": "contract",
    "fl": "freelance",
    "freelancer": "freelance",
}

SENIORITY_FROM_YEARS: Final[tuple[tuple[float, str], ...]] = (
    (2.0, "entry"),
    (5.0, "mid"),
    (math.inf, "senior"),
)
"""(years below, seniority) in order: the first bound above the years gives the level."""
SENIORITY_FROM_YEARS_RULE: Final = "<2 entry, <5 mid, else senior"

_LIST_SEPARATORS: Final = re.compile(r"[,;]")
_WORD_BREAKS: Final = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class ProfileInput:
    """One profile in canonical values, and what normalisation had to work out.

    `record` maps every canonical factor and context column to its value (None / NaN /
    () when missing), ready for `FeatureEncoder.encode_record`. `given` names the fields the
    caller gave a value for. `seniority_from_title` is True when the seniority was read from
    the job title rather than given; `seniority_from_years` when it was derived from the
    years of experience (`with_seniority_from_years`).
    """

    record: dict[str, Any]
    role_text: str
    given: frozenset[str]
    seniority_from_title: bool
    seniority_from_years: bool = False

    def with_seniority_from_years(self) -> ProfileInput:
        """This profile with `seniority_from_years(years)` when it has years but no seniority.

        For a model that reads seniority but not years (`SalaryModel.derives_seniority_from_years`).
        """
        record = record_with_seniority_from_years(self.record)
        if record is self.record:
            return self
        return replace(self, record=dict(record), seniority_from_years=True)


@dataclass(frozen=True)
class NormalisedFrame:
    """`profiles`: the accepted rows as a canonical frame (original index kept).

    `rejected`: one row per refused input row, columns row (the input's index label),
    field, value and reason; ordered field by field (in FIELDS order), then by row.
    """

    profiles: pd.DataFrame
    rejected: pd.DataFrame


# --- one field at a time ------------------------------------------------------------------


def normalise_role(value: object) -> tuple[str, str | None]:
    """A job title -> (role family, the seniority the title states or None)."""
    if not isinstance(value, str):
        raise InvalidInputError("role", value, "must be a job title (text), e.g. 'ML Engineer'")
    text = value.strip()
    if not text:
        raise InvalidInputError("role", value, "must not be empty; give a job title")
    return _role_of_text(text)


def normalise_country(value: object) -> str:
    """A country name or ISO code -> ISO 3166-1 alpha-2 code."""
    if not isinstance(value, str):
        raise InvalidInputError(
            "country", value, "must be a country name or ISO code (text), e.g. 'Germany' or 'DE'"
        )
    text = value.strip()
    if not text:
        raise InvalidInputError("country", value, "must not be empty; give a country")
    code = country_code(text)
    if code is None:
        raise InvalidInputError(
            "country", value, "unknown country", closest(text, _country_names())
        )
    return code


def normalise_years(value: object) -> float:
    """Years of professional experience (a number, a numeric text or a band like '5-10')."""
    if _is_missing(value):
        return math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str):
        raise InvalidInputError("years_experience", value, "must be a number of years")
    if isinstance(value, str):
        if not value.strip():
            return math.nan
        years = _years_of_text(value.strip())
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
    if _is_missing(value):
        return ()
    if isinstance(value, str):
        tokens: tuple[Any, ...] = tuple(_LIST_SEPARATORS.split(value))
    elif isinstance(value, Iterable) and not isinstance(value, bytes | bytearray | Mapping):
        tokens = tuple(value)
        for token in tokens:
            if not isinstance(token, str):
                raise InvalidInputError("skills", value, f"every skill must be text; got {token!r}")
    else:
        raise InvalidInputError(
            "skills", value, "must be a list of skill names or a comma-separated text"
        )
    return _skills_of_tokens(tokens)


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
    """'full-time', 'FT', 'contractor', ... -> one of schema.EMPLOYMENT_TYPES."""
    return _word_choice("employment_type", value, EMPLOYMENT_WORDS, EMPLOYMENT_TYPES)


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
    """Share of remote work in percent (0-100), a text such as '50%', or remote/hybrid/onsite."""
    if _is_missing(value):
        return math.nan
    if isinstance(value, str):
        worded = remote_ratio(value)  # remote / hybrid / in-person / onsite ... (taxonomy)
        if worded is not None:
            return worded
        ratio = _float_or_nan(value.strip().rstrip("%"))
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
    if _is_missing(value):
        return None
    if isinstance(value, str):
        number = _float_or_nan(value.strip())
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    else:
        number = math.nan
    low, high = YEAR_RANGE
    if not (math.isfinite(number) and number.is_integer() and low <= number <= high):
        raise InvalidInputError("year", value, f"must be a whole year from {low} to {high}")
    return int(number)


def seniority_from_years(years: float) -> str:
    """The seniority that `years` of experience stand for (SENIORITY_FROM_YEARS_RULE).

    Only for models that read seniority but not years; `years` is a normalised number >= 0.
    """
    for bound, level in SENIORITY_FROM_YEARS:
        if years < bound:
            return level
    return SENIORITY_FROM_YEARS[-1][1]  # pragma: no cover - the last bound is infinite


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
}
"""Field -> normaliser for every field except `role` (which also yields a seniority hint)."""


# --- one profile ----------------------------------------------------------------------------


def normalise_profile(
    role: object,
    country: object,
    years_experience: object = None,
    education: object = None,
    skills: object = (),
    **context: object,
) -> ProfileInput:
    """The arguments of `predict_salary` as one canonical record.

    Context keywords: seniority, employment_type, remote_ratio, company_size, year. Raises
    InvalidInputError naming the first invalid field (or unknown keyword) and its value.
    """
    unknown = [name for name in context if name not in ACCEPTED_CONTEXT]
    if unknown:
        name = unknown[0]
        raise InvalidInputError(
            name,
            context[name],
            "unknown argument; accepted: role, country, years_experience, education, skills, "
            + ", ".join(ACCEPTED_CONTEXT),
            closest(name, FIELDS),
        )
    if _is_missing(role):
        raise InvalidInputError("role", role, "is required: give a job title")
    if _is_missing(country):
        raise InvalidInputError("country", country, "is required: give a country name or code")
    family, title_level = normalise_role(role)
    raw = {
        "country": country,
        "years_experience": years_experience,
        "education": education,
        "skills": skills,
        **context,
    }
    record: dict[str, Any] = {"role": family, "role_raw": str(role).strip()}
    for name in FIELDS[1:]:
        record[name] = FIELD_NORMALISERS[name](raw.get(name))
    given = frozenset(
        name for name in FIELDS if name == "role" or not _is_empty_value(record[name])
    )
    from_title = record["seniority"] is None and title_level is not None
    if from_title:
        record["seniority"] = title_level
    return ProfileInput(
        record=record,
        role_text=str(role).strip(),
        given=given,
        seniority_from_title=from_title,
    )


# --- whole tables ---------------------------------------------------------------------------


def normalise_frame(
    frame: pd.DataFrame, *, required: Iterable[str] = REQUIRED_FIELDS
) -> NormalisedFrame:
    """Normalise every row of a table of raw profile columns; set bad rows aside.

    Columns read: role, country, years_experience, education, skills and the context columns
    (others are ignored; the output keeps the input's index so they can be joined back).
    A row is rejected for the first field that is invalid, or missing although `required`.
    """
    import pandas as pd

    from mlpay_model.schema import conform

    required = tuple(required)
    missing_columns = [name for name in required if name not in frame.columns]
    if missing_columns:
        raise InvalidInputError(
            "columns",
            list(frame.columns),
            f"missing required column(s) {', '.join(missing_columns)}; profile columns are: "
            + ", ".join(FIELDS),
        )
    columns: dict[str, list[Any]] = {}
    problems: dict[int, tuple[str, object, str]] = {}  # by row position: labels may repeat
    for name in FIELDS:
        if name not in frame.columns:
            continue
        normalise = _normalise_role_only if name == "role" else FIELD_NORMALISERS[name]
        values: list[Any] = []
        for position, (original, result) in enumerate(_distinct_mapper(frame[name], normalise)):
            if isinstance(result, InvalidInputError):
                problems.setdefault(position, (name, original, result.reason))
                result = None
            elif name in required and _is_empty_value(result):
                problems.setdefault(position, (name, original, "is required but missing"))
            values.append(result)
        columns[name] = values
    out = pd.DataFrame(columns, index=frame.index)
    if "role" in frame.columns:
        out["role_raw"] = frame["role"].astype(object).where(frame["role"].notna(), None)
        hints = [title_seniority(text) if isinstance(text, str) else None for text in frame["role"]]
        given = out["seniority"].tolist() if "seniority" in out else [None] * len(out)
        out["seniority"] = [
            hint if _is_missing(level) else level for level, hint in zip(given, hints, strict=True)
        ]
    if "country" in frame.columns:
        out["country_raw"] = frame["country"].astype(object).where(frame["country"].notna(), None)
    keep = [position not in problems for position in range(len(frame))]
    labels = frame.index
    rejected = pd.DataFrame(
        [
            {"row": labels[position], "field": field, "value": value, "reason": reason}
            for position, (field, value, reason) in problems.items()
        ],
        columns=["row", "field", "value", "reason"],
    )
    return NormalisedFrame(profiles=conform(out.loc[keep]), rejected=rejected)


def record_with_seniority_from_years(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A canonical record with years but no seniority, with `seniority_from_years` added.

    The same record when it has a seniority or no years, else a new dict.
    """
    years: Any = record.get("years_experience")
    if not _is_missing(record.get("seniority")) or _is_missing(years):
        return record
    return {**record, "seniority": seniority_from_years(float(years))}


def frame_with_seniority_from_years(profiles: pd.DataFrame) -> pd.DataFrame:
    """Canonical profiles where rows with years but no seniority get `seniority_from_years`.

    The same frame when no row needs it, else a copy. Rows with a seniority keep it.
    """
    if "years_experience" not in profiles.columns:
        return profiles
    import pandas as pd

    years = pd.to_numeric(profiles["years_experience"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    seniority = profiles["seniority"] if "seniority" in profiles.columns else None
    absent = (
        np.ones(len(profiles), dtype=bool) if seniority is None else seniority.isna().to_numpy()
    )
    fill = absent & ~np.isnan(years)
    if not fill.any():
        return profiles
    distinct, positions = np.unique(years[fill], return_inverse=True)
    levels = np.array([seniority_from_years(value) for value in distinct.tolist()], dtype=object)
    values = np.full(len(profiles), None, dtype=object)  # missing as None, as `conform` has it
    if seniority is not None:
        values[~absent] = seniority.to_numpy(dtype=object)[~absent]
    values[fill] = levels[positions]
    return profiles.assign(seniority=pd.Series(values, index=profiles.index, dtype=object))


def check_canonical(profiles: object) -> None:
    """Refuse a frame that `SalaryModel.predict` cannot read as canonical profiles.

    It must be a DataFrame with a `role` column; categorical columns must hold schema values,
    `country` ISO alpha-2 codes and numeric columns numbers (missing values are fine).
    """
    import pandas as pd

    if not isinstance(profiles, pd.DataFrame):
        raise InvalidInputError(
            "profiles",
            type(profiles).__name__,
            "must be a pandas DataFrame of canonical profile columns",
        )
    if "role" not in profiles.columns:
        raise InvalidInputError(
            "profiles",
            list(profiles.columns)[:8],
            "needs a 'role' column; canonical profile columns are: " + ", ".join(FIELDS),
        )
    hint = "normalise raw text first with mlpay_model.normalise.normalise_frame"
    for name, allowed in ALLOWED_VALUES.items():
        if name not in profiles.columns:
            continue
        bad = _first_bad(profiles[name], allowed.__contains__)
        if bad is not None:
            label, value = bad
            raise InvalidInputError(
                name,
                value,
                f"row {label!r}: not a canonical value (expected one of {', '.join(allowed)}); "
                + hint,
                closest(str(value), allowed),
            )
    if "country" in profiles.columns:
        bad = _first_bad(profiles["country"], _is_alpha2)
        if bad is not None:
            raise InvalidInputError(
                "country", bad[1], f"row {bad[0]!r}: not an ISO 3166-1 alpha-2 code; " + hint
            )
    for name in ("years_experience", "remote_ratio", "year"):
        if name in profiles.columns and not pd.api.types.is_numeric_dtype(profiles[name]):
            bad = _first_bad(profiles[name], lambda value: not math.isnan(_float_or_nan(value)))
            if bad is not None:
                raise InvalidInputError(name, bad[1], f"row {bad[0]!r}: not a number; " + hint)


# --- helpers --------------------------------------------------------------------------------


def _normalise_role_only(value: object) -> str:
    return normalise_role(value)[0]


def _distinct_mapper(
    column: pd.Series, normalise: Callable[[Any], Any]
) -> list[tuple[object, object]]:
    """(value, normalised value or the InvalidInputError) per cell; missing cells give None.

    Each distinct hashable value is normalised once (keyed by type too, so True and 1 differ).
    """
    seen: dict[tuple[type, Any], object] = {}
    out: list[tuple[object, object]] = []
    for value in column.tolist():
        if _is_missing(value):
            out.append((value, None))
            continue
        key: tuple[type, Any] | None = (type(value), value)
        try:
            hash(key)
        except TypeError:
            key = None  # lists of skills: normalised every time
        if key is not None and key in seen:
            out.append((value, seen[key]))
            continue
        try:
            result: object = normalise(value)
        except InvalidInputError as error:
            result = error
        if key is not None:
            seen[key] = result
        out.append((value, result))
    return out


def _first_bad(column: pd.Series, is_valid: Callable[[Any], bool]) -> tuple[Any, Any] | None:
    """(index label, value) of the first non-missing value that is not valid, if any.

    Each distinct value is checked once, so this stays fast on large frames.
    """
    import pandas as pd

    present = column[column.notna()]
    try:
        distinct = pd.unique(present.to_numpy(dtype=object))
    except TypeError:  # unhashable cells, e.g. lists
        distinct = present.to_numpy(dtype=object)
    bad = [value for value in distinct if not _is_missing(value) and not is_valid(value)]
    if not bad:
        return None
    for label, value in present.items():
        if any(value is candidate for candidate in bad) or _equals(value, bad[0]):
            return label, value
    return None  # pragma: no cover - a bad value always comes from `present`


def _equals(left: object, right: object) -> bool:
    try:
        return bool(left == right)
    except (TypeError, ValueError):
        return False


def _is_alpha2(value: object) -> bool:
    return isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper()


def _is_missing(value: object) -> bool:
    """None, NaN (Python or numpy), pd.NA or pd.NaT; never raises."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def _is_empty_value(value: object) -> bool:
    return _is_missing(value) or value == ()


def _optional_text(field: str, value: object, example: str) -> str | None:
    """Stripped text, or None when missing/blank; InvalidInputError when not text."""
    if _is_missing(value):
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field, value, f"must be text: {example}")
    return value.strip() or None


def _word_choice(
    field: str, value: object, words: Mapping[str, str], accepted: tuple[str, ...]
) -> str | None:
    text = _optional_text(field, value, f"one of {', '.join(accepted)}")
    if text is None:
        return None
    choice = words.get(_word_key(text))
    if choice is None:
        raise InvalidInputError(
            field, value, f"accepted: {', '.join(accepted)}", closest(text, accepted)
        )
    return choice


def _word_key(text: str) -> str:
    return _WORD_BREAKS.sub("_", text.strip().casefold())


def _float_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


@lru_cache(maxsize=4096)
def _role_of_text(text: str) -> tuple[str, str | None]:
    family = text if text in ROLE_FAMILIES else role_family(text)
    return family, title_seniority(text)


@lru_cache(maxsize=1024)
def _years_of_text(text: str) -> float:
    number = _float_or_nan(text)
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
