"""The seniority-from-years rule, its one owner.

A model that reads seniority but not years of experience (aijobs) would otherwise ignore the
years a caller gives. For such a model (`SalaryModel.derives_seniority_from_years`), a
profile with years but no seniority (neither given nor stated by the title) gets
`seniority_from_years(years)`: SENIORITY_FROM_YEARS_RULE, i.e. under 2 years entry, 2 to
under 5 mid, 5 or more senior; never executive (years alone do not make a director).

Normalisation does not know the model, so the rule is applied where the model is known, and
only there: `SalaryModel` applies it to every record (`record_with_seniority_from_years`) and
frame (`frame_with_seniority_from_years`) it predicts, so `predict_salary`, `mlpay whatif` and
batch scoring agree. `predict_salary` does not apply it again: it reads the record the model
priced (`RecordPrediction.record`) to show the derived seniority and warn about it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mlpay_model.schema import is_missing

if TYPE_CHECKING:
    import pandas as pd

SENIORITY_FROM_YEARS: Final[tuple[tuple[float, str], ...]] = (
    (2.0, "entry"),
    (5.0, "mid"),
    (math.inf, "senior"),
)
"""(years below, seniority) in order: the first bound above the years gives the level."""
SENIORITY_FROM_YEARS_RULE: Final = "<2 entry, <5 mid, else senior"


def seniority_from_years(years: float) -> str:
    """The seniority that `years` of experience stand for (SENIORITY_FROM_YEARS_RULE).

    Only for models that read seniority but not years; `years` is a normalised number >= 0.
    """
    for bound, level in SENIORITY_FROM_YEARS:
        if years < bound:
            return level
    return SENIORITY_FROM_YEARS[-1][1]  # pragma: no cover - the last bound is infinite


def derived_seniority(record: Mapping[str, Any]) -> str | None:
    """The seniority the rule gives a canonical record with years but no seniority, else None."""
    years: Any = record.get("years_experience")
    if not is_missing(record.get("seniority")) or is_missing(years):
        return None
    return seniority_from_years(float(years))


def record_with_seniority_from_years(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A canonical record with years but no seniority, with `seniority_from_years` added.

    The same record when it has a seniority or no years, else a new dict.
    """
    level = derived_seniority(record)
    return record if level is None else {**record, "seniority": level}


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
