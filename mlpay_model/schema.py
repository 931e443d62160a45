"""The canonical profile: the one table every source is turned into and every model reads.

A *canonical profile frame* is a pandas DataFrame with the columns below. Source adapters
(`mlpay_model.data.sources`) produce it, quality rules (`mlpay_model.data.quality`) filter it, the
training pipeline learns from it and `load_model(...).predict` scores it.

Factors (what a salary is predicted from):
    role              canonical role family, one of ROLE_FAMILIES ("other" when unknown)
    role_raw          the title as the source wrote it (kept for reports and audits)
    country           ISO 3166-1 alpha-2 code, or missing
    years_experience  float >= 0 (years of professional experience), or NaN
    education         one of EDUCATION_LEVELS (ordered), or missing
    skills            tuple of canonical skill tokens, sorted, no duplicates (may be empty)

Context (when a source has it, otherwise missing):
    seniority         one of SENIORITY_LEVELS
    employment_type   one of EMPLOYMENT_TYPES
    remote_ratio      float in [0, 100]
    company_size      one of COMPANY_SIZES
    year              int, the year the pay refers to

Bookkeeping:
    source            adapter name (a source in mlpay_model.data.sources.registry)
    row_number        1-based row number in the source file (header rows not counted)
    country_raw       the country as the source wrote it
    employment_status one of EMPLOYMENT_STATUSES (drives quality rules, never a feature)

Targets (annual, USD):
    salary_usd        exact pay, or NaN when the source gives a band or nothing
    salary_usd_low    lower edge of a pay band (NaN for exact pay)
    salary_usd_high   upper edge of a pay band (NaN for exact pay)

Never present, by design: gender, age, race or any other protected attribute.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

ROLE_FAMILIES: Final[tuple[str, ...]] = (
    "ml_engineer",
    "data_scientist",
    "research_scientist",
    "data_engineer",
    "data_analyst",
    "software_engineer",
    "backend_engineer",
    "frontend_engineer",
    "fullstack_engineer",
    "mobile_engineer",
    "embedded_engineer",
    "devops_engineer",
    "qa_engineer",
    "security_engineer",
    "architect",
    "manager",
    "product_manager",
    "other",
)

EDUCATION_LEVELS: Final[tuple[str, ...]] = (
    "none",
    "high_school",
    "some_college",
    "bachelor",
    "master",
    "doctorate",
    "professional",
)

SENIORITY_LEVELS: Final[tuple[str, ...]] = ("entry", "mid", "senior", "executive")
EMPLOYMENT_TYPES: Final[tuple[str, ...]] = ("full_time", "part_time", "contract", "freelance")
COMPANY_SIZES: Final[tuple[str, ...]] = ("small", "medium", "large")
EMPLOYMENT_STATUSES: Final[tuple[str, ...]] = (
    "employed",
    "self_employed",
    "not_employed",
    "student",
    "retired",
    "unknown",
)

FACTOR_COLUMNS: Final[tuple[str, ...]] = (
    "role",
    "country",
    "years_experience",
    "education",
    "skills",
)
CONTEXT_COLUMNS: Final[tuple[str, ...]] = (
    "seniority",
    "employment_type",
    "remote_ratio",
    "company_size",
    "year",
)
BOOKKEEPING_COLUMNS: Final[tuple[str, ...]] = (
    "role_raw",
    "country_raw",
    "source",
    "row_number",
    "employment_status",
)
TARGET_COLUMNS: Final[tuple[str, ...]] = ("salary_usd", "salary_usd_low", "salary_usd_high")
PREDICTION_COLUMNS: Final[tuple[str, ...]] = ("median", "low", "high")
"""What every prediction holds, in this order: the median and the calibrated interval's ends."""
SCORE_COLUMNS: Final[dict[str, str]] = {name: f"pred_{name}" for name in PREDICTION_COLUMNS}
"""Each prediction's column where it sits beside the input rows (batch scoring's output, the
test rows of training): pred_median, pred_low, pred_high."""

PROFILE_COLUMNS: Final[tuple[str, ...]] = (
    FACTOR_COLUMNS + CONTEXT_COLUMNS + BOOKKEEPING_COLUMNS + TARGET_COLUMNS
)
DERIVED_FEATURES: Final[dict[str, str]] = {"title": "role_raw"}
"""Model features worked out from a profile column rather than being one: `title` is the key
of the raw title (`taxonomy.title_key`), read beside the role family."""

FLOAT_COLUMNS: Final[tuple[str, ...]] = (
    "years_experience",
    "remote_ratio",
    "salary_usd",
    "salary_usd_low",
    "salary_usd_high",
)

# Categorical columns and the values they may take; used by validation and feature encoding.
ALLOWED_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "role": ROLE_FAMILIES,
    "education": EDUCATION_LEVELS,
    "seniority": SENIORITY_LEVELS,
    "employment_type": EMPLOYMENT_TYPES,
    "company_size": COMPANY_SIZES,
    "employment_status": EMPLOYMENT_STATUSES,
}


def is_missing(value: object) -> bool:
    """None, NaN (Python or numpy), pd.NA or pd.NaT; never raises (the one missing-value test)."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)  # math's test: a tenth of np.isnan's time on one value
    return type(value).__name__ in ("NAType", "NaTType")


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with every canonical column present, in canonical order and dtype.

    Missing optional columns are added as missing values; extra columns are dropped.
    """
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for name in PROFILE_COLUMNS:
        if name in frame.columns:
            column = frame[name]
        elif name == "skills":
            column = pd.Series([()] * len(frame), index=frame.index, dtype=object)
        elif name == "employment_status":
            column = pd.Series("unknown", index=frame.index, dtype=object)
        else:
            column = pd.Series(np.nan, index=frame.index)
        out[name] = column
    for name in FLOAT_COLUMNS:
        out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    out["skills"] = out["skills"].astype(object)
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    out["row_number"] = pd.to_numeric(out["row_number"], errors="coerce").astype("Int64")
    for name in (*ALLOWED_VALUES, "country", "role_raw", "country_raw", "source"):
        out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def target_interval(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row (low, high) annual USD pay: equal for exact pay, the band edges for a band.

    Rows with no pay at all give NaN in both.
    """
    exact = frame["salary_usd"].to_numpy(dtype="float64")
    low = np.where(np.isnan(exact), frame["salary_usd_low"].to_numpy(dtype="float64"), exact)
    high = np.where(np.isnan(exact), frame["salary_usd_high"].to_numpy(dtype="float64"), exact)
    return low, high


def has_pay(frame: pd.DataFrame) -> pd.Series:
    """True where a row reports pay, exact or as a band."""
    return frame["salary_usd"].notna() | (
        frame["salary_usd_low"].notna() & frame["salary_usd_high"].notna()
    )


def present(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where `column` carries information: role other than 'other', skills non-empty."""
    values = frame[column]
    if column == "role":
        return values.notna() & (values != "other")
    if column == "skills":
        return values.map(lambda skills: isinstance(skills, tuple) and len(skills) > 0).astype(bool)
    return values.notna()
