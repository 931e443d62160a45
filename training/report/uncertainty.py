"""How much a headline premium moves when the model itself is refitted.

The intervals of `mlpay_model.compare` resample the *people* the premium is averaged over and
keep the fitted model fixed. When a model gives nearly everyone the same ratio between two
roles (aijobs' small trees rarely let the role interact with anything) that interval has
almost zero width, which says nothing about how well the data pins the premium down.

`refit_premiums` measures the model's part: it retrains the median booster `refits` times with
the training pipeline's own functions and the model's own training config (`training.train`:
`prepare_split`, `fit_boosters`), each time on a bootstrap
resample of the training split, and recomputes the premium for the same people. Identical rows
(the groups of the grouped split: aijobs' repeated submissions) are drawn together, as one
submission. Without resampling the refit reproduces the shipped median model exactly, so the
spread of the refits is the model-fit uncertainty and nothing else.

`combined_interval` joins the two, adding half-widths in quadrature (independent errors,
normal approximation): estimate +/- sqrt(h_people^2 + h_refit^2), where h_people is half the
people interval's width and h_refit = t * sd of the refit premiums, t being Student's 95%
quantile with refits - 1 degrees of freedom: the standard deviation of a handful of refits is
itself uncertain, and t widens the interval for that (2.13 for 5 refits, 1.73 for 20). The
interval is then widened, where needed, to hold the middle 90% of the refit premiums: the
refits need not centre on the shipped estimate (drawing aijobs' repeated submissions together
can shift a premium, where the shipped model counts each copy), and an interval that excluded
what most retrained models find would overstate what is known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy import stats

from mlpay_model import compare
from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from training.config import TrainConfig
from training.data import log_target
from training.split import group_keys
from training.train import fit_boosters, prepare_split

CONFIDENCE: Final = compare.CONFIDENCE


@dataclass(frozen=True)
class RefitPremiums:
    """The premium of `role` over `vs` for the same people under each refitted model."""

    role: str
    vs: str
    premiums: tuple[float, ...]

    @property
    def sd(self) -> float:
        """Standard deviation of the refit premiums (NaN for fewer than two refits)."""
        return float(np.std(self.premiums, ddof=1)) if len(self.premiums) > 1 else math.nan

    @property
    def half_width(self) -> float:
        """Half-width of a 90% interval from the refits alone (t with refits - 1 dof)."""
        return float(stats.t.ppf(0.5 + CONFIDENCE / 2.0, len(self.premiums) - 1)) * self.sd

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


def refit_premiums(
    config: TrainConfig,
    profiles: pd.DataFrame,
    people: pd.DataFrame,
    role: str,
    versus: Sequence[str],
    *,
    refits: int,
    seed: int = compare.DEFAULT_SEED,
) -> dict[str, RefitPremiums]:
    """Premium of `role` over each of `versus` for `people`, under `refits` refitted models.

    `profiles` are all the model's rebuilt rows (the pipeline splits them as in training and
    resamples the training part); `people` is the reference population of the premium.
    """
    prepared = prepare_split(config, profiles)
    train_rows = prepared.parts["train"]
    matrix = prepared.matrices["train"]
    log_pay = log_target(train_rows)
    encoder = FeatureEncoder(prepared.spec)
    as_each_role = {
        name: encoder.encode_frame(compare.with_value(people, "role", name))
        for name in (role, *versus)
    }
    _, row_group = np.unique(group_keys(train_rows, config.features), return_inverse=True)
    groups = int(row_group.max()) + 1 if len(row_group) else 0
    ratios: dict[str, list[float]] = {other: [] for other in versus}
    for refit in range(refits):
        rng = np.random.default_rng([seed, refit])
        draws_per_group = np.bincount(rng.integers(0, groups, size=groups), minlength=groups)
        rows = np.repeat(np.arange(len(train_rows)), draws_per_group[row_group])
        booster = fit_median_booster(config, prepared.spec, matrix[rows], log_pay[rows])
        as_role = _predict(booster, as_each_role[role])
        for other in versus:
            ratio = np.exp(as_role - _predict(booster, as_each_role[other]))
            ratios[other].append(float(np.median(ratio) - 1.0))
    return {
        other: RefitPremiums(role=role, vs=other, premiums=tuple(values))
        for other, values in ratios.items()
    }


def fit_median_booster(
    config: TrainConfig, spec: FeatureSpec, matrix: np.ndarray, log_pay: np.ndarray
) -> lgb.Booster:
    """The median booster exactly as `training.train.fit_boosters` fits it."""
    return fit_boosters(config, spec, matrix, log_pay, heads=("median",))["median"]


def _predict(booster: lgb.Booster, matrix: np.ndarray) -> np.ndarray:
    return np.asarray(booster.predict(matrix), dtype=np.float64)
