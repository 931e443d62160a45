"""The rows a model learns from, and the training pipeline's helpers on them.

Reading, quality-checking and combining the configured sources is the runtime's data recipe
(`mlpay_model.data.recipe`: `load_training_data`, `TrainingData`, `SourceReport`,
`MIN_KEPT_ROWS`), so that `mlpay compare` rebuilds a model's training rows without this
package; they are re-exported here. What only training needs stays: the log target, the pay
bounds, row hashes (grouped splits) and the dataset digest.

Target: models learn log(annual USD pay). Exact pay gives log(pay); a pay band (Kaggle) gives
the log of its geometric midpoint, log(sqrt(low * high)), the middle of the band on the log
scale (`mlpay_model.data.quality.pay_point`). Evaluation still scores band rows against the band.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mlpay_model.data.quality import pay_point
from mlpay_model.data.recipe import MIN_KEPT_ROWS, SourceReport, TrainingData, load_training_data
from mlpay_model.schema import TARGET_COLUMNS, target_interval

__all__ = [
    "MIN_KEPT_ROWS",
    "SourceReport",
    "TrainingData",
    "dataset_digest",
    "load_training_data",
    "log_target",
    "row_hashes",
    "target_bounds",
]


def log_target(profiles: pd.DataFrame) -> np.ndarray:
    """Per row log(annual USD pay): the exact pay, or a band's geometric midpoint."""
    return np.log(pay_point(profiles))


def target_bounds(profiles: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row (low, high) USD pay: equal for exact pay, the band's edges for a band."""
    return target_interval(profiles)


def row_hashes(profiles: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A stable uint64 per row from the values in `columns` (same values, same hash)."""
    table = pd.DataFrame(
        {name: _hashable(profiles[name]) for name in columns}, index=profiles.index
    )
    return pd.util.hash_pandas_object(table, index=False).to_numpy(dtype=np.uint64)


def dataset_digest(profiles: pd.DataFrame) -> str:
    """sha256 of the training rows' content (order included): names the exact data a run used."""
    columns = [name for name in profiles.columns if name != "row_number"]
    digest = hashlib.sha256(row_hashes(profiles, columns).tobytes())
    digest.update(",".join(columns).encode())
    return digest.hexdigest()


def _hashable(column: pd.Series) -> pd.Series:
    """Values pandas can hash: tuples (skills) joined to text, everything else as text."""
    if column.name == "skills":
        return column.map(lambda skills: "|".join(skills) if isinstance(skills, tuple) else "")
    if column.name in TARGET_COLUMNS or column.dtype.kind == "f":
        return column.astype("float64")
    return column.astype(object).map(lambda value: None if pd.isna(value) else str(value))
