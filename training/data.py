"""The rows a model learns from, and the training pipeline's helpers on them.

Reading, quality-checking and combining the configured sources is the runtime's data recipe
(`mlpay_model.data.recipe`: `load_training_data`, `TrainingData`, `SourceReport`,
`MIN_KEPT_ROWS`), so that `mlpay compare` rebuilds a model's training rows without this
package; they are re-exported here. What only training needs stays: the log target, the pay
bounds, row hashes (re-exported from the runtime's split) and the dataset digest.

Target: models learn log(annual USD pay). Exact pay gives log(pay); a pay band (Kaggle) gives
the log of its geometric midpoint, log(sqrt(low * high)), the middle of the band on the log
scale (`mlpay_model.data.quality.pay_point`). Evaluation still scores band rows against the band.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from mlpay_model.data.quality import pay_point
from mlpay_model.data.recipe import MIN_KEPT_ROWS, SourceReport, TrainingData, load_training_data
from mlpay_model.data.split import row_hashes
from mlpay_model.schema import target_interval

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


def dataset_digest(profiles: pd.DataFrame) -> str:
    """sha256 of the training rows' content (order included): names the exact data a run used."""
    columns = [name for name in profiles.columns if name != "row_number"]
    digest = hashlib.sha256(row_hashes(profiles, columns).tobytes())
    digest.update(",".join(columns).encode())
    return digest.hexdigest()
