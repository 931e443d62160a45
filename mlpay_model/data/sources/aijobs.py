"""aijobs.net salary index (`salaries.csv`, any weekly snapshot) to canonical profiles.

One row per reported salary. The target `salary_in_usd` is exact annual gross pay, already
converted to USD by the publisher. The country is `employee_residence` (where the person lives
and is paid), not `company_location`. aijobs has no experience in years, no education and no
skills: those factors stay missing. Exact duplicate rows are kept here (the publisher's way of
recording repeated submissions); `mlpay_model.data.quality` decides what to do with them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from mlpay_model.data.sources._io import map_distinct, read_table, require_columns, to_numbers
from mlpay_model.schema import conform
from mlpay_model.taxonomy import country_code, role_family, seniority_level

SOURCE: Final = "aijobs"
WHAT: Final = "the aijobs.net salaries.csv (or a zip holding it)"

REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "work_year",
    "experience_level",
    "employment_type",
    "job_title",
    "salary_in_usd",
    "employee_residence",
    "remote_ratio",
    "company_size",
)

EMPLOYMENT_TYPES: Final[dict[str, str]] = {
    "FT": "full_time",
    "PT": "part_time",
    "CT": "contract",
    "FL": "freelance",
}
# aijobs.net: S = fewer than 50 employees, M = 50 to 250, L = more than 250.
COMPANY_SIZES: Final[dict[str, str]] = {"S": "small", "M": "medium", "L": "large"}


def load(path: Path) -> pd.DataFrame:
    """Every row of an aijobs `salaries.csv` as a canonical profile frame."""
    path = Path(path)
    raw = read_table(path, what=WHAT)
    require_columns(raw, path, REQUIRED_COLUMNS, SOURCE)
    employment_type = _codes(raw["employment_type"], EMPLOYMENT_TYPES)
    profiles = pd.DataFrame(
        {
            "role": map_distinct(raw["job_title"], role_family),
            "role_raw": raw["job_title"],
            "country": map_distinct(raw["employee_residence"], country_code),
            "country_raw": raw["employee_residence"],
            "seniority": map_distinct(raw["experience_level"], seniority_level),
            "employment_type": employment_type,
            "remote_ratio": to_numbers(raw, "remote_ratio", path),
            "company_size": _codes(raw["company_size"], COMPANY_SIZES),
            "year": to_numbers(raw, "work_year", path),
            "source": SOURCE,
            "row_number": range(1, len(raw) + 1),
            "employment_status": employment_type.map(
                lambda kind: "self_employed" if kind == "freelance" else "employed"
            ),
            "salary_usd": to_numbers(raw, "salary_in_usd", path),
        },
        index=raw.index,
    )
    return conform(profiles)


def _codes(values: pd.Series, meaning: dict[str, str]) -> pd.Series:
    """Publisher codes to canonical values; unknown codes become missing."""
    return values.str.strip().str.upper().map(meaning).astype(object)
