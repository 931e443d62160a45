"""Premiums as median per-person ratios, with a percentile bootstrap interval over people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np

from mlpay_model.errors import MlpayError

DEFAULT_RESAMPLES: Final = 1_000
DEFAULT_SEED: Final = 0
CONFIDENCE: Final = 0.90
# Bootstrap medians are computed in blocks of at most this many drawn values (memory bound).
_BOOTSTRAP_BLOCK_VALUES: Final = 4_000_000
Statistic = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Premium:
    """Median per-person ratio minus one, its bootstrap interval, and the number of people."""

    premium: float
    ci: tuple[float, float]
    n: int




def ratio_premium(
    pay: np.ndarray,
    baseline_pay: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> Premium:
    """median(pay / baseline_pay) - 1 over people, with a bootstrap interval over people."""
    ratios = np.asarray(pay, dtype=np.float64) / np.asarray(baseline_pay, dtype=np.float64)
    if len(ratios) == 0:
        raise MlpayError("cannot compute a premium over an empty population")
    low, high = bootstrap_interval(
        ratios, np.median, resamples=resamples, seed=seed, confidence=confidence
    )
    return Premium(
        premium=float(np.median(ratios) - 1.0), ci=(low - 1.0, high - 1.0), n=len(ratios)
    )


def bootstrap_interval(
    values: np.ndarray,
    statistic: Statistic,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic` (e.g. np.median, np.mean) over `values`.

    Values are resampled with replacement `resamples` times with a seeded numpy generator,
    vectorised in blocks; `statistic` must accept an `axis` argument.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        raise MlpayError("cannot bootstrap an empty sample")
    rng = np.random.default_rng(seed)
    estimates = np.empty(resamples, dtype=np.float64)
    block = max(1, _BOOTSTRAP_BLOCK_VALUES // n)
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        draws = rng.integers(0, n, size=(stop - start, n), dtype=np.int32)
        estimates[start:stop] = statistic(values[draws], axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(estimates, [tail, 1.0 - tail])
    return float(low), float(high)
