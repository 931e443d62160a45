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
            bad = _first_bad(profiles[name], lambda value: not math.isnan(float_or_nan(value)))
            if bad is not None:
                raise InvalidInputError(name, bad[1], f"row {bad[0]!r}: not a number; " + hint)


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
