"""A user's own CSV or Parquet file, read through a YAML column mapping.

An HR team keeps its column names; the mapping says which column holds which canonical field.
Values go through the same taxonomy as the public sources, so "Sr. ML Engineer", "Germany" or
"MSc" become canonical values. See `configs/mappings/example_hr.yaml` for a commented example.

Mapping format (YAML)::

    source_name: acme_hr      # optional label for reports (`ColumnMapping.source_name`,
                              # default the mapping file's name); the profiles' `source`
                              # column is always "csv" since quality rules key on it
    columns:                  # canonical field: the user's column name (quote odd names)
      role: Job Title         # required
      country: Work Country   # required (a name, alpha-2 or alpha-3 code)
      years_experience: Years of Experience   # a number or a band such as "3-5 years"
      education: Highest Degree
      skills: Skills          # several skills in one cell, split on skills_separator
      seniority: Level        # EN/MI/SE/EX or words (junior, senior, ...); where not
                              # mapped or blank, the title's own word ("Senior ...") if any
      employment_type: Contract        # full_time, part_time, contract, freelance, FT/PT/CT/FL
      employment_status: Status        # employed, self_employed, not_employed, student, ...
      remote_ratio: Remote    # 0-100, or remote / hybrid / in-person
      company_size: Company Size       # small/medium/large, S/M/L, a headcount or a band
      year: Pay Year          # the year the pay refers to
      salary_usd: Base Salary USD      # exact annual pay; or both of the two below
      salary_usd_low: Band Min USD     # a pay band's lower edge
      salary_usd_high: Band Max USD    # a pay band's upper edge
    skills_separator: ";"     # optional, default ";"
    salary_multiplier: 1.0    # optional, default 1; e.g. 12 for monthly pay, or an FX rate

Only `role` and `country` must be mapped; a file to score needs no pay columns. Every row is
kept, `row_number` is the 1-based data row. Mapping mistakes raise `ConfigError`, data
mistakes `DataError`; both name the key, column, value, row and files involved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pandas as pd
import yaml

from mlpay_model import schema
from mlpay_model.data.sources._io import map_distinct, read_table, to_numbers
from mlpay_model.errors import ConfigError, DataError, closest
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

SOURCE: Final = "csv"
REQUIRED_FIELDS: Final = ("role", "country")
SALARY_FIELDS: Final = ("salary_usd", "salary_usd_low", "salary_usd_high")
MAPPABLE_FIELDS: Final = (
    "role",
    "country",
    "years_experience",
    "education",
    "skills",
    "seniority",
    "employment_type",
    "employment_status",
    "remote_ratio",
    "company_size",
    "year",
    *SALARY_FIELDS,
)
MAPPING_KEYS: Final = ("source_name", "columns", "skills_separator", "salary_multiplier")
WHAT: Final = "a CSV or Parquet file"

# Spellings HR exports use, normalised by `_word_key`.
EMPLOYMENT_TYPE_WORDS: Final[dict[str, str]] = {
    "full time": "full_time",
    "fulltime": "full_time",
    "ft": "full_time",
    "part time": "part_time",
    "parttime": "part_time",
    "pt": "part_time",
    "contract": "contract",
    "contractor": "contract",
    "ct": "contract",
    "freelance": "freelance",
    "freelancer": "freelance",
    "fl": "freelance",
    "self employed": "freelance",
}
EMPLOYMENT_STATUS_WORDS: Final[dict[str, str]] = {
    **{_status.replace("_", " "): _status for _status in schema.EMPLOYMENT_STATUSES},
    "unemployed": "not_employed",
}


@dataclass(frozen=True)
class ColumnMapping:
    """A validated mapping: canonical field -> the user's column, plus reading options."""

    columns: Mapping[str, str]
    source_name: str
    skills_separator: str = ";"
    salary_multiplier: float = 1.0
    path: Path = field(default=Path("<mapping>"), compare=False)


