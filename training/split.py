"""Train / calibration / test splits that never let a profile leak across them.

The split itself is the runtime's (`mlpay_model.data.split`: grouped, random or temporal; see
there), so that `mlpay compare`'s model refits rebuild exactly the training part a model was
fitted on; this module applies a validated `SplitConfig`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mlpay_model.data.split import MIN_PART_ROWS, Split, deal_groups, group_keys, split_positions
from training.config import SplitConfig

__all__ = ["MIN_PART_ROWS", "Split", "deal_groups", "group_keys", "split_rows"]


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
