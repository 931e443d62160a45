"""Train / calibration / test splits that never let a profile leak across them.

The one implementation of the split: `training.split.split_rows` (training) and the model-refit
intervals of `mlpay_model.compare` (which rebuild a shipped model's training part from its
manifest, with the runtime alone) both call `split_positions`.

grouped (default): rows are grouped by a hash of their feature values and their pay, and whole
    groups are dealt to test, calibration and train in a seeded random order until each part
    has its share of rows. aijobs publishes repeated submissions as identical rows (about half
    its file): with a row-level split the twin of a test row would sit in train and the test
    error would be flattered.
random: every row is its own group.
temporal: test = rows from `test_from_year` on (default: the latest year); calibration is a
    grouped sample of the earlier rows (and of rows without a year), and train the rest.
newest: per source, test = the `test_fraction` of its rows first in file order (the smallest
    `row_number`: aijobs.net lists its newest postings first), so the model learns from every
    posting so far and is scored on the ones that came next, as it is used; calibration is a
    grouped sample (calibration_fraction) of the older rows, as for temporal, and train the
    rest. Test rows are taken by position, not by group: a repeated submission in the older
    part is data the model would have had. A source read from several files takes the
    smallest row numbers of all its files together (ties in frame order).

The seed and the rows fully determine the split (no dependence on row order beyond it; newest
reads the file order from `row_number`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from mlpay_model.errors import DataError
from mlpay_model.schema import DERIVED_FEATURES, TARGET_COLUMNS

MIN_PART_ROWS: Final = 20
SPLIT_METHODS: Final[tuple[str, ...]] = ("grouped", "random", "temporal", "newest")
_TRAIN, _CALIBRATION, _TEST = 0, 1, 2


@dataclass(frozen=True)
class Split:
    """Sorted positional row indices of each part."""

    train: np.ndarray
    calibration: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "calibration": len(self.calibration),
            "test": len(self.test),
        }


def split_positions(
    profiles: pd.DataFrame,
    *,
    method: str,
    test_fraction: float,
    calibration_fraction: float,
    test_from_year: int | None,
    features: Sequence[str],
    seed: int,
) -> Split:
    """Split `profiles` (positions 0..n-1); a DataError if a part is too small."""
    rng = np.random.default_rng(seed)
    if method == "temporal":
        parts = _temporal_parts(profiles, test_from_year, calibration_fraction, features, rng)
    elif method == "newest":
        parts = _newest_parts(profiles, test_fraction, calibration_fraction, features, rng)
    else:
        keys = (
            group_keys(profiles, features)
            if method == "grouped"
            else np.arange(len(profiles), dtype=np.uint64)
        )
        parts = deal_groups(keys, test_fraction, calibration_fraction, rng)
    split = Split(
        train=np.flatnonzero(parts == _TRAIN),
        calibration=np.flatnonzero(parts == _CALIBRATION),
        test=np.flatnonzero(parts == _TEST),
    )
    too_small = {name: n for name, n in split.sizes().items() if n < MIN_PART_ROWS}
    if too_small:
        raise DataError(
            f"the {method} split leaves too few rows in "
            f"{', '.join(f'{name} ({n})' for name, n in too_small.items())}; each part needs "
            f"at least {MIN_PART_ROWS} rows (add data or change the split fractions)"
        )
    return split


def group_keys(profiles: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """One key per row; rows with the same feature values and the same pay share it (a
    derived feature, e.g. `title`, by the profile column it is read from)."""
    columns = dict.fromkeys(DERIVED_FEATURES.get(name, name) for name in features)
    return row_hashes(profiles, [*columns, *TARGET_COLUMNS])


def row_hashes(profiles: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A stable uint64 per row from the values in `columns` (same values, same hash)."""
    table = pd.DataFrame(
        {name: _hashable(profiles[name]) for name in columns}, index=profiles.index
    )
    return pd.util.hash_pandas_object(table, index=False).to_numpy(dtype=np.uint64)


