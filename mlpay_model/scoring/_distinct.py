"""`normalise_frame`, computed once per distinct value instead of once per row.

Batch files repeat the same titles, countries and education words millions of times. A
`DistinctNormaliser` gives the same result as `mlpay_model.normalise.normalise_frame(frame)`
(tests/test_scoring.py checks it on random frames) but runs `normalise_frame` only on values
it has not seen before (it remembers them from chunk to chunk), then spreads the results over
the rows with numpy indexing. Skills written as text ("python;sql") are normalised per
distinct skill name, not per distinct combination, since combinations rarely repeat.

All per-field rules stay in `mlpay_model.normalise`; what is here is only how a row is put
together from its fields, mirroring `normalise_frame`: a row is rejected for the first field
(in `inputs.FIELDS` order) that is invalid, or missing although required, and a seniority
that is not given comes from the job title.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlpay_model.normalise import (
    FIELDS,
    REQUIRED_FIELDS,
    NormalisedFrame,
    normalise_frame,
    normalise_skills,
)
from mlpay_model.schema import conform

MISSING_REASON: Final = "is required but missing"
NUMERIC_FIELDS: Final = ("years_experience", "remote_ratio", "year")
REJECTED_COLUMNS: Final = ["row", "field", "value", "reason"]
SKILL_SEPARATORS: Final = r"[,;]"  # as inputs.normalise_skills splits a text
MAX_REMEMBERED: Final = 1_000_000  # distinct values per field before the memory is reset
_JOIN: Final = "\x1f"  # joins canonical skill names; never part of one


class Normalised:
    """What one distinct raw value of a field becomes."""

    __slots__ = ("hint", "reason", "value")

    def __init__(self, value: Any, reason: str | None, hint: str | None = None):
        self.value = value
        self.reason = reason
        self.hint = hint  # for role: the seniority the title states


class DistinctNormaliser:
    """Normalises chunk after chunk, remembering each field's distinct values. Not shared
    between threads: make one per run (local engine) or per partition (dask)."""

    def __init__(self) -> None:
        self._memory: dict[str, dict[Hashable, Normalised]] = {}

    def __call__(
        self, frame: pd.DataFrame, *, required: Iterable[str] = REQUIRED_FIELDS
    ) -> NormalisedFrame:
        required = tuple(required)
        if any(name not in frame.columns for name in required):
            return normalise_frame(frame, required=required)  # raises its own clear error
        rows = len(frame)
        first_problem = np.full(rows, -1, dtype=np.int64)
        problems: list[tuple[str, np.ndarray, np.ndarray]] = []  # field, positions, reasons
        out: dict[str, pd.Series] = {}
        for name in FIELDS:
            if name not in frame.columns:
                continue
            if name == "skills" and _is_text(frame[name]):
                out[name] = self._skills_of_text(frame[name])
                reasons = np.full(rows, None, dtype=object)  # a text is always a skills list
                missing = frame[name].isna().to_numpy()
            else:
                codes, normalised = self._normalised(name, frame[name])
                out[name] = _spread([n.value for n in normalised], codes, name)
                reasons = _take([n.reason for n in normalised], codes)
                missing = codes < 0
                if name == "role":
                    out["seniority_hint"] = _spread([n.hint for n in normalised], codes, name)
            bad = reasons != None  # noqa: E711 - elementwise on an object array
            if name in required:
                reasons[missing] = MISSING_REASON
                bad |= missing
            new = bad & (first_problem < 0)
            if new.any():
                positions = np.flatnonzero(new)
                first_problem[positions] = len(problems)
                problems.append((name, positions, reasons[positions]))
        profiles = _assemble(frame, out)
        keep = first_problem < 0
        return NormalisedFrame(
            profiles=conform(profiles.loc[keep]),
            rejected=_rejected_frame(frame, problems),
        )

    def _normalised(self, name: str, column: pd.Series) -> tuple[np.ndarray, list[Normalised]]:
        """Codes per row (-1 = missing) and what each distinct value normalises to."""
        codes, uniques = pd.factorize(_hashable(column), use_na_sentinel=True)
        values = list(uniques)
        memory = self._memory.setdefault(name, {})
        unseen = [value for value in values if value not in memory]
        if unseen:
            if len(memory) + len(unseen) > MAX_REMEMBERED:
                memory.clear()
            memory.update(_normalise_values(name, unseen))
        return codes, [memory[value] for value in values]

    def _skills_of_text(self, column: pd.Series) -> pd.Series:
        """Skills per row from texts such as "Python;SQL": each skill name normalised once."""
        lists = pc.split_pattern_regex(pa.array(column, pa.large_string()), SKILL_SEPARATORS)
        rows = pc.list_parent_indices(lists).to_numpy()
        codes, tokens = pd.factorize(pc.list_flatten(lists).to_numpy(zero_copy_only=False))
        memory = self._memory.setdefault("skills:token", {})
        for token in tokens:
            if token not in memory:
                memory[token] = Normalised(normalise_skills((token,)), None)
        canonical = [memory[token].value for token in tokens]  # () or a one-skill tuple
        names = sorted({skill for found in canonical for skill in found})
        rank = {skill: position for position, skill in enumerate(names)}
        token_rank = np.array([rank[found[0]] if found else -1 for found in canonical] or [-1])
        ranks = token_rank[codes] if len(codes) else np.empty(0, dtype=np.int64)
        known = ranks >= 0
        # One key per (row, skill), sorted: rows in order, each row's skills sorted, no repeats.
        width = max(len(names), 1)
        keys = np.sort(rows[known].astype(np.int64) * width + ranks[known])
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
        key_rows, key_ranks = np.divmod(keys, width)
        offsets = np.searchsorted(key_rows, np.arange(len(column) + 1))
        skill_lists = pa.ListArray.from_arrays(
            pa.array(offsets, pa.int64()),
            pa.array(np.array(names, dtype=object)[key_ranks], pa.string()),
        )
        # Identical skill sets share one tuple: build a tuple per distinct set, not per row.
        joined = pc.binary_join(skill_lists, _JOIN).to_numpy(zero_copy_only=False)
        set_codes, sets = pd.factorize(joined)
        tuples = [tuple(text.split(_JOIN)) if text else () for text in sets]
        values = _take(tuples, set_codes)
        values[column.isna().to_numpy()] = None
        return pd.Series(values, dtype=object, copy=False)


def _normalise_values(name: str, values: list[Any]) -> dict[Hashable, Normalised]:
    """`normalise_frame` on a column of distinct values (no field required)."""
    column = pd.Series(values, dtype=object)
    result = normalise_frame(pd.DataFrame({name: column}), required=())
    accepted = result.profiles
    outcome = {
        values[position]: Normalised(value, None, hint)
        for position, value, hint in zip(
            accepted.index,
            accepted[name].tolist(),
            accepted["seniority"].tolist() if name == "role" else [None] * len(accepted),
            strict=True,
        )
    }
    for position, reason in zip(result.rejected["row"], result.rejected["reason"], strict=True):
        outcome[values[position]] = Normalised(None, reason)
    return outcome


def _assemble(frame: pd.DataFrame, out: dict[str, pd.Series]) -> pd.DataFrame:
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
    return profiles


def _spread(per_value: list[Any], codes: np.ndarray, name: str) -> pd.Series:
    """Values per row from values per distinct value; missing cells (code -1) give missing.

    Numeric fields come out as float64 and the others as object, so that `conform` finds
    the dtypes it wants (converting millions of cells costs more than normalising them).
    """
    if name in NUMERIC_FIELDS:
        numbers = pd.to_numeric(pd.Series(per_value, dtype=object), errors="coerce")
        table = np.append(numbers.to_numpy(dtype=np.float64), np.nan)
        return pd.Series(table[codes], copy=False)
    return pd.Series(_take(per_value, codes), dtype=object, copy=False)


def _take(per_value: list[Any], codes: np.ndarray) -> np.ndarray:
    table = np.empty(len(per_value) + 1, dtype=object)
    table[: len(per_value)] = per_value
    table[-1] = None  # code -1 (missing) picks it
    return table[codes]


def _is_text(column: pd.Series) -> bool:
    """True when every present cell is a string (a CSV column; not Parquet lists)."""
    return pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")


def _hashable(column: pd.Series) -> pd.Series:
    """Lists (Parquet skills arrive as numpy arrays) as tuples, so they can be factorized."""
    if column.dtype != object:
        return column
    values = [tuple(v) if isinstance(v, list | np.ndarray) else v for v in column.tolist()]
    return pd.Series(values, index=column.index, dtype=object)


def _raw(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.notna(), None)


def _rejected_frame(
    frame: pd.DataFrame, problems: list[tuple[str, np.ndarray, np.ndarray]]
) -> pd.DataFrame:
    if not problems:
        return pd.DataFrame(columns=REJECTED_COLUMNS)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "row": frame.index[positions],
                    "field": name,
                    "value": frame[name].iloc[positions].to_numpy(dtype=object),
                    "reason": reasons,
                }
            )
            for name, positions, reasons in problems
        ],
        ignore_index=True,
    )
