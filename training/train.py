"""The training pipeline: config in, evaluated and calibrated model artifact out.

`train(config)` reads the data (`training.data`), splits it (`training.split`), fits three
LightGBM boosters on log(annual USD pay), one per head of `artifact.QUANTILE_HEADS` (the median
and the low/high quantiles), calibrates the interval (conformalized quantile regression: the
runtime's own `mlpay_model.model.interval.IntervalCalibrator`), scores the model and the
baselines on the test split (`training.evaluate`, `training.baselines`) and writes the artifact
folder with its model card into a staging folder.

Calibration (`config.calibration.method`, see `training.config.CalibrationConfig`):
    cross_conformal  q from the out-of-fold scores of the non-test rows (K grouped folds, each
                     scored by boosters fitted on the other folds); the test metrics are of
                     boosters refitted on all non-test rows with that q; the shipped boosters
                     are refitted on all rows (test too) with the same q.
    split            boosters fitted on the train part, q from the calibration part; those
                     boosters are scored on the test part and shipped.

Determinism: the same config and data give byte-identical model files. Rows keep file order,
the split is seeded, vocabularies are sorted, and LightGBM runs with deterministic=True,
force_col_wise=True, a fixed num_threads and the config's seed.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from mlpay_model.errors import DataError
from mlpay_model.model import fitting
from mlpay_model.model.artifact import ALL_ROWS as ARTIFACT_ALL_ROWS
from mlpay_model.model.artifact import QUANTILE_HEADS
from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.model.fitting import FittedModel as FittedModel  # re-exported
from mlpay_model.model.fitting import fit_booster as fit_booster  # re-exported
from mlpay_model.model.fitting import raw_predictions as _raw_predictions
from mlpay_model.model.fitting import with_missing_copy as with_missing_copy  # re-exported
from mlpay_model.model.interval import CALIBRATION_METHOD as CALIBRATION_METHOD
from mlpay_model.model.interval import MIN_POPULATION_ROWS as MIN_POPULATION_ROWS
from mlpay_model.model.interval import HeldOut, IntervalCalibrator, calibrated_interval
from mlpay_model.model.interval import YearAhead as YearAhead  # re-exported
from mlpay_model.model.pay_year import PayYears, pay_years_of_rows
from mlpay_model.schema import PREDICTION_COLUMNS, SCORE_COLUMNS
from training.baselines import fit_predict_baselines
from training.config import TrainConfig
from training.data import (
    TrainingData,
    dataset_digest,
    load_training_data,
    log_target,
    target_bounds,
)
from training.evaluate import evaluate, point_metrics
from training.export import write_artifact
from training.model_card import render_model_card
from training.split import MIN_PART_ROWS, Split, deal_groups, fold_rows, group_keys, split_rows

STAGES: Final[tuple[str, ...]] = (
    "load data",
    "split",
    "fit median",
    "fit low",
    "fit high",
    "calibrate",
    "evaluate",
    "baselines",
    "refit on all rows",  # cross_conformal only: the shipped boosters
    "write artifact",
)
SHIPPED_ON_ALL_ROWS: Final = ARTIFACT_ALL_ROWS
_DRAWN_PART: Final = 1  # the part `deal_groups` deals its calibration_fraction of rows to

Progress = Callable[[str], None]


def _silent(_stage: str) -> None:
    """The default progress callback: report nothing."""


@dataclass
class TrainResult:
    """Everything a training run produced: the metrics and breakdowns of the test split, the
    baselines' scores, the test rows with their predictions (`training.evaluate`'s columns),
    the data read, the calibration and the artifact folder written."""

    config: TrainConfig
    artifact_dir: Path
    metrics: dict[str, float]
    breakdowns: dict[str, pd.DataFrame]
    baselines: dict[str, dict[str, float]]
    test_predictions: pd.DataFrame
    feature_importance: dict[str, float]
    data: TrainingData
    dataset_digest: str
    calibration: dict[str, Any] = field(default_factory=dict)
    split_sizes: dict[str, int] = field(default_factory=dict)
    shipped_rows: int = 0  # rows the shipped boosters were fitted on


@dataclass(frozen=True)
class Calibrated:
    """What calibration decided: the evaluated model (scored on the test part), the rows it
    was fitted on, the interval's calibrator (q, per population, the year-ahead extra) and
    the rows that gave q's conformity scores."""

    evaluated: FittedModel
    fit_rows: pd.DataFrame
    calibrator: IntervalCalibrator
    scored_rows: int
    folds: int | None  # None: the split method
    pay_years: PayYears

    def encode(self, rows: pd.DataFrame) -> np.ndarray:
        """The evaluated model's matrix of canonical `rows`, each pay year held within its
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


def _years_and_sources(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The pay years (floats, NaN when missing) and sources of canonical `rows`."""
    years = pd.to_numeric(rows["year"], errors="coerce").to_numpy("float64")
    return years, rows["source"].astype(str).to_numpy()


