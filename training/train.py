"""The training pipeline: config in, evaluated and calibrated model artifact out.

`train(config)` reads the data (`training.data`), splits it (`training.split`), fits three
LightGBM boosters on log(annual USD pay), one per head of `artifact.QUANTILE_HEADS` (the median
and the low/high quantiles), calibrates the interval on the calibration split (conformalized
quantile regression, through the runtime's own `mlpay_model.model.interval.calibrated_interval`),
scores the model and the baselines on the test split (`training.evaluate`,
`training.baselines`) and writes the artifact folder with its model card into a staging folder.

Determinism: the same config and data give byte-identical model files. Rows keep file order,
the split is seeded, vocabularies are sorted, and LightGBM runs with deterministic=True,
force_col_wise=True, a fixed num_threads and the config's seed.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from mlpay_model.model import fitting
from mlpay_model.model.artifact import QUANTILE_HEADS
from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.model.fitting import FitSettings
from mlpay_model.model.fitting import fit_booster as fit_booster  # re-exported
from mlpay_model.model.fitting import with_missing_copy as with_missing_copy  # re-exported
from mlpay_model.model.interval import calibrated_interval
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
from training.evaluate import evaluate, interval_coverage, point_metrics
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
    "write artifact",
)
CALIBRATION_METHOD: Final = "conformal_quantile"
_SEARCH_STEPS: Final = 100

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
    split, parts, spec, matrices = prepared.split, prepared.parts, prepared.spec, prepared.matrices
    boosters = fit_boosters(config, spec, matrices["train"], log_target(parts["train"]), step)

    step("calibrate")
    adjustment = conformal_adjustment(
        *_raw_predictions(boosters, matrices["calibration"]),
        *target_bounds(parts["calibration"]),
        coverage=config.calibration.target_coverage,
    )
    calibration = {
        "method": CALIBRATION_METHOD,
        "target_coverage": config.calibration.target_coverage,
        "adjustment": adjustment,
        "rows": len(split.calibration),
    }

    step("evaluate")
    predictions = predict_frame(boosters, matrices["test"], adjustment, parts["test"])
    metrics, breakdowns = evaluate(predictions)

    step("baselines")
    baselines = score_baselines(spec, parts, matrices)
    for name, scores in baselines.items():
        metrics.update({f"baseline_{name}_{metric}": value for metric, value in scores.items()})
    metrics["calibration_adjustment"] = adjustment
    metrics["train_rows"] = float(len(split.train))
    metrics["calibration_rows"] = float(len(split.calibration))

    step("write artifact")
    root = Path(staging_dir) if staging_dir is not None else Path(tempfile.mkdtemp("mlpay-"))
    result = TrainResult(
        config=config,
        artifact_dir=root / config.model.name,
        metrics=metrics,
        breakdowns=breakdowns,
        baselines=baselines,
        test_predictions=predictions,
        feature_importance=feature_importance(boosters["median"]),
        data=data,
        dataset_digest=dataset_digest(data.profiles),
        calibration=calibration,
        split_sizes=split.sizes(),
    )
    write_artifact(
        result.artifact_dir,
        name=config.model.name,
        version=config.model.version,
        spec=spec,
        boosters=boosters,
        quantiles=config.quantiles.model_dump(),
        calibration=calibration,
        metrics=_finite(metrics),
        data=[report.manifest_entry() for report in data.reports],
        config=config.model_dump(),
        extra_files={"MODEL_CARD.md": render_model_card(result)},
    )
    return result


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
    missing-value copy (`mlpay_model.model.fitting`, which the model refits use too)."""
    return fitting.fit_boosters(
        FitSettings.from_config(config.model_dump()), spec, matrix, log_pay, step, heads
    )


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
    """The CQR adjustment q (log scale) for calibration rows: the smallest q whose interval
    (`mlpay_model.model.interval.calibrated_interval`, the one prediction uses: exp of
    [min(low - q, median), max(high + q, median)]) covers at least ceil((n + 1) * coverage) / n
    of the rows (`evaluate.interval_coverage`, so a band counts by the share it has inside).

    For exact pay this is split-conformal CQR's finite-sample quantile of the scores
    max(low - y, y - high); q may be negative when the raw quantiles are too wide.
    """
    n = len(median)
    level = min(1.0, math.ceil((n + 1) * coverage) / n)
    log_low, log_high = np.log(target_low), np.log(target_high)

    def covered(q: float) -> float:
        _, bound_low, bound_high = calibrated_interval(median, low, high, q)
        shares = interval_coverage(bound_low, bound_high, target_low, target_high)
        return float(shares.mean())

    # Past these, the interval holds every band whole / shrinks to the median line.
    upper = float(max(np.max(low - log_low), np.max(log_high - high), 0.0)) + 1e-9
    lower = -float(np.max(np.maximum(np.abs(median - low), np.abs(high - median)))) - 1.0
    if covered(lower) >= level:
        return lower
    for _ in range(_SEARCH_STEPS):
        middle = 0.5 * (lower + upper)
        if middle in (lower, upper):
            break
        if covered(middle) >= level:
            upper = middle
        else:
            lower = middle
    return upper


def predict_frame(
    boosters: dict[str, lgb.Booster],
    matrix: np.ndarray,
    adjustment: float,
    rows: pd.DataFrame,
) -> pd.DataFrame:
    """`rows` plus pred_median/pred_low/pred_high and target_low/target_high, all in USD."""
    interval = calibrated_interval(*_raw_predictions(boosters, matrix), adjustment)
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


def _raw_predictions(
    boosters: dict[str, lgb.Booster], matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uncalibrated (median, low, high) predictions of log pay."""

    def predict(head: str) -> np.ndarray:
        return np.asarray(boosters[head].predict(matrix), dtype="float64")

    return predict("median"), predict("low"), predict("high")


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    """Metrics for the JSON manifest: NaN (undefined, e.g. R² of one row) left out."""
    return {name: value for name, value in metrics.items() if math.isfinite(value)}
