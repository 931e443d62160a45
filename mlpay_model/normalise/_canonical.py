"""Checking that a frame already holds canonical profiles (what `SalaryModel.predict` reads)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlpay_model.errors import InvalidInputError, closest
from mlpay_model.normalise._fields import FIELDS, float_or_nan
from mlpay_model.schema import ALLOWED_VALUES, is_missing

if TYPE_CHECKING:
    import pandas as pd


def check_canonical(profiles: object) -> None:
    """Refuse a frame that `SalaryModel.predict` cannot read as canonical profiles.

    It must be a DataFrame with a `role` column; categorical columns must hold schema values,
    `country` ISO alpha-2 codes, numeric columns numbers and `skills` lists or tuples of
    canonical names, not text (missing values are fine).
    """
    check_profile_frame(profiles)
    problem = canonical_problem(profiles)  # type: ignore[arg-type]
    if problem is not None:
        raise problem


def check_profile_frame(profiles: object) -> None:
    """Refuse what is not a DataFrame with a `role` column (canonical or raw alike)."""
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


def canonical_problem(profiles: pd.DataFrame) -> InvalidInputError | None:
    """The error for the first value of `profiles` that is not canonical, or None.

    Each column's distinct values are checked once (cheap next to predicting), so callers
    can test a frame and normalise it only when this finds something (`canonical_profiles`).
    """
    import pandas as pd

    hint = "normalise raw text first with mlpay_model.normalise.normalise_frame"
    for name, allowed in ALLOWED_VALUES.items():
        if name not in profiles.columns:
            continue
        bad = _first_bad(profiles[name], allowed.__contains__)
        if bad is not None:
            label, value = bad
            return InvalidInputError(
                name,
                value,
                f"row {label!r}: not a canonical value (expected one of {', '.join(allowed)}); "
                + hint,
                closest(str(value), allowed),
            )
    if "country" in profiles.columns:
        bad = _first_bad(profiles["country"], _is_alpha2)
        if bad is not None:
            return InvalidInputError(
                "country", bad[1], f"row {bad[0]!r}: not an ISO 3166-1 alpha-2 code; " + hint
            )
    for name in ("years_experience", "remote_ratio", "year"):
        if name in profiles.columns and not pd.api.types.is_numeric_dtype(profiles[name]):
            bad = _first_bad(profiles[name], lambda value: not math.isnan(float_or_nan(value)))
            if bad is not None:
                return InvalidInputError(name, bad[1], f"row {bad[0]!r}: not a number; " + hint)
    if "skills" in profiles.columns:
        text = _first_text(profiles["skills"])
        if text is not None:
            return InvalidInputError(
                "skills",
                text[1],
                f"row {text[0]!r}: a text, not a list of canonical skill names; " + hint,
            )
    return None


def _first_text(column: pd.Series) -> tuple[Any, str] | None:
    """(index label, value) of the first cell that is a string (skills written as text)."""
    if column.dtype != object:  # e.g. a pandas string column: all text
        present = column[column.notna()]
        return (present.index[0], str(present.iloc[0])) if len(present) else None
    values = column.to_numpy()
    if not any(issubclass(kind, str) for kind in set(map(type, values))):  # the usual case
        return None
    position = next(i for i, value in enumerate(values) if isinstance(value, str))
    return column.index[position], values[position]


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
    bad = [value for value in distinct if not is_missing(value) and not is_valid(value)]
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