def _hashable(column: pd.Series) -> pd.Series:
    """Values pandas can hash: tuples (skills) joined to text, everything else as text."""
    if column.name == "skills":
        return column.map(lambda skills: "|".join(skills) if isinstance(skills, tuple) else "")
    if column.name in TARGET_COLUMNS or column.dtype.kind == "f":
        return column.astype("float64")
    return column.astype(object).map(lambda value: None if pd.isna(value) else str(value))


def deal_groups(
    keys: np.ndarray,
    test_fraction: float,
    calibration_fraction: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per row 0 (train), 1 (calibration) or 2 (test); rows sharing a key share a part.

    Groups are shuffled; each goes to test while fewer than test_fraction of the rows are
    there, then to calibration likewise, then to train.
    """
    groups, row_group, group_sizes = np.unique(keys, return_inverse=True, return_counts=True)
    order = rng.permutation(len(groups))
    rows_before = np.cumsum(group_sizes[order]) - group_sizes[order]
    test_rows = test_fraction * len(keys)
    calibration_rows = calibration_fraction * len(keys)
    part_in_order = np.full(len(groups), _TRAIN, dtype=np.int8)
    part_in_order[rows_before < test_rows + calibration_rows] = _CALIBRATION
    part_in_order[rows_before < test_rows] = _TEST
    group_part = np.empty(len(groups), dtype=np.int8)
    group_part[order] = part_in_order
    return group_part[row_group]


def _temporal_parts(
    profiles: pd.DataFrame,
    test_from_year: int | None,
    calibration_fraction: float,
    features: Sequence[str],
    rng: np.random.Generator,
) -> np.ndarray:
    years = pd.to_numeric(profiles["year"], errors="coerce").to_numpy(dtype="float64")
    if np.isnan(years).all():
        raise DataError("the temporal split needs a 'year' per row; these sources give none")
    cutoff = test_from_year if test_from_year is not None else np.nanmax(years)
    is_test = years >= cutoff
    if is_test.all():
        raise DataError(
            f"the temporal split puts every row in test (year >= {cutoff:g}); set "
            "split.test_from_year to a later year"
        )
    parts = np.full(len(profiles), _TRAIN, dtype=np.int8)
    parts[is_test] = _TEST
    earlier = np.flatnonzero(~is_test)
    dealt = deal_groups(
        group_keys(profiles.iloc[earlier], features), 0.0, calibration_fraction, rng
    )
    parts[earlier] = dealt
    return parts


def newest_rows(profiles: pd.DataFrame, test_fraction: float) -> np.ndarray:
    """True for the rows of the newest split's test part: per source, the
    floor(test_fraction x its rows) rows with the smallest `row_number` (ties in frame order)."""
    if "row_number" not in profiles.columns:
        raise DataError("the newest split needs each row's 'row_number' (its row in its file)")
    numbers = pd.to_numeric(profiles["row_number"], errors="coerce").to_numpy(dtype="float64")
    if np.isnan(numbers).any():
        raise DataError(
            f"the newest split needs a 'row_number' on every row; {int(np.isnan(numbers).sum())} "
            "rows have none"
        )
    sources = (
        profiles["source"].astype(object).fillna("").to_numpy()
        if "source" in profiles.columns
        else np.zeros(len(profiles), dtype=object)
    )
    is_test = np.zeros(len(profiles), dtype=bool)
    for source in pd.unique(sources):
        at = np.flatnonzero(sources == source)
        first = at[np.argsort(numbers[at], kind="stable")]
        is_test[first[: int(np.floor(test_fraction * len(at)))]] = True
    return is_test


def _newest_parts(
    profiles: pd.DataFrame,
    test_fraction: float,
    calibration_fraction: float,
    features: Sequence[str],
    rng: np.random.Generator,
) -> np.ndarray:
    is_test = newest_rows(profiles, test_fraction)
    parts = np.full(len(profiles), _TRAIN, dtype=np.int8)
    parts[is_test] = _TEST
    older = np.flatnonzero(~is_test)
    parts[older] = deal_groups(
        group_keys(profiles.iloc[older], features), 0.0, calibration_fraction, rng
    )
    return parts
