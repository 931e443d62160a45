"""Premiums as median per-person ratios, with a percentile bootstrap interval over people,
joined with the premiums of refitted models (`_refits`) into an interval that also covers the
model's own uncertainty (`combined_interval`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
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
    """Median per-person ratio minus one, its intervals, and the number of people.

    `ci` is the interval to show: over people *and* model refits when `refit_premiums` holds
    at least two refits (`_refits.combined_interval`), else over people only (`ci_people`).
    `estimated` is False when every per-person ratio is exactly 1: the model never uses the
    factor, so the 0% is not an estimate of anything.
    """

    premium: float
    ci: tuple[float, float]
    n: int
    ci_people: tuple[float, float] | None = None
    refit_premiums: tuple[float, ...] = ()
    estimated: bool = True

    @property
    def refitted(self) -> bool:
        return len(self.refit_premiums) >= 2

    @property
    def interval_kind(self) -> str:
        """ "model + people" or "people only": what `ci` covers."""
        return "model + people" if self.refitted else "people only"

    @property
    def ci_refits(self) -> tuple[float, float] | None:
        """The middle 90% of the refit premiums (None without refits)."""
        if not self.refitted:
            return None
        return RefitPremiums(self.refit_premiums).middle


def ratio_premium(
    pay: np.ndarray,
    baseline_pay: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
    refit_premiums: Sequence[float] = (),
) -> Premium:
    """median(pay / baseline_pay) - 1 over people, with a bootstrap interval over people,
    joined with the premiums of refitted models (`refit_premiums`) when given."""
    ratios = np.asarray(pay, dtype=np.float64) / np.asarray(baseline_pay, dtype=np.float64)
    if len(ratios) == 0:
        raise MlpayError("cannot compute a premium over an empty population")
    low, high = bootstrap_interval(
        ratios, np.median, resamples=resamples, seed=seed, confidence=confidence
    )
    estimate = float(np.median(ratios) - 1.0)
    people = (low - 1.0, high - 1.0)
    refits = tuple(float(value) for value in refit_premiums)
    ci = people
    if len(refits) >= 2:
        ci = combined_interval(estimate, people, RefitPremiums(refits))
    return Premium(
        premium=estimate,
        ci=ci,
        n=len(ratios),
        ci_people=people,
        refit_premiums=refits,
        estimated=bool(np.any(ratios != 1.0)),
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


# --- summarising refits ------------------------------------------------------------------------


@dataclass(frozen=True)
class RefitPremiums:
    """A premium recomputed for the same people under each refitted model."""

    premiums: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.premiums)

    @property
    def sd(self) -> float:
        """Standard deviation of the refit premiums (NaN for fewer than two refits)."""
        return float(np.std(self.premiums, ddof=1)) if len(self.premiums) > 1 else math.nan

    @property
    def half_width(self) -> float:
        """Half-width of a 90% interval from the refits alone (t with refits - 1 dof)."""
        return t_quantile(0.5 + CONFIDENCE / 2.0, len(self.premiums) - 1) * self.sd

    @property
    def middle(self) -> tuple[float, float]:
        """The middle 90% of the refit premiums (5th and 95th percentiles, interpolated)."""
        tail = (1.0 - CONFIDENCE) / 2.0
        low, high = np.quantile(self.premiums, [tail, 1.0 - tail])
        return float(low), float(high)


def combined_interval(
    estimate: float, people_ci: tuple[float, float], refit: RefitPremiums
) -> tuple[float, float]:
    """A 90% interval for `estimate` covering both the people and the model refits.

    Symmetric around `estimate`, widened to hold the middle 90% of the refit premiums (see the
    module docstring). With fewer than two refits there is no spread: the people interval
    comes back.
    """
    if len(refit.premiums) < 2:
        return people_ci
    half_width = math.hypot((people_ci[1] - people_ci[0]) / 2.0, refit.half_width)
    low, high = refit.middle
    return min(estimate - half_width, low), max(estimate + half_width, high)


def t_quantile(p: float, dof: int) -> float:
    """Student's t quantile (Cornish-Fisher expansion; within 0.001 for dof >= 3)."""
    if dof < 1:
        return math.nan
    z = NormalDist().inv_cdf(p)
    terms = (
        (z**3 + z) / 4.0,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96.0,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384.0,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160.0,
    )
    return z + sum(term / dof ** (power + 1) for power, term in enumerate(terms))