def train(
    config: TrainConfig,
    *,
    staging_dir: Path | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Train, evaluate and write the artifact to `<staging_dir>/<model name>/`.

    `staging_dir` defaults to a new temporary folder; `mlpay train` moves the artifact from
    there into its output folder. `progress` is called with each name in STAGES as it starts.
    """
    step = progress or _silent
    step("load data")
    data = load_training_data(config)
    step("split")
    prepared = prepare_split(config, data.profiles)
    split, parts = prepared.split, prepared.parts
    # The shipped boosters (cross_conformal: refitted on every row) depend on nothing that
    # calibration decides, so they fit on a thread meanwhile (LightGBM frees the GIL):
    # the same model, about one fit's time less on 2 cores.
    with ThreadPoolExecutor(max_workers=1) as background:
        if config.calibration.method == "split":
            refit = None
            calibrated = split_calibration(config, prepared, step)
        else:
            refit = background.submit(fit_model, config, data.profiles)
            rows = evaluation_rows(config, data.profiles, split)
            calibrated = cross_calibration(config, rows, step)
    evaluated, calibrator = calibrated.evaluated, calibrated.calibrator

    step("evaluate")
    predictions = predict_frame(
        evaluated.boosters,
        calibrated.encode(parts["test"]),
        calibrated.adjustments(parts["test"]),
        parts["test"],
        offset=evaluated.effect_offset(parts["test"]),
    )
    metrics, breakdowns = evaluate(predictions)

    step("baselines")
    baselines = score_baselines(
        evaluated.spec,
        {"train": calibrated.fit_rows, "test": parts["test"]},
        {"train": evaluated.encode(calibrated.fit_rows), "test": evaluated.encode(parts["test"])},
    )
    for name, scores in baselines.items():
        metrics.update({f"baseline_{name}_{metric}": value for metric, value in scores.items()})

    if refit is None:
        shipped, shipped_rows = evaluated, len(calibrated.fit_rows)
    else:
        step("refit on all rows")
        shipped, shipped_rows = refit.result(), len(data.profiles)
    calibration = calibration_block(config, calibrated, shipped_rows, len(split.test))
    metrics["calibration_adjustment"] = calibrator.q
    if calibrator.measured is not None:
        metrics["calibration_year_ahead"] = calibrator.measured.adjustment
    metrics["train_rows"] = float(len(calibrated.fit_rows))
    metrics["calibration_rows"] = float(calibrated.scored_rows)
    metrics["shipped_rows"] = float(shipped_rows)

    step("write artifact")
    root = Path(staging_dir) if staging_dir is not None else Path(tempfile.mkdtemp("mlpay-"))
    result = TrainResult(
        config=config,
        artifact_dir=root / config.model.name,
        metrics=metrics,
        breakdowns=breakdowns,
        baselines=baselines,
        test_predictions=predictions,
        feature_importance=feature_importance(shipped.boosters["median"]),
        data=data,
        dataset_digest=dataset_digest(data.profiles),
        calibration=calibration,
        split_sizes=split.sizes(),
        shipped_rows=shipped_rows,
    )
    write_artifact(
        result.artifact_dir,
        name=config.model.name,
        version=config.model.version,
        spec=shipped.spec,
        boosters=shipped.boosters,
        quantiles=config.quantiles.model_dump(),
        calibration=calibration,
        metrics=_finite(metrics),
        data=[report.manifest_entry() for report in data.reports],
        config=config.model_dump(),
        extra_files={"MODEL_CARD.md": render_model_card(result)},
        pay_years=pay_years_of_rows(
            calibrated.fit_rows if calibrated.folds is None else data.profiles
        ),
        effects=shipped.effects,
    )
    return result


def evaluation_rows(config: TrainConfig, profiles: pd.DataFrame, split: Split) -> pd.DataFrame:
    """The rows the evaluated model and the baselines learn from (the test part scores
    them): the train part for the split method, train + calibration for cross_conformal."""
    if config.calibration.method == "split":
        return profiles.iloc[split.train]
    return profiles.iloc[np.sort(np.concatenate([split.train, split.calibration]))]


def split_calibration(config: TrainConfig, prepared: PreparedSplit, step: Progress) -> Calibrated:
    """The split method: the model fitted on the train part, q from the calibration part."""
    parts, matrices = prepared.parts, prepared.matrices
    evaluated = fit_model(config, parts["train"], step)
    step("calibrate")
    raw = _raw_predictions(evaluated.boosters, matrices["calibration"])
    calibrator = new_calibrator(config).conformalize(scores(config, raw, parts["calibration"]))
    return Calibrated(
        evaluated,
        parts["train"],
        calibrator,
        len(parts["calibration"]),
        None,
        fit_pay_years(config, parts["train"]),
    )


def cross_calibration(config: TrainConfig, rows: pd.DataFrame, step: Progress) -> Calibrated:
    """The cross_conformal method on the non-test `rows`: the model refitted on all of them,
    q from their out-of-fold scores (and, with `calibration.year_ahead`, the extra q of a
    pay year past them: `measure_year_ahead`)."""
    evaluated = fit_model(config, rows, step)
    step("calibrate")
    raw = out_of_fold_predictions(config, rows, fold_ids(config, rows))
    calibrator = new_calibrator(config).conformalize(scores(config, raw, rows))
    if config.calibration.year_ahead:
        calibrator = measure_year_ahead(config, rows, calibrator)
    return Calibrated(
        evaluated,
        rows,
        calibrator,
        len(rows),
        config.calibration.folds,
        fit_pay_years(config, rows),
    )


def new_calibrator(config: TrainConfig) -> IntervalCalibrator:
    """An interval calibrator for the config's target coverage, not yet conformalized."""
    return IntervalCalibrator(coverage=config.calibration.target_coverage)


def scores(
    config: TrainConfig, raw: tuple[np.ndarray, np.ndarray, np.ndarray], rows: pd.DataFrame
) -> HeldOut:
    """`rows` scored by a model that did not learn from them (`raw`: its uncalibrated log
    pay), with their sources when the model is calibrated per population (Mondrian: it reads
    `source` and has `calibration.per_population`)."""
    per_population = config.calibration.per_population and "source" in config.features
    sources = rows["source"].astype(str).to_numpy() if per_population else None
    return HeldOut(raw, *target_bounds(rows), sources)


def fit_pay_years(config: TrainConfig, rows: pd.DataFrame) -> PayYears:
    """The pay years of `rows` per population, as the runtime reads them from the manifest."""
    per_source = pay_years_of_rows(rows)
    populations = tuple(per_source) or ("unknown",)
    default = config.population if config.population in per_source else populations[0]
    return PayYears.of_model(
        {"pay_years": per_source, "name": config.model.name},
        populations,
        default,
        pooled="source" in config.features,
    )


def latest_year_rows(rows: pd.DataFrame) -> tuple[np.ndarray, dict[str, int]]:
    """Rows of each source's latest pay year where the source's previous pay year is the year
    before (a step of one year, the horizon `year_ahead` measures), and those years."""
    years = pd.to_numeric(rows["year"], errors="coerce")
    sources = rows["source"].astype(str)
    held_out = np.zeros(len(rows), dtype=bool)
    measured_on: dict[str, int] = {}
    for source in sorted(sources.unique()):
        of_source = (sources == source).to_numpy()
        distinct = sorted({int(year) for year in years[of_source].dropna()})
        if len(distinct) >= 2 and distinct[-1] - distinct[-2] == 1:
            held_out |= of_source & (years == distinct[-1]).to_numpy()
            measured_on[source] = distinct[-1]
    return held_out, measured_on


def measure_year_ahead(
    config: TrainConfig, rows: pd.DataFrame, calibrator: IntervalCalibrator
) -> IntervalCalibrator:
    """`calibrator` with the year-ahead extra of `rows` (`IntervalCalibrator.with_year_ahead`);
    as it is when no source has two consecutive pay years, or a side would hold fewer than
    MIN_PART_ROWS rows.

    Both qs come from models that lack the same number of each source's rows: `ahead_q`'s
    lacks the source's latest year (`latest_year_rows`), `in_time_q`'s as many of its rows
    drawn at random from all its years (`random_draw_like`). Losing rows alone widens the
    interval a model needs, and both pay that; what only the first pays is the year's drift.
    """
    held_out, measured_on = latest_year_rows(rows)
    drawn = random_draw_like(config, rows, held_out)
    if min(int(held_out.sum()), int((~held_out).sum()), int((~drawn).sum())) < MIN_PART_ROWS:
        return calibrator
    ahead, in_time = (
        scores(config, (predicted[0], predicted[1], predicted[2]), rows.iloc[np.flatnonzero(mask)])
        for mask, predicted in zip(
            (held_out, drawn), held_out_predictions(config, rows, [held_out, drawn]), strict=True
        )
    )
    return calibrator.with_year_ahead(ahead, in_time, measured_on)


def random_draw_like(config: TrainConfig, rows: pd.DataFrame, held_out: np.ndarray) -> np.ndarray:
    """Per source with `held_out` rows, as many of its rows (whole groups of identical rows,
    as the split deals them) drawn at random from all its years."""
    keys = group_keys(rows, config.features)
    sources = rows["source"].astype(str).to_numpy()
    rng = np.random.default_rng([config.seed, 3])
    drawn = np.zeros(len(rows), dtype=bool)
    for source in sorted(set(sources[held_out])):
        of_source = np.flatnonzero(sources == source)
        share = float(held_out[of_source].mean())
        parts = deal_groups(keys[of_source], 0.0, share, rng)
        drawn[of_source[parts == _DRAWN_PART]] = True
    return drawn


def fold_ids(config: TrainConfig, rows: pd.DataFrame) -> np.ndarray:
    """Each row's fold (`training.split.fold_rows`); a DataError when a fold is too small."""
    folds = config.calibration.folds
    ids = fold_rows(rows, config.split, features=config.features, folds=folds, seed=config.seed)
    sizes = np.bincount(ids, minlength=folds)
    if sizes.min() < MIN_PART_ROWS:
        raise DataError(
            f"calibration.folds {folds}: a fold holds {int(sizes.min())} row(s) of "
            f"{len(rows):,} non-test rows; each needs at least {MIN_PART_ROWS} (lower "
            "calibration.folds or add data)"
        )
    return ids


def out_of_fold_predictions(
    config: TrainConfig, rows: pd.DataFrame, folds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uncalibrated (median, low, high) log pay of every row, each predicted by a model
    (spec and boosters) fitted on the rows of the other folds."""
    raw = np.empty((3, len(rows)))
    ids = np.unique(folds)
    held_out = held_out_predictions(config, rows, [folds == fold for fold in ids])
    for fold, predicted in zip(ids, held_out, strict=True):
        raw[:, folds == fold] = predicted
    return raw[0], raw[1], raw[2]


def held_out_predictions(
    config: TrainConfig, rows: pd.DataFrame, held_out: list[np.ndarray]
) -> list[np.ndarray]:
    """For each mask of `held_out` rows, their uncalibrated (median, low, high) log pay (a
    3 x rows array) predicted by a model fitted on the other rows. The fits are independent,
    so they run `parallel_fits(config)` at a time (the same models as one at a time)."""
    jobs = (
        delayed(_fit_and_predict)(config, rows, np.flatnonzero(~mask), np.flatnonzero(mask))
        for mask in held_out
    )
    return list(Parallel(n_jobs=parallel_fits(config))(jobs))


def parallel_fits(config: TrainConfig) -> int:
    """How many models to fit at once: the cores over each fit's LightGBM threads."""
    return max(1, (os.cpu_count() or 1) // config.lightgbm.num_threads)


def _fit_and_predict(
    config: TrainConfig, rows: pd.DataFrame, fit_on: np.ndarray, scored: np.ndarray
) -> np.ndarray:
    return np.vstack(fit_model(config, rows.iloc[fit_on]).raw(rows.iloc[scored]))


def fit_model(config: TrainConfig, rows: pd.DataFrame, step: Progress = _silent) -> FittedModel:
    """The model (spec, boosters, effects) fitted on `rows`: `mlpay_model.model.fitting.
    fit_model`, the one fit that `SalaryRegressor.fit` runs too."""
    return fitting.fit_model(config.fit_settings(), rows, log_target(rows), step)


def calibration_block(
    config: TrainConfig, calibrated: Calibrated, shipped_rows: int, test_rows: int
) -> dict[str, Any]:
    """The manifest's `calibration` (see `mlpay_model.model.artifact`)."""
    block: dict[str, Any] = {
        **calibrated.calibrator.manifest_entry(),
        "rows": calibrated.scored_rows,
        "scheme": config.calibration.method,
        "quantile_heads": config.calibration.quantile_heads,
        "fitted_on": SHIPPED_ON_ALL_ROWS if calibrated.folds is not None else "train part",
        "fitted_rows": shipped_rows,
        "test_rows": test_rows,
    }
    if calibrated.folds is not None:
        block["folds"] = calibrated.folds
        measured = calibrated.calibrator.measured
        block["year_ahead"] = measured.manifest_entry() if measured is not None else None
        block["metrics_of"] = (
            f"boosters refitted on the {len(calibrated.fit_rows):,} non-test rows with the "
            "same adjustment, scored on the test rows"
        )
    return block


@dataclass(frozen=True)
class PreparedSplit:
    """Rows split into train / calibration / test, the spec fitted on train, and matrices."""

    split: Split
    parts: dict[str, pd.DataFrame]
    spec: FeatureSpec
    matrices: dict[str, np.ndarray]


def prepare_split(config: TrainConfig, profiles: pd.DataFrame) -> PreparedSplit:
    """Split `profiles` as the config says and encode each part with a spec fitted on train.

    `train` and the leaderboard benchmark both start here, so they see the same rows.
    """
    split = split_rows(profiles, config.split, features=config.features, seed=config.seed)
    parts = {
        "train": profiles.iloc[split.train],
        "calibration": profiles.iloc[split.calibration],
        "test": profiles.iloc[split.test],
    }
    spec = FeatureSpec.fit(parts["train"], config.features, config.min_category_count)
    encoder = FeatureEncoder(spec)
    matrices = {name: encoder.encode_frame(rows) for name, rows in parts.items()}
    return PreparedSplit(split=split, parts=parts, spec=spec, matrices=matrices)


def fit_boosters(
    config: TrainConfig,
    spec: FeatureSpec,
    matrix: np.ndarray,
    log_pay: np.ndarray,
    step: Progress = _silent,
    heads: tuple[str, ...] = QUANTILE_HEADS,
) -> dict[str, lgb.Booster]:
    """The boosters of `heads` (by default all three), trained on the rows plus their
    missing-value copy (`mlpay_model.model.fitting`, which the model refits use too; with
    `calibration.quantile_heads: from_median` the low and high heads continue the median)."""
    return fitting.fit_boosters(config.fit_settings(), spec, matrix, log_pay, step, heads)


def score_baselines(
    spec: FeatureSpec, parts: dict[str, pd.DataFrame], matrices: dict[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """Point metrics of every baseline, fitted on the train rows, on the test rows."""
    predicted = fit_predict_baselines(
        spec,
        parts["train"],
        matrices["train"],
        log_target(parts["train"]),
        parts["test"],
        matrices["test"],
    )
    target_low, target_high = target_bounds(parts["test"])
    return {
        name: point_metrics(np.exp(log_pay), target_low, target_high)
        for name, log_pay in predicted.items()
    }


def conformal_adjustment(
    median: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    target_low: np.ndarray,
    target_high: np.ndarray,
    *,
    coverage: float,
) -> float:
    """The CQR adjustment q (log scale) of calibration rows (`IntervalCalibrator.conformal_q`)."""
    held_out = HeldOut((median, low, high), target_low, target_high)
    return IntervalCalibrator(coverage=coverage).conformal_q(held_out)


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
    median, low, high = _raw_predictions(boosters, matrix)
    interval = calibrated_interval(median + offset, low + offset, high + offset, adjustment)
    predicted = dict(zip(PREDICTION_COLUMNS, interval, strict=True))
    target_low, target_high = target_bounds(rows)
    return rows.assign(
        **{SCORE_COLUMNS[name]: values for name, values in predicted.items()},
        target_low=target_low,
        target_high=target_high,
    )


def feature_importance(booster: lgb.Booster) -> dict[str, float]:
    """Total gain per model column, largest first."""
    gains = booster.feature_importance(importance_type="gain")
    pairs = sorted(
        zip(booster.feature_name(), (float(g) for g in gains), strict=True),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return dict(pairs)


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    """Metrics for the JSON manifest: NaN (undefined, e.g. R² of one row) left out."""
    return {name: value for name, value in metrics.items() if math.isfinite(value)}
