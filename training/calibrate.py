"""The calibrate stage: fit a model and conformalize its interval, the one way to do both.

`calibrate(plan, rows)` is what `train()`, `SalaryRegressor.fit` and the out-of-time
benchmark run, with a `CalibrationPlan` that `CalibrationPlan.of_config(config)` or the
estimator's parameters build:

    split            the model fitted on `rows`, q from `calibration_rows` (scored by it);
    cross_conformal  the model fitted on `rows`, q from their out-of-fold scores (K grouped
                     folds, each scored by a model fitted on the others); with `year_ahead`,
                     the extra q of a pay year past them (`measure_year_ahead`).

The interval itself is `mlpay_model.model.interval.IntervalCalibrator`'s (the runtime's):
this stage only decides which held-out rows conformalize it. Per population (Mondrian), each
source's q comes from its own rows when the model reads `source`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import lightgbm as lgb
import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from mlpay_model.errors import DataError
from mlpay_model.model import fitting
from mlpay_model.model.fitting import FitSettings, FittedModel, raw_predictions
from mlpay_model.model.interval import HeldOut, IntervalCalibrator, calibrated_interval
from mlpay_model.model.pay_year import PayYears, pay_years_of_rows
from mlpay_model.schema import PREDICTION_COLUMNS, SCORE_COLUMNS
from training.config import CalibrationConfig, SplitConfig, TrainConfig
from training.data import log_target, target_bounds
from training.split import MIN_PART_ROWS, deal_groups, fold_rows, group_keys

Progress = Callable[[str], None]
_DRAWN_PART: Final = 1  # the part `deal_groups` deals its calibration_fraction of rows to


def silent(_stage: str) -> None:
    """The default progress callback: report nothing."""


@dataclass(frozen=True)
class CalibrationPlan:
    """Everything `calibrate` reads: the fit, the calibration method and how folds are dealt."""

    fit: FitSettings
    calibration: CalibrationConfig
    split: SplitConfig  # folds are dealt as the split deals its parts (grouped: whole groups)
    seed: int
    model_name: str = "model"
    population: str | None = None  # the population of a profile without a source

    @classmethod
    def of_config(cls, config: TrainConfig) -> CalibrationPlan:
        """The plan a training config describes."""
        return cls(
            fit=config.fit_settings(),
            calibration=config.calibration,
            split=config.split,
            seed=config.seed,
            model_name=config.model.name,
            population=config.population,
        )

    @property
    def per_population(self) -> bool:
        """Whether each source gets its own q (Mondrian): the model reads `source`."""
        return self.calibration.per_population and "source" in self.fit.features

    @property
    def parallel_fits(self) -> int:
        """How many models to fit at once: the cores over each fit's LightGBM threads."""
        threads = int(self.fit.lightgbm.get("num_threads", 1) or 1)
        return max(1, (os.cpu_count() or 1) // threads)


@dataclass(frozen=True)
class Calibrated:
    """What calibration decided: the model fitted on `fit_rows`, the interval's calibrator
    (q, per population, the year-ahead extra), how many rows gave q's conformity scores,
    and the pay years of the fit rows."""

    evaluated: FittedModel
    fit_rows: pd.DataFrame
    calibrator: IntervalCalibrator
    scored_rows: int
    folds: int | None  # None: the split method
    pay_years: PayYears

    def encode(self, rows: pd.DataFrame) -> np.ndarray:
        """The model's matrix of canonical `rows`, each pay year held within its
        population's pay years in the fit rows (`PayYears.nearest`, as prediction reads it)."""
        if "year" in self.evaluated.spec.features:
            rows = rows.assign(year=self.pay_years.nearest_years(*_years_and_sources(rows)))
        return self.evaluated.encode(rows)

    def adjustments(self, rows: pd.DataFrame) -> np.ndarray:
        """q per row of canonical `rows`, plus the year-ahead adjustment where the row's pay
        year lies past its population's latest pay year in the fit rows, for a model with a
        year feature (as prediction does)."""
        years, sources = _years_and_sources(rows)
        reads_year = "year" in self.evaluated.spec.features
        past = self.pay_years.past_latest(years, sources) if reads_year else None
        return self.calibrator.per_row(sources, past)

    def predict_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """`rows` scored as the shipped model would score them: `predict_frame` of the
        model's boosters and effects with each row's adjustment."""
        return predict_frame(
            self.evaluated.boosters,
            self.encode(rows),
            self.adjustments(rows),
            rows,
            offset=self.evaluated.effect_offset(rows),
        )


def calibrate(
    plan: CalibrationPlan,
    rows: pd.DataFrame,
    calibration_rows: pd.DataFrame | None = None,
    step: Progress = silent,
) -> Calibrated:
    """The model fitted on `rows` and its conformalized interval (see the module docstring);
    the split method needs `calibration_rows`, cross_conformal takes none."""
    split = plan.calibration.method == "split"
    if split != (calibration_rows is not None):
        raise ValueError(
            f"calibration method {plan.calibration.method}: calibration_rows are "
            + ("required" if split else "not used (q comes from out-of-fold scores)")
        )
    evaluated = fit_model(plan, rows, step)
    step("calibrate")
    calibrator = IntervalCalibrator(coverage=plan.calibration.target_coverage)
    if calibration_rows is not None:
        calibrator = calibrator.conformalize(
            scores(plan, evaluated.raw(calibration_rows), calibration_rows)
        )
        scored, folds = len(calibration_rows), None
    else:
        raw = out_of_fold_predictions(plan, rows, fold_ids(plan, rows))
        calibrator = calibrator.conformalize(scores(plan, raw, rows))
        if plan.calibration.year_ahead:
            calibrator = measure_year_ahead(plan, rows, calibrator)
        scored, folds = len(rows), plan.calibration.folds
    return Calibrated(evaluated, rows, calibrator, scored, folds, fit_pay_years(plan, rows))


def fit_model(plan: CalibrationPlan, rows: pd.DataFrame, step: Progress = silent) -> FittedModel:
    """The model (spec, boosters, effects) fitted on `rows`: `mlpay_model.model.fitting.
    fit_model`, the one fit."""
    return fitting.fit_model(plan.fit, rows, log_target(rows), step)


def scores(
    plan: CalibrationPlan, raw: tuple[np.ndarray, np.ndarray, np.ndarray], rows: pd.DataFrame
) -> HeldOut:
    """`rows` scored by a model that did not learn from them (`raw`: its uncalibrated log
    pay), with their sources when the model is calibrated per population."""
    sources = rows["source"].astype(str).to_numpy() if plan.per_population else None
    return HeldOut(raw, *target_bounds(rows), sources)


def fit_pay_years(plan: CalibrationPlan, rows: pd.DataFrame) -> PayYears:
    """The pay years of `rows` per population, as the runtime reads them from the manifest."""
    recorded = {"source", "year"} <= set(rows.columns)  # an estimator's X may have neither
    per_source = pay_years_of_rows(rows) if recorded else {}
    populations = tuple(per_source) or ("unknown",)
    default = plan.population if plan.population in per_source else populations[0]
    return PayYears.of_model(
        {"pay_years": per_source, "name": plan.model_name},
        populations,
        default,
        pooled="source" in plan.fit.features,
    )


def fold_ids(plan: CalibrationPlan, rows: pd.DataFrame) -> np.ndarray:
    """Each row's fold (`training.split.fold_rows`); a DataError when a fold is too small."""
    folds = plan.calibration.folds
    ids = fold_rows(rows, plan.split, features=list(plan.fit.features), folds=folds, seed=plan.seed)
    sizes = np.bincount(ids, minlength=folds)
    if sizes.min() < MIN_PART_ROWS:
        raise DataError(
            f"calibration.folds {folds}: a fold holds {int(sizes.min())} row(s) of "
            f"{len(rows):,} non-test rows; each needs at least {MIN_PART_ROWS} (lower "
            "calibration.folds or add data)"
        )
    return ids


def out_of_fold_predictions(
    plan: CalibrationPlan, rows: pd.DataFrame, folds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uncalibrated (median, low, high) log pay of every row, each predicted by a model
    fitted on the rows of the other folds."""
    raw = np.empty((3, len(rows)))
    ids = np.unique(folds)
    held_out = held_out_predictions(plan, rows, [folds == fold for fold in ids])
    for fold, predicted in zip(ids, held_out, strict=True):
        raw[:, folds == fold] = predicted
    return raw[0], raw[1], raw[2]


def held_out_predictions(
    plan: CalibrationPlan, rows: pd.DataFrame, held_out: list[np.ndarray]
) -> list[np.ndarray]:
    """For each mask of `held_out` rows, their uncalibrated (median, low, high) log pay (a
    3 x rows array) predicted by a model fitted on the other rows. The fits are independent,
    so they run `plan.parallel_fits` at a time (the same models as one at a time)."""
    jobs = (
        delayed(_fit_and_predict)(plan, rows, np.flatnonzero(~mask), np.flatnonzero(mask))
        for mask in held_out
    )
    return list(Parallel(n_jobs=plan.parallel_fits)(jobs))


def _fit_and_predict(
    plan: CalibrationPlan, rows: pd.DataFrame, fit_on: np.ndarray, scored: np.ndarray
) -> np.ndarray:
    return np.vstack(fit_model(plan, rows.iloc[fit_on]).raw(rows.iloc[scored]))


def latest_year_rows(rows: pd.DataFrame) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """Rows of each source's latest pay year where the source has an earlier one, those years
    and each one's step in years from the source's previous pay year (the year-ahead extra is
    measured per year of it)."""
    years = pd.to_numeric(rows["year"], errors="coerce")
    sources = rows["source"].astype(str)
    held_out = np.zeros(len(rows), dtype=bool)
    measured_on: dict[str, int] = {}
    steps: dict[str, int] = {}
    for source in sorted(sources.unique()):
        of_source = (sources == source).to_numpy()
        distinct = sorted({int(year) for year in years[of_source].dropna()})
        if len(distinct) >= 2:
            held_out |= of_source & (years == distinct[-1]).to_numpy()
            measured_on[source] = distinct[-1]
            steps[source] = distinct[-1] - distinct[-2]
    return held_out, measured_on, steps


def measure_year_ahead(
    plan: CalibrationPlan, rows: pd.DataFrame, calibrator: IntervalCalibrator
) -> IntervalCalibrator:
    """`calibrator` with the year-ahead extra of `rows` (`IntervalCalibrator.with_year_ahead`);
    as it is when no source has two pay years, or a side would hold fewer than
    MIN_PART_ROWS rows.

    Both qs come from models that lack the same number of each source's rows: `ahead_q`'s
    lacks the source's latest year (`latest_year_rows`), `in_time_q`'s as many of its rows
    drawn at random from all its years (`random_draw_like`). Losing rows alone widens the
    interval a model needs, and both pay that; what only the first pays is the year's drift.
    """
    held_out, measured_on, steps = latest_year_rows(rows)
    drawn = random_draw_like(plan, rows, held_out)
    if min(int(held_out.sum()), int((~held_out).sum()), int((~drawn).sum())) < MIN_PART_ROWS:
        return calibrator
    ahead, in_time = (
        scores(plan, (predicted[0], predicted[1], predicted[2]), rows.iloc[np.flatnonzero(mask)])
        for mask, predicted in zip(
            (held_out, drawn), held_out_predictions(plan, rows, [held_out, drawn]), strict=True
        )
    )
    return calibrator.with_year_ahead(ahead, in_time, measured_on, steps)


def random_draw_like(plan: CalibrationPlan, rows: pd.DataFrame, held_out: np.ndarray) -> np.ndarray:
    """Per source with `held_out` rows, as many of its rows (whole groups of identical rows,
    as the split deals them) drawn at random from all its years."""
    keys = group_keys(rows, list(plan.fit.features))
    sources = rows["source"].astype(str).to_numpy()
    rng = np.random.default_rng([plan.seed, 3])
    drawn = np.zeros(len(rows), dtype=bool)
    for source in sorted(set(sources[held_out])):
        of_source = np.flatnonzero(sources == source)
        share = float(held_out[of_source].mean())
        parts = deal_groups(keys[of_source], 0.0, share, rng)
        drawn[of_source[parts == _DRAWN_PART]] = True
    return drawn


def predict_frame(
    boosters: dict[str, lgb.Booster],
    matrix: np.ndarray,
    adjustment: float | np.ndarray,
    rows: pd.DataFrame,
    *,
    offset: float | np.ndarray = 0.0,
) -> pd.DataFrame:
    """`rows` plus pred_median/pred_low/pred_high and target_low/target_high, all in USD
    (`adjustment`: q, or q per row as `Calibrated.adjustments` gives it; `offset`: log pay
    added to every head, the effects of `FittedModel.effect_offset`)."""
    median, low, high = raw_predictions(boosters, matrix)
    interval = calibrated_interval(median + offset, low + offset, high + offset, adjustment)
    predicted = dict(zip(PREDICTION_COLUMNS, interval, strict=True))
    target_low, target_high = target_bounds(rows)
    return rows.assign(
        **{SCORE_COLUMNS[name]: values for name, values in predicted.items()},
        target_low=target_low,
        target_high=target_high,
    )


def _years_and_sources(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The pay years (floats, NaN when missing) and sources of canonical `rows`."""
    years = pd.to_numeric(rows["year"], errors="coerce").to_numpy("float64")
    return years, rows["source"].astype(str).to_numpy()