def load(path: Path, mapping: Path) -> pd.DataFrame:
    """A canonical profile frame with one row per row of the user's file `path`."""
    path, mapping = Path(path), Path(mapping)
    spec = read_mapping(mapping)
    raw = read_table(path, what=WHAT)
    _require_mapped_columns(raw, spec, path)
    values = pd.DataFrame({name: _cleaned(raw[name]) for name in set(spec.columns.values())})

    def column(name: str) -> pd.Series:
        if name in spec.columns:
            return values[spec.columns[name]]
        return pd.Series(None, index=values.index, dtype=object)

    def categorical(name: str, convert: Callable[[object], str | None], accepted: str) -> pd.Series:
        return _categorical(column(name), convert, accepted, name, spec, path)

    profiles = pd.DataFrame(
        {
            "role": map_distinct(column("role"), role_family),
            "role_raw": column("role"),
            "country": map_distinct(column("country"), country_code),
            "country_raw": column("country"),
            "years_experience": pd.to_numeric(
                map_distinct(column("years_experience"), experience_years), errors="coerce"
            ),
            "education": map_distinct(column("education"), education_level),
            "skills": map_distinct(
                column("skills"), lambda cell: _skills_of_cell(cell, spec.skills_separator)
            ),
            "seniority": map_distinct(column("seniority"), seniority_level).fillna(
                map_distinct(column("role"), title_seniority)
            ),
            "employment_type": categorical(
                "employment_type", _employment_type, "full_time, part_time, contract, freelance"
            ),
            "employment_status": categorical(
                "employment_status", _employment_status, ", ".join(schema.EMPLOYMENT_STATUSES)
            ).fillna("unknown"),
            "remote_ratio": _remote_ratios(column("remote_ratio"), spec, path),
            "company_size": categorical(
                "company_size",
                company_size,
                "small, medium, large, S/M/L, a headcount or a band such as '100 to 499'",
            ),
            "year": _years(values, spec, path),
            "source": SOURCE,
            "row_number": range(1, len(values) + 1),
            **_salaries(values, spec, path),
        },
        index=values.index,
    )
    return schema.conform(profiles.reset_index(drop=True))


def read_mapping(path: Path) -> ColumnMapping:
    """The mapping in the YAML file `path`, validated; a ConfigError naming what is wrong."""
    path = Path(path)
    document = _read_yaml(path)
    unknown = [key for key in document if key not in MAPPING_KEYS]
    if unknown:
        raise ConfigError(_unknown_message(path, "key", unknown[0], MAPPING_KEYS))
    columns = _validated_columns(document.get("columns"), path)
    return ColumnMapping(
        columns=columns,
        source_name=_validated_source_name(document.get("source_name"), path),
        skills_separator=_validated_separator(document.get("skills_separator"), path),
        salary_multiplier=_validated_multiplier(document.get("salary_multiplier"), path),
        path=path,
    )


def _read_yaml(path: Path) -> dict[str, object]:
    what = "a YAML column mapping"
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "no such file"
        raise ConfigError(f"{path}: {reason}; expected {what}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ConfigError(f"{path}: not valid YAML{line}; expected {what}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; expected {what}") from None
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: expected {what} with the keys {', '.join(MAPPING_KEYS)}, "
            f"found {type(document).__name__ if document is not None else 'an empty file'}"
        )
    return {str(key): value for key, value in document.items()}


def _validated_columns(columns: object, path: Path) -> dict[str, str]:
    if not isinstance(columns, dict):
        raise ConfigError(
            f"{path}: 'columns' must map canonical fields to your column names, e.g. "
            f"'columns: {{role: Job Title, country: Country}}'"
        )
    for name, column in columns.items():
        if name not in MAPPABLE_FIELDS:
            raise ConfigError(
                _unknown_message(path, "field under 'columns'", name, MAPPABLE_FIELDS)
            )
        if not isinstance(column, str) or not column.strip():
            raise ConfigError(
                f"{path}: columns.{name} = {column!r} must be a column name "
                f"(quote names that look like numbers, e.g. '2024')"
            )
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise ConfigError(f"{path}: 'columns' must map {' and '.join(missing)} (required fields)")
    mapped_salaries = [name for name in SALARY_FIELDS if name in columns]
    if "salary_usd" in columns and len(mapped_salaries) > 1:
        raise ConfigError(
            f"{path}: map either salary_usd (exact pay) or salary_usd_low and salary_usd_high "
            f"(a pay band), not both"
        )
    if ("salary_usd_low" in columns) != ("salary_usd_high" in columns):
        raise ConfigError(
            f"{path}: a pay band needs both salary_usd_low and salary_usd_high mapped; "
            f"found only {mapped_salaries[0]}"
        )
    return {str(name): str(column) for name, column in columns.items()}


