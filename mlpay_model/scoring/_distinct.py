"""`normalise_frame`, computed once per distinct value of each column instead of once per row.

Batch files repeat the same few titles, countries and education words millions of times.
`normalise_distinct(frame)` gives the same result as `mlpay_model.inputs.normalise_frame(
frame)` (tests/test_scoring.py checks it on random frames), but it runs `normalise_frame`
itself only on each column's distinct values, then spreads the results over the rows with
numpy indexing. The per-field rules all stay in `mlpay_model.inputs`; what is here is only
how a row is assembled from its fields, mirroring `normalise_frame`: a row is rejected for
the first field (in `inputs.FIELDS` order) that is invalid, or missing although required;
a seniority that is not given comes from the job title.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from mlpay_model.inputs import FIELDS, REQUIRED_FIELDS, NormalisedFrame, normalise_frame
from mlpay_model.schema import conform

MISSING_REASON = "is required but missing"
NUMERIC_FIELDS = ("years_experience", "remote_ratio", "year")
REJECTED_COLUMNS = ["row", "field", "value", "reason"]


def normalise_distinct(
    frame: pd.DataFrame, *, required: Iterable[str] = REQUIRED_FIELDS
) -> NormalisedFrame:
    required = tuple(required)
    if any(name not in frame.columns for name in required):
        return normalise_frame(frame, required=required)  # raises its own clear error
    rows = len(frame)
    first_problem = np.full(rows, -1, dtype=np.int64)  # position in `problems`, per row
    problems: list[tuple[str, np.ndarray, np.ndarray]] = []  # field, row positions, reasons
    out: dict[str, Any] = {}
    for name in FIELDS:
        if name not in frame.columns:
            continue
        cells = _hashable(frame[name])
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        values, reasons, extra = _normalised_uniques(name, uniques)
        out[name] = _spread(values, codes, name)
        for extra_name, extra_values in extra.items():
            out[extra_name] = _spread(extra_values, codes, extra_name)
        bad = np.zeros(rows, dtype=bool)
        row_reasons = np.empty(rows, dtype=object)
        if len(uniques):
            invalid = reasons[codes] != None  # noqa: E711 - elementwise on an object array
            invalid &= codes >= 0
            bad |= invalid
            row_reasons[invalid] = reasons[codes[invalid]]
        if name in required:
            missing = codes < 0
            bad |= missing
            row_reasons[missing] = MISSING_REASON
        new = bad & (first_problem < 0)
        if new.any():
            first_problem[new] = len(problems)
            positions = np.flatnonzero(new)
            problems.append((name, positions, row_reasons[positions]))
    profiles = pd.DataFrame(out)
    profiles.index = frame.index
    if "role" in frame.columns:
        profiles["role_raw"] = _raw(frame["role"])
        hint = profiles.pop("seniority_hint")
        if "seniority" in profiles:
            given = profiles["seniority"]
            profiles["seniority"] = given.where(given.notna(), hint)
        else:
            profiles["seniority"] = hint
    if "country" in frame.columns:
        profiles["country_raw"] = _raw(frame["country"])
    keep = first_problem < 0
    return NormalisedFrame(
        profiles=conform(profiles.loc[keep]),
        rejected=_rejected_frame(frame, problems),
    )


def _normalised_uniques(
    name: str, uniques: pd.Index
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Per distinct value: its canonical value, its rejection reason (or None), and for
    `role` the seniority its title states."""
    column = pd.Series(list(uniques), dtype=object)
    result = normalise_frame(pd.DataFrame({name: column}), required=())
    accepted = result.profiles
    values = np.full(len(column), None, dtype=object)
    if len(accepted):
        values[accepted.index.to_numpy()] = _objects(accepted[name])
    reasons = np.full(len(column), None, dtype=object)
    if len(result.rejected):
        reasons[result.rejected["row"].to_numpy(dtype=np.int64)] = result.rejected[
            "reason"
        ].to_numpy(dtype=object)
    extra: dict[str, np.ndarray] = {}
    if name == "role":
        hints = np.full(len(column), None, dtype=object)
        if len(accepted):
            hints[accepted.index.to_numpy()] = _objects(accepted["seniority"])
        extra["seniority_hint"] = hints
    return values, reasons, extra


def _spread(per_unique: np.ndarray, codes: np.ndarray, name: str) -> pd.Series:
    """Values per row from values per distinct value; missing cells (code -1) give missing.

    Numeric fields come out as float64 and the others as object, so that `conform` finds
    the dtypes it wants (converting millions of cells costs more than normalising them).
    """
    if name in NUMERIC_FIELDS:
        numbers = pd.to_numeric(pd.Series(per_unique, dtype=object), errors="coerce")
        table = np.append(numbers.to_numpy(dtype=np.float64), np.nan)
        return pd.Series(table[codes], copy=False)
    table = np.append(per_unique, None)  # code -1 picks the trailing None
    return pd.Series(table[codes], dtype=object, copy=False)


def _hashable(column: pd.Series) -> pd.Series:
    """Lists (Parquet skills arrive as numpy arrays) as tuples, so they can be factorized."""
    if column.dtype != object:
        return column
    values = [tuple(v) if isinstance(v, list | np.ndarray) else v for v in column.tolist()]
    return pd.Series(values, index=column.index, dtype=object)


def _objects(column: pd.Series) -> np.ndarray:
    values = np.empty(len(column), dtype=object)
    values[:] = column.tolist()
    return values


def _raw(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.notna(), None)


def _rejected_frame(
    frame: pd.DataFrame, problems: list[tuple[str, np.ndarray, np.ndarray]]
) -> pd.DataFrame:
    if not problems:
        return pd.DataFrame(columns=REJECTED_COLUMNS)
    parts = []
    for name, positions, reasons in problems:
        parts.append(
            pd.DataFrame(
                {
                    "row": frame.index[positions],
                    "field": name,
                    "value": frame[name].iloc[positions].to_numpy(dtype=object),
                    "reason": reasons,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
