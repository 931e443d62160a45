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

Only `role` and `country` must be mapped; a file to score needs no pay columns. This module
only renames and converts columns (the mapping, the skills separator, the salary multiplier,
pay as numbers); the values then go through the one normaliser, `mlpay_model.normalise`
(`normalise_frame`), exactly as `predict_salary` and `mlpay score` read them.

A bad cell (an unknown country, employment_type "weekly", remote_ratio "150", pay "$85,000")
does not stop the run: its row is a reject with the 1-based data row number, field, column,
value and reason (`load(...).rejected`): `mlpay data summary` and training count them as
dropped (`invalid_value`), `load_profiles` warns once with their count and the first row
numbers, and `mlpay score --mapping` writes them to the rejects file. The
kept rows have `row_number`, the 1-based data row. Mapping mistakes raise `ConfigError`
(duplicate keys included), file mistakes (missing file or column) `DataError`; both name the
key, column and files involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from mlpay_model import schema
from mlpay_model._yaml import read_yaml
from mlpay_model.data.sources._io import read_table
from mlpay_model.data.sources._rows import SourceRows, no_rejects
from mlpay_model.errors import ConfigError, DataError, did_you_mean
from mlpay_model.normalise import FRAME_FIELDS, REQUIRED_FIELDS, normalise_frame

SOURCE: Final = "csv"
SALARY_FIELDS: Final = ("salary_usd", "salary_usd_low", "salary_usd_high")
PROFILE_FIELDS: Final = FRAME_FIELDS  # what the one normaliser reads
MAPPABLE_FIELDS: Final = (*PROFILE_FIELDS, *SALARY_FIELDS)
MAPPING_KEYS: Final = ("source_name", "columns", "skills_separator", "salary_multiplier")
WHAT: Final = "a CSV or Parquet file"
WHAT_MAPPING: Final = "a YAML column mapping"


@dataclass(frozen=True)
class ColumnMapping:
    """A validated mapping: canonical field -> the user's column, plus reading options."""

    columns: dict[str, str]
    source_name: str
    skills_separator: str = ";"
    salary_multiplier: float = 1.0
    path: Path = field(default=Path("<mapping>"), compare=False)


def load(path: Path, mapping: Path) -> SourceRows:
    """Every row of `path`, as a canonical profile or as a reject with its reason."""
    path, mapping = Path(path), Path(mapping)
    spec = read_mapping(mapping)
    raw = read_table(path, what=WHAT)
    renamed = mapped_columns(raw, spec, path)
    normalised = normalise_frame(renamed)
    salaries, salary_rejects = _salaries(raw, spec)
    rejected = _rejects(normalised.rejected, salary_rejects, spec)
    keep = normalised.profiles.index.difference(pd.Index(rejected["row_number"] - 1))
    profiles = normalised.profiles.loc[keep].assign(
        source=SOURCE,
        row_number=keep.to_numpy() + 1,
        **{name: column.loc[keep] for name, column in salaries.items()},
    )
    return SourceRows(profiles=schema.conform(profiles.reset_index(drop=True)), rejected=rejected)


def mapped_columns(raw: pd.DataFrame, spec: ColumnMapping, path: Path) -> pd.DataFrame:
    """The mapped profile columns of `raw` under their canonical names, values as written.

    Only renaming and converting: text stripped (blank cells missing) and skills split on
    the mapping's separator into lists of names. The index is the 0-based data row.
    """
    _require_mapped_columns(raw, spec, path)
    columns: dict[str, pd.Series] = {}
    for name in PROFILE_FIELDS:
        if name not in spec.columns:
            continue
        values = _cleaned(raw[spec.columns[name]])
        if name == "skills":
            values = _split(values, spec.skills_separator)
        columns[name] = values
    return pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))


def read_mapped_columns(path: Path, mapping: Path) -> pd.DataFrame:
    """`mapped_columns` of the file `path` read through the mapping file `mapping`."""
    path = Path(path)
    spec = read_mapping(Path(mapping))
    return mapped_columns(read_table(path, what=WHAT), spec, path)


def read_mapping(path: Path) -> ColumnMapping:
    """The mapping in the YAML file `path`, validated; a ConfigError naming what is wrong.

    Read with `mlpay_model._yaml.read_yaml`, so a key given twice is refused.
    """
    path = Path(path)
    document = read_yaml(path, WHAT_MAPPING)
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
    hint = did_you_mean(str(name), accepted)
    return f"{path}: unknown {kind} {name!r}{hint}; accepted: {', '.join(accepted)}"


def _require_mapped_columns(raw: pd.DataFrame, spec: ColumnMapping, path: Path) -> None:
    for name, column in spec.columns.items():
        if column not in raw.columns:
            hint = did_you_mean(column, [str(c) for c in raw.columns])
            raise DataError(
                f"{path}: no column {column!r}{hint}, which {spec.path} maps to {name}; "
                f"the file has: {', '.join(str(c) for c in raw.columns)}"
            )


def _cleaned(values: pd.Series) -> pd.Series:
    """Stripped text, None for missing or blank cells."""
    cleaned = [(value.strip() or None) if isinstance(value, str) else None for value in values]
    return pd.Series(cleaned, index=values.index, dtype=object)


def _split(values: pd.Series, separator: str) -> pd.Series:
    """Skills cells as lists of names, split on `separator` (missing cells stay missing)."""
    split = [
        None if cell is None else [part.strip() for part in cell.split(separator) if part.strip()]
        for cell in values
    ]
    return pd.Series(split, index=values.index, dtype=object)


def _salaries(raw: pd.DataFrame, spec: ColumnMapping) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    """Pay columns as annual USD numbers (times the multiplier), and the cells that are not
    numbers as rejects (0-based position, field, value, reason)."""
    salaries: dict[str, pd.Series] = {}
    rejects = []
    for name in SALARY_FIELDS:
        if name not in spec.columns:
            continue
        text = _cleaned(raw[spec.columns[name]]).reset_index(drop=True)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        numbers[~np.isfinite(numbers.to_numpy())] = math.nan
        bad = numbers.isna() & text.notna()
        rejects.append(
            pd.DataFrame(
                {
                    "row": np.flatnonzero(bad.to_numpy()),
                    "field": name,
                    "value": text[bad].to_numpy(dtype=object),
                    "reason": "not a number; expected a plain number such as 120000",
                }
            )
        )
        salaries[name] = numbers * spec.salary_multiplier
    frame = (
        pd.concat(rejects, ignore_index=True)
        if rejects
        else pd.DataFrame(columns=["row", "field", "value", "reason"])
    )
    return salaries, frame


def _rejects(normalised: pd.DataFrame, salaries: pd.DataFrame, spec: ColumnMapping) -> pd.DataFrame:
    """One reject per data row (its first problem: profile fields, then pay), by row."""
    both = [frame for frame in (normalised, salaries) if len(frame)]
    if not both:
        return no_rejects()
    rejected = pd.concat(both, ignore_index=True).drop_duplicates("row", keep="first")
    rejected = rejected.sort_values("row", kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "row_number": rejected["row"].to_numpy(dtype=np.int64) + 1,
            "field": rejected["field"].to_numpy(dtype=object),
            "column": [spec.columns[name] for name in rejected["field"]],
            "value": rejected["value"].to_numpy(dtype=object),
            "reason": rejected["reason"].to_numpy(dtype=object),
        }
    )