def _validated_source_name(value: object, path: Path) -> str:
    if value is None:
        return path.stem
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: source_name={value!r} must be non-empty text, e.g. acme_hr")
    return value.strip()


def _validated_separator(value: object, path: Path) -> str:
    if value is None:
        return ";"
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: skills_separator={value!r} must be non-empty text, e.g. ';'")
    return value


def _validated_multiplier(value: object, path: Path) -> float:
    if value is None:
        return 1.0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigError(
            f"{path}: salary_multiplier={value!r} must be a positive number, e.g. 12 to turn "
            f"monthly pay into annual pay"
        )
    return float(value)


def _unknown_message(path: Path, kind: str, name: object, accepted: tuple[str, ...]) -> str:
    hints = closest(str(name), accepted)
    hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
    return f"{path}: unknown {kind} {name!r}{hint}; accepted: {', '.join(accepted)}"


def _require_mapped_columns(raw: pd.DataFrame, spec: ColumnMapping, path: Path) -> None:
    for name, column in spec.columns.items():
        if column not in raw.columns:
            hints = closest(column, [str(c) for c in raw.columns])
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            raise DataError(
                f"{path}: no column {column!r}{hint}, which {spec.path} maps to {name}; "
                f"the file has: {', '.join(str(c) for c in raw.columns)}"
            )


def _cleaned(values: pd.Series) -> pd.Series:
    """Stripped text, None for missing or blank cells."""
    cleaned = [(value.strip() or None) if isinstance(value, str) else None for value in values]
    return pd.Series(cleaned, index=values.index, dtype=object)


def _categorical(
    values: pd.Series,
    convert: Callable[[object], str | None],
    accepted: str,
    name: str,
    spec: ColumnMapping,
    path: Path,
) -> pd.Series:
    """`convert` per distinct value; a DataError when a given value converts to nothing."""
    converted = map_distinct(values, convert)
    _reject(values.notna() & converted.isna(), values, accepted, name, spec, path)
    return converted


def _reject(
    bad: pd.Series, values: pd.Series, accepted: str, name: str, spec: ColumnMapping, path: Path
) -> None:
    if not bad.any():
        return
    position = int(bad.to_numpy().argmax())
    examples = ", ".join(repr(value) for value in pd.unique(values[bad])[:5])
    raise DataError(
        f"{path}: row {position + 1}: {spec.columns[name]}={values.iloc[position]!r} is not a "
        f"valid {name} (mapped in {spec.path}; {int(bad.sum())} such row(s): {examples}); "
        f"accepted: {accepted}"
    )


def _remote_ratios(values: pd.Series, spec: ColumnMapping, path: Path) -> pd.Series:
    ratios = pd.to_numeric(map_distinct(values, _remote_ratio), errors="coerce")
    accepted = "a percentage from 0 to 100, or remote, hybrid, in-person"
    _reject(values.notna() & ratios.isna(), values, accepted, "remote_ratio", spec, path)
    return ratios


def _remote_ratio(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        number = float(value.rstrip("%").strip())
    except ValueError:
        return remote_ratio(value)
    return number if 0 <= number <= 100 else None


def _years(values: pd.DataFrame, spec: ColumnMapping, path: Path) -> pd.Series:
    if "year" not in spec.columns:
        return pd.Series(None, index=values.index, dtype=object)
    column = spec.columns["year"]
    years = to_numbers(values, column, path)
    not_whole = years.notna() & (years % 1 != 0)
    _reject(not_whole, values[column], "a whole year such as 2024", "year", spec, path)
    return years


def _salaries(values: pd.DataFrame, spec: ColumnMapping, path: Path) -> dict[str, pd.Series]:
    return {
        name: to_numbers(values, spec.columns[name], path) * spec.salary_multiplier
        for name in SALARY_FIELDS
        if name in spec.columns
    }


def _skills_of_cell(cell: object, separator: str) -> tuple[str, ...]:
    if not isinstance(cell, str):
        return ()
    return canonical_skills(part.strip() for part in cell.split(separator) if part.strip())


def _employment_type(value: object) -> str | None:
    return EMPLOYMENT_TYPE_WORDS.get(_word_key(value)) if isinstance(value, str) else None


def _employment_status(value: object) -> str | None:
    return EMPLOYMENT_STATUS_WORDS.get(_word_key(value)) if isinstance(value, str) else None


def _word_key(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())
