"""Train / calibration / test splits that never let a profile leak across them.

The split itself is the runtime's (`mlpay_model.data.split`: grouped, random or temporal; see
there), so that `mlpay compare`'s model refits rebuild exactly the training part a model was
fitted on; this module applies a validated `SplitConfig`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mlpay_model.data.split import MIN_PART_ROWS, Split, deal_groups, group_keys, split_positions
from training.config import SplitConfig

__all__ = ["MIN_PART_ROWS", "Split", "deal_groups", "fold_rows", "group_keys", "split_rows"]


def split_rows(
    profiles: pd.DataFrame, config: SplitConfig, *, features: Sequence[str], seed: int
) -> Split:
    """Split `profiles` (positions 0..n-1) as `config` says; a DataError if a part is too small."""
    return split_positions(
        profiles,
        method=config.method,
        test_fraction=config.test_fraction,
        calibration_fraction=config.calibration_fraction,
        test_from_year=config.test_from_year,
        features=features,
        seed=seed,
    )


def fold_rows(
    profiles: pd.DataFrame, config: SplitConfig, *, features: Sequence[str], folds: int, seed: int
) -> np.ndarray:
    """Per row of `profiles`, its fold 0..folds-1, with the split's grouping: rows with the
    same feature values and pay share a fold (every row is its own group for method random).

    Groups are shuffled (seeded) and dealt in that order, each to the fold whose share of rows
    it starts in, so folds hold about len(profiles) / folds rows each.
    """
    keys = (
        np.arange(len(profiles), dtype=np.uint64)
        if config.method == "random"
        else group_keys(profiles, features)
    )
    _, row_group, group_sizes = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.random.default_rng([seed, 2]).permutation(len(group_sizes))
    rows_before = np.cumsum(group_sizes[order]) - group_sizes[order]
    fold_in_order = (rows_before * folds) // len(profiles)
    group_fold = np.empty(len(group_sizes), dtype=np.int64)
    group_fold[order] = fold_in_order
    return group_fold[row_group]
