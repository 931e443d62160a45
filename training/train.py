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
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from mlpay_model.model.artifact import ALL_ROWS as ARTIFACT_ALL_ROWS
from mlpay_model.model.artifact import CONTINUES_MEDIAN_KEY
from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.model.fitting import FittedModel as FittedModel  # re-exported
from mlpay_model.model.fitting import continuation_entry, fit_spec
from mlpay_model.model.fitting import fit_booster as fit_booster  # re-exported
from mlpay_model.model.fitting import with_missing_copy as with_missing_copy  # re-exported
from mlpay_model.model.interval import CALIBRATION_METHOD as CALIBRATION_METHOD
from mlpay_model.model.interval import MIN_POPULATION_ROWS as MIN_POPULATION_ROWS
from mlpay_model.model.interval import YearAhead as YearAhead  # re-exported
from mlpay_model.model.pay_year import pay_years_of_rows
from training.baselines import fit_predict_baselines
from training.calibrate import Calibrated, CalibrationPlan, Progress, calibrate, fit_model
from training.calibrate import silent as _silent
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
from training.split import Split, split_rows

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
    split, parts = split_parts(config, data.profiles)
    # The shipped boosters (cross_conformal: refitted on every row) depend on nothing that
    # calibration decides, so they fit on a thread meanwhile (LightGBM frees the GIL):
    # the same model, about one fit's time less on 2 cores.
    plan = CalibrationPlan.of_config(config)
    with ThreadPoolExecutor(max_workers=1) as background:
        if config.calibration.method == "split":
            refit = None
            calibrated = calibrate(plan, parts["train"], parts["calibration"], step)
        else:
            refit = background.submit(fit_model, plan, data.profiles)
            calibrated = calibrate(plan, evaluation_rows(config, data.profiles, split), step=step)
    evaluated, calibrator = calibrated.evaluated, calibrated.calibrator

    step("evaluate")
    predictions = calibrated.predict_frame(parts["test"])
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
    calibration = calibration_block(
        config, calibrated, shipped.boosters, shipped_rows, len(split.test)
    )
    metrics["calibration_adjustment"] = calibrator.q
    if calibrator.measured is not None:
        metrics["calibration_year_ahead"] = calibrator.measured.adjustment
    metrics["train_rows"] = float(len(calibrated.fit_rows))
    metrics["calibration_rows"] = float(calibrated.scored_rows)
    metrics["shipped_rows"] = float(shipped_rows)

    step("write artifact")
    shipped_on = calibrated.fit_rows if calibrated.folds is None else data.profiles
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
        pay_years=pay_years_of_rows(shipped_on),
        effects=shipped.effects,
        # A model of several populations explains a person against their own population.
        population_leaves=(
            shipped.population_leaves(shipped_on) if "source" in shipped.spec.features else None
        ),
    )
    return result


def evaluation_rows(config: TrainConfig, profiles: pd.DataFrame, split: Split) -> pd.DataFrame:
    """The rows the evaluated model and the baselines learn from (the test part scores
    them): the train part for the split method, train + calibration for cross_conformal."""
    if config.calibration.method == "split":
        return profiles.iloc[split.train]
    return profiles.iloc[np.sort(np.concatenate([split.train, split.calibration]))]


def calibration_block(
    config: TrainConfig,
    calibrated: Calibrated,
    boosters: dict[str, lgb.Booster],
    shipped_rows: int,
    test_rows: int,
) -> dict[str, Any]:
    """The manifest's `calibration` (see `mlpay_model.model.artifact`)."""
    block: dict[str, Any] = {
        **calibrated.calibrator.manifest_entry(),
        "rows": calibrated.scored_rows,
        "scheme": config.calibration.method,
        "quantile_heads": config.calibration.quantile_heads,
        **(
            {CONTINUES_MEDIAN_KEY: continuation_entry(boosters)}
            if config.calibration.quantile_heads == "from_median"
            else {}
        ),
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


def split_parts(
    config: TrainConfig, profiles: pd.DataFrame
) -> tuple[Split, dict[str, pd.DataFrame]]:
    """`profiles` split as the config says, and its train, calibration and test parts."""
    split = split_rows(profiles, config.split, features=config.features, seed=config.seed)
    parts = {
        "train": profiles.iloc[split.train],
        "calibration": profiles.iloc[split.calibration],
        "test": profiles.iloc[split.test],
    }
    return split, parts


def prepare_split(config: TrainConfig, profiles: pd.DataFrame) -> PreparedSplit:
    """Split `profiles` as the config says and encode each part with a spec fitted on train.

    `train` and the leaderboard benchmark both start here, so they see the same rows.
    """
    split, parts = split_parts(config, profiles)
    spec = fit_spec(config.fit_settings(), parts["train"])
    encoder = FeatureEncoder(spec)
    matrices = {name: encoder.encode_frame(rows) for name, rows in parts.items()}
    return PreparedSplit(split=split, parts=parts, spec=spec, matrices=matrices)


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
