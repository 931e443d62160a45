"""A whole table at once: `normalise_frame`, worked out once per distinct value.

Tables repeat the same titles, countries and education words millions of times, so each
field's distinct values are normalised once (by the per-field normalisers of `_fields`, the
same ones `normalise_profile` uses) and the results are spread over the rows with numpy
indexing. A `FrameCache` passed from call to call (batch scoring passes one per run)
remembers the distinct values already seen. Skills written as text ("python;sql") are
normalised per distinct skill name, not per distinct combination, since combinations rarely
repeat.

A row is rejected for the first field (in FRAME_FIELDS order) that is invalid, or missing
although required; a seniority that is not given comes from the job title.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlpay_model.errors import InvalidInputError
from mlpay_model.normalise._fields import (
    FIELD_NORMALISERS,
    FIELDS,
    REQUIRED_FIELDS,
    SKILL_SEPARATORS,
    normalise_role,
    normalise_skills,
    unreadable_skills,
)
from mlpay_model.schema import conform

FRAME_FIELDS: Final[tuple[str, ...]] = (*FIELDS, "employment_status")
"""The columns `normalise_frame` reads: the profile fields, then the bookkeeping status."""
MISSING_REASON: Final = "is required but missing"
REJECTED_COLUMNS: Final = ["row", "field", "value", "reason"]
NUMERIC_FIELDS: Final = ("years_experience", "remote_ratio", "year")
MAX_REMEMBERED: Final = 1_000_000  # distinct values per field before the memory is reset
_JOIN: Final = "\x1f"  # joins canonical skill names; never part of one
_COMMA_SEMICOLON_OR_SPACED_PLUS_SLASH: Final = r"[,;]|\s+[+/]\s+"  # what _split_skills speeds up


@dataclass(frozen=True)
class NormalisedFrame:
    """`profiles`: the accepted rows as a canonical frame (original index kept).

    `rejected`: one row per refused input row, columns row (the input's index label),
    field, value and reason; ordered field by field (in FRAME_FIELDS order), then by row.
    `skills_dropped`: the index labels of the input rows whose skills held a name with no
    letter or digit in it (an emoji), dropped as `normalise_profile` drops it.
    """

    profiles: pd.DataFrame
    rejected: pd.DataFrame
    skills_dropped: pd.Index = field(default_factory=lambda: pd.Index([]))

    def refusal(self) -> InvalidInputError | None:
        """One error for the refused rows, or None when there are none: it names the first
        refused row (in input order), its field, value and reason, and how many were refused."""
        if not len(self.rejected):
            return None
        try:
            first = self.rejected.sort_values("row", kind="stable").iloc[0]
        except TypeError:  # index labels that do not sort together
            first = self.rejected.iloc[0]
        row = first["row"].item() if isinstance(first["row"], np.generic) else first["row"]
        return InvalidInputError(
            str(first["field"]),
            first["value"],
            f"row {row!r}: {first['reason']} ({len(self.rejected)} row(s) refused)",
        )


class _Normalised:
    """What one distinct raw value of a field becomes."""

    __slots__ = ("dropped", "hint", "reason", "value")

    def __init__(
        self, value: Any, reason: str | None, hint: str | None = None, *, dropped: bool = False
    ):
        self.value = value
        self.reason = reason
        self.hint = hint  # for role: the seniority the title states
        self.dropped = dropped  # for skills: a name with no letter or digit was dropped


class FrameCache:
    """What each field's distinct values normalise to, remembered from call to call.

    Pass one to every `normalise_frame` call of a run (chunk after chunk). Not shared
    between threads: make one per run (local engine) or per partition (dask).
    """

    def __init__(self) -> None:
        self._memory: dict[str, dict[Hashable, _Normalised]] = {}

    def field(self, name: str) -> dict[Hashable, _Normalised]:
        return self._memory.setdefault(name, {})


def normalise_frame(
    frame: pd.DataFrame,
    *,
    required: Iterable[str] = REQUIRED_FIELDS,
    cache: FrameCache | None = None,
) -> NormalisedFrame:
    """Normalise every row of a table of raw profile columns; set bad rows aside.

    Columns read: FRAME_FIELDS (role, country, years_experience, education, skills, the
    context columns and employment_status); others are ignored, and the output keeps the
    input's index so they can be joined back. A row is rejected for the first field that is
    invalid, or missing although `required`. `cache`: a FrameCache kept across calls.
    """
    required = tuple(required)
    missing_columns = [name for name in required if name not in frame.columns]
    if missing_columns:
        raise InvalidInputError(
            "columns",
            list(frame.columns),
            f"missing required column(s) {', '.join(missing_columns)}; profile columns are: "
            + ", ".join(FIELDS),
        )
    memory = cache if cache is not None else FrameCache()
    rows = len(frame)
    first_problem = np.full(rows, -1, dtype=np.int64)
    problems: list[tuple[str, np.ndarray, np.ndarray]] = []  # field, positions, reasons
    out: dict[str, pd.Series] = {}
    dropped = np.zeros(rows, dtype=bool)
    for name in FRAME_FIELDS:
        if name not in frame.columns:
            continue
        if name == "skills" and _is_text(frame[name]):
            out[name], dropped, refused_rows = _skills_of_text(
                frame[name], memory.field("skills:token")
            )
            # A text is a skills list, refused only for a name that cannot be read (a control
            # character): code 0 for the rows read, 1 + i for the i-th refused row.
            codes = np.where(frame[name].isna().to_numpy(), -1, 0)
            codes[list(refused_rows)] = np.arange(1, len(refused_rows) + 1)
            reasons: list[str | None] = [None, *refused_rows.values()]
        else:
            codes, normalised = _normalised(name, frame[name], memory.field(name))
            out[name] = _spread([n.value for n in normalised], codes, name)
            reasons = [n.reason for n in normalised]
            if name == "role":
                out["seniority_hint"] = _spread([n.hint for n in normalised], codes, name)
            if name == "skills":
                dropped = np.array([n.dropped for n in normalised] + [False])[codes]
        # Whether each distinct value (and, last, a missing cell) is refused, spread over the
        # rows as booleans; reasons are only looked up for the rows refused.
        missing_reason = MISSING_REASON if name in required else None
        refused = np.array([reason is not None for reason in reasons] + [bool(missing_reason)])
        new = refused[codes] & (first_problem < 0)
        if new.any():
            positions = np.flatnonzero(new)
            first_problem[positions] = len(problems)
            problems.append((name, positions, _take(reasons, codes[positions], missing_reason)))
    profiles = _assemble(frame, out)
    keep = first_problem < 0
    return NormalisedFrame(
        profiles=conform(profiles.loc[keep]),
        rejected=_rejected_frame(frame, problems),
        skills_dropped=frame.index[dropped],
    )


def canonical_profiles(
    frame: pd.DataFrame, *, required_columns: Iterable[str] = REQUIRED_FIELDS
) -> pd.DataFrame:
    """Profiles a model can read, from canonical or raw values: what `SalaryModel.predict`
    and `SalaryRegressor` read.

    A frame already canonical (`canonical_problem` finds nothing: a check per distinct
    value) is returned as it is; otherwise it goes through `normalise_frame` (raw titles,
    country names, education words, skills text or aliases). Columns `required_columns`
    (role and country) must be present: an absent column is an error, not "unknown" (give
    the column with missing values to say that). A missing role, or a value that cannot be
    read, refuses the frame with one InvalidInputError naming the first such row, its field
    and value (`NormalisedFrame.refusal`).
    """
    from mlpay_model.normalise._canonical import canonical_problem, check_profile_frame

    check_profile_frame(frame)
    absent = [name for name in required_columns if name not in frame.columns]
    if absent:
        raise InvalidInputError(
            "profiles",
            list(frame.columns)[:8],
            f"missing required column(s) {', '.join(absent)} (give the column with missing "
            "values, None or NaN, where it is unknown); profile columns are: " + ", ".join(FIELDS),
        )
    if canonical_problem(frame) is None and not frame["role"].isna().any():
        return frame
    normalised = normalise_frame(frame, required=("role",))
    refusal = normalised.refusal()
    if refusal is not None:
        raise refusal
    return normalised.profiles


def _normalised(
    name: str, column: pd.Series, memory: dict[Hashable, _Normalised]
) -> tuple[np.ndarray, list[_Normalised]]:
    """Codes per row (-1 = missing) and what each distinct value normalises to."""
    codes, uniques = pd.factorize(_hashable(column), use_na_sentinel=True)
    values = list(uniques)
    unseen = [value for value in values if value not in memory]
    if unseen:
        if len(memory) + len(unseen) > MAX_REMEMBERED:
            memory.clear()
        normalise = _FIELD_VALUE[name]
        memory.update((value, normalise(value)) for value in unseen)
    return np.asarray(codes), [memory[value] for value in values]


def _role_value(value: object) -> _Normalised:
    try:
        family, hint = normalise_role(value)
    except InvalidInputError as error:
        return _Normalised(None, _reason(error))
    return _Normalised(family, None, hint)


def _skills_value(value: object) -> _Normalised:
    try:
        return _Normalised(normalise_skills(value), None, dropped=bool(unreadable_skills(value)))
    except InvalidInputError as error:
        return _Normalised(None, _reason(error))


def _field_value(normalise: Callable[[Any], Any]) -> Callable[[object], _Normalised]:
    def normalised(value: object) -> _Normalised:
        try:
            return _Normalised(normalise(value), None)
        except InvalidInputError as error:
            return _Normalised(None, _reason(error))

    return normalised


_FIELD_VALUE: Final[dict[str, Callable[[object], _Normalised]]] = {
    **{name: _field_value(normalise) for name, normalise in FIELD_NORMALISERS.items()},
    "role": _role_value,
    "skills": _skills_value,
}


def _reason(error: InvalidInputError) -> str:
    """The reason alone, as the rejects file has always written it (README): the value and
    field are written beside it; `InvalidInputError.suggestions` are for one profile."""
    return error.reason


def _skills_of_text(
    column: pd.Series, memory: dict[Hashable, _Normalised]
) -> tuple[pd.Series, np.ndarray, dict[int, str]]:
    """Skills per row from texts such as "Python;SQL": each skill name normalised once; per
    row whether a name with no letter or digit (an emoji) was dropped; and the rows refused
    (position -> the reason of their first refused name: a control character in it)."""
    lists = _split_skills(pa.array(column, pa.large_string()))
    rows = pc.list_parent_indices(lists).to_numpy()
    codes, tokens = _factorized(pc.list_flatten(lists))
    for token in tokens:
        if token not in memory:
            memory[token] = _skills_value((token,))
    refused_rows: dict[int, str] = {}
    refused = np.array([memory[token].reason is not None for token in tokens] or [False])
    if len(codes) and refused[codes].any():
        for at in np.flatnonzero(refused[codes]):
            refused_rows.setdefault(int(rows[at]), str(memory[tokens[codes[at]]].reason))
    canonical = [memory[token].value or () for token in tokens]  # () or a one-skill tuple
    unreadable = np.array([memory[token].dropped for token in tokens] or [False])
    dropped = np.zeros(len(column), dtype=bool)
    if len(codes):
        dropped[rows[unreadable[codes]]] = True
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
        pa.array(offsets, pa.int64()), pa.array(names, pa.string()).take(pa.array(key_ranks))
    )
    # Identical skill sets share one tuple: build a tuple per distinct set, not per row.
    set_codes, sets = _factorized(pc.binary_join(skill_lists, _JOIN))
    tuples = [tuple(text.split(_JOIN)) if text else () for text in sets]
    values = _take(tuples, np.where(column.isna().to_numpy(), -1, set_codes), missing=())
    return pd.Series(values, dtype=object, copy=False), dropped, refused_rows


def _split_skills(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Each text split at SKILL_SEPARATORS. Without a "+" or "/" in any text the pattern is
    one of "," or ";": a plain split, several times faster than the regular expression."""
    if (
        SKILL_SEPARATORS != _COMMA_SEMICOLON_OR_SPACED_PLUS_SLASH
        or pc.any(pc.match_substring(texts, "+")).as_py()
        or pc.any(pc.match_substring(texts, "/")).as_py()
    ):
        return pc.split_pattern_regex(texts, SKILL_SEPARATORS)
    return pc.split_pattern(pc.replace_substring(texts, ",", ";"), ";")


def _factorized(texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Codes per text and the distinct texts in order of first appearance (as pd.factorize
    gives them, without converting every text to a Python string)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    encoded = pc.dictionary_encode(texts)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    return codes, encoded.dictionary.to_pylist()


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
    if "employment_status" in profiles:
        profiles["employment_status"] = profiles["employment_status"].fillna("unknown")
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
    missing = () if name == "skills" else None  # a missing skills cell: no skills
    return pd.Series(_take(per_value, codes, missing=missing), dtype=object, copy=False)


def _take(per_value: list[Any], codes: np.ndarray, missing: object = None) -> np.ndarray:
    table = np.empty(len(per_value) + 1, dtype=object)
    table[:-1] = np.fromiter(per_value, dtype=object, count=len(per_value))  # tuples stay whole
    table[-1] = missing  # code -1 (missing) picks it
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
