"""Out-of-time benchmark: learn from what came before, predict what came next.

Per source (the rows of its committed config: sources, quality rules):

    aijobs         train the older 75% of rows        test the newest 25% (first in the file)
    kaggle         train the 2019 survey               test the 2021 survey
    stackoverflow  train the 2017 + 2024 surveys       test the 2025 sample

aijobs.net's salaries.csv lists its newest postings first, so its test rows are the 25% with
the smallest `row_number` (split method `newest`): the shipped model learns from every posting
so far and prices the ones that come next, and this split scores exactly that (a pay-year split
trained on 2020-2023 and tested on 2024, the protocol before, ranked the models the other way
round from rows published after the snapshot; issue 22). The surveys split by edition
(`temporal` at the test year).

Models, all on the same training rows and scored on the same test rows:

    mlpay                 the committed config `configs/<source>.yaml`, hyperparameters unchanged,
                          with the split above, fitted and calibrated by the project's pipeline
                          (`training.train`: the functions `train()` runs): its boosters learn
                          from every training row, and the 80% interval's q comes from
                          out-of-fold scores of grouped folds of them (cross-conformal, as
                          `mlpay train` does). The shipped artifact is not scored: it was
                          trained on the test rows.
    lightgbm              LGBMRegressor, library defaults, on the publisher's RAW columns (pandas
                          categoricals and numbers, multi-select questions as 0/1 columns).
    lightgbm_q10_q90      the same, two extra LGBMRegressor(objective="quantile", alpha=0.1/0.9)
                          for an uncalibrated 80% interval around `lightgbm`'s median.
    catboost              CatBoostRegressor, library defaults, raw categorical columns as text.
    hist_gradient_boosting  HistGradientBoostingRegressor, defaults, categorical_features from
                          the dtype (categories beyond its 255 bins: the 254 most frequent kept).
    ridge                 RidgeCV on one-hot raw categoricals + standardised numbers (+ missing
                          indicators) + the 0/1 columns; alpha by 5-fold grouped CV on the
                          training rows only (groups: identical rows, so aijobs' repeated
                          submissions never straddle folds).
    group_median          median log pay of the canonical role family x country x seniority
                          (aijobs) / experience band (0-2, 2-5, 5-10, 10+ years), falling back to
                          role x country, role, then all rows (cells need 5 rows).

    pooled                the default's config (`--pooled-config`, configs/pooled.yaml unless
                          given: every source's canonical rows, `source` a feature), fitted and
                          calibrated once, as `mlpay train` does, on the union of every source's
                          training rows (the rows of its own mlpay row above) and scored on each
                          source's test rows. With `--in-time`, the same is done in time ("In
                          time" table: each config's grouped split, pooled fitted on the union of
                          the non-test parts) against each source's own config.

Diagnostics (same rows, not peers; they measure what issue 9's other items need):

    lightgbm_canonical    LightGBM defaults on mlpay's canonical feature matrix.
    lightgbm_raw_family   `lightgbm` with the raw title replaced by mlpay's role family.

Targets and metrics: every model learns log(annual USD pay) (a Kaggle band: log of its
geometric midpoint) and is scored by `training.evaluate`: MAE in USD and MdAPE against the
nearest pay in the band (exact pay: the pay), R² of log pay, bias = mean(log predicted - log
true midpoint) (negative: predictions too low, e.g. pay rose), 80% coverage (a band counts the
share inside the interval) and mean width; "collapsed" is the share of predictions whose high
is within 10% of the median. No hyperparameter is chosen on the test rows.

`--quick` (for daily use, under a minute without pooled): every model learns from a seeded
QUICK_SHARE of the training rows (the test rows are all scored), CatBoost and the diagnostics
are left out, and the report says "quick" in its title and table header; it is written to
benchmarks/results/out_of_time_quick.md unless --output says otherwise.

Usage (from the repository root, MLPAY_DATA_DIR set):
    python benchmarks/bench_out_of_time.py [--sources aijobs,kaggle,stackoverflow] [--quick]
        [--pooled-config configs/pooled.yaml] [--skip-pooled] [--in-time]
        [--output benchmarks/results/out_of_time.md]
"""

from __future__ import annotations

import os

# Idle OpenMP threads sleep rather than spin (see benchmarks/README.md); before LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import datetime as dt
import functools
import math
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT, REPO_ROOT / "benchmarks"):  # run as a plain script from a checkout
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lightgbm import LGBMRegressor  # noqa: E402
from oot_peers import (  # noqa: E402
    THREADS,
    fit_catboost,
    fit_hgb,
    fit_lightgbm,
    fit_ridge,
    group_median,
)
from oot_raw import RawFrame, peer_frames, raw_columns  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mlpay_model.data.datadir import data_dir  # noqa: E402
from mlpay_model.errors import MlpayError  # noqa: E402
from training.config import SplitConfig, TrainConfig, load_config  # noqa: E402
from training.data import load_training_data, log_target, target_bounds  # noqa: E402
from training.evaluate import interval_metrics, point_metrics  # noqa: E402
from training.split import Split, group_keys  # noqa: E402
from training.train import prepare_split  # noqa: E402

DEFAULT_OUTPUT: Final = "benchmarks/results/out_of_time.md"
QUICK_OUTPUT: Final = "benchmarks/results/out_of_time_quick.md"
QUICK_SHARE: Final = 0.3  # --quick: the share of training rows every model learns from
QUICK_SKIPS: Final = ("catboost",)  # --quick leaves these peers (and the diagnostics) out
COLLAPSE_SHARE: Final = 0.10
TOP_COUNTRIES: Final = 10
MIN_GROUP_ROWS: Final = 10

MLPAY: Final = "mlpay"
PEERS: Final = (
    "lightgbm",
    "lightgbm_q10_q90",
    "catboost",
    "hist_gradient_boosting",
    "ridge",
    "group_median",
)
POOLED: Final = "pooled"
POOLED_CONFIG: Final = "configs/pooled.yaml"
MODELS: Final = (MLPAY, *PEERS)  # per source; POOLED joins when every source runs
DIAGNOSTICS: Final = ("lightgbm_canonical", "lightgbm_raw_family")
README_MODELS: Final = (
    POOLED,
    MLPAY,
    "lightgbm",
    "catboost",
    "hist_gradient_boosting",
    "ridge",
    "group_median",
)
README_NAMES: Final = {
    MLPAY: "mlpay, source's own config",
    POOLED: "**mlpay default** (pooled)",
    "lightgbm": "LightGBM (raw)",
    "catboost": "CatBoost",
    "hist_gradient_boosting": "HistGB",
    "ridge": "ridge",
    "group_median": "group median",
}
NONE: Final = "—"

Progress = Callable[[str], None]
# a model's log predictions of the test rows: (median,) or (median, low, high)
Predicted = tuple[np.ndarray, ...]


def _silent(_message: str) -> None:
    """The default progress callback: report nothing."""


# --- what is benchmarked --------------------------------------------------------------------


@dataclass(frozen=True)
class OutOfTimeCase:
    """One source: its committed config and its out-of-time split.

    `newest` set: this benchmark tests on that share of the source's rows first in file order
    (split method `newest`); else on the pay years from `test_year` on (method `temporal`).
    `test_year` is the first test year of a year split either way (bench_trend.py splits by
    year to study the pay year)."""

    source: str
    config: str  # relative to the repository
    test_year: int
    raw_columns: str  # what the raw-column peers see, for the report
    newest: float | None = None

    def split_config(self, config: TrainConfig) -> TrainConfig:
        """`config` with this case's split; everything else unchanged."""
        if self.newest is None:
            return temporal_config(config, self.test_year)
        return newest_config(config, self.newest)

    @property
    def test_label(self) -> str:
        return str(self.test_year) if self.newest is None else f"newest {self.newest:.0%}"


CASES: Final[tuple[OutOfTimeCase, ...]] = (
    OutOfTimeCase(
        "aijobs",
        "configs/aijobs.yaml",
        2024,
        "`job_title`, `experience_level`, `employment_type`, `employee_residence`, "
        "`company_location`, `company_size` (categoricals), `remote_ratio`, `work_year` "
        "(numbers); `salary`/`salary_currency` left out (the pay in local currency)",
        newest=0.25,
    ),
    OutOfTimeCase(
        "kaggle",
        "configs/kaggle.yaml",
        2021,
        "title (Q5), country (Q3), education (Q4), company size (2019 Q6 / 2021 Q21) as "
        "categoricals; years writing code (2019 Q15 / 2021 Q6) as the band's lower edge in years "
        "(the two editions use different bands); every option of the languages, ML frameworks "
        "and cloud platforms questions as a 0/1 column (matched by option text). Columns found "
        "by question text, as the adapter does; answers as written. No year (constant in train)",
    ),
    OutOfTimeCase(
        "stackoverflow",
        "configs/stackoverflow.yaml",
        2025,
        "title (`DevType`; 2017 `DeveloperType`, its multi-select answer as written), `Country`, "
        "education (`EdLevel`; 2017 `FormalEducation`), company size (`OrgSize`; 2017 "
        "`CompanySize`), remote (`RemoteWork`; 2017 `HomeRemote`) as categoricals; `WorkExp` and "
        "years coding professionally (`YearsCodePro`; 2017 `YearsCodedJob`, the band's lower "
        "edge) as numbers; the survey year; every option of the language, database, platform and "
        "web framework questions (2017 `HaveWorked*`) as a 0/1 column (2024 has none)",
    ),
)
CASE_BY_SOURCE: Final = {case.source: case for case in CASES}


# --- results --------------------------------------------------------------------------------


@dataclass
class ModelRun:
    """One model's test-year scores and its fit time (wall seconds)."""

    model: str
    metrics: dict[str, float]
    fit_seconds: float
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)  # per role / country
    # per test row, in the split's order: |error| in USD, and the pay it was scored against
    # (the low end of a band), so that two runs can be compared row by row (`paired_gaps`)
    errors: np.ndarray | None = None
    pay: np.ndarray | None = None


@dataclass
class SourceResult:
    """Everything measured on one source."""

    case: OutOfTimeCase
    rows: dict[str, int]  # train (learned from), train_all (before --quick), folds, test
    train_years: tuple[int, ...]
    has_bands: bool
    runs: list[ModelRun]
    diagnostics: list[ModelRun]
    breakdowns: dict[str, pd.DataFrame]  # mlpay per role family / top country
    raw_feature_count: int
    pipeline_seconds: float
    year_medians: dict[int, float] = field(default_factory=dict)  # median pay per year
    test_years: tuple[int, ...] = ()
    test_row_numbers: tuple[int, int] = (0, 0)  # the smallest and largest row_number in test
    quick: bool = False

    def ranked(self) -> list[ModelRun]:
        return sorted(self.runs, key=lambda run: run.metrics["mae_usd"])

    def run(self, model: str) -> ModelRun | None:
        return next((run for run in (*self.runs, *self.diagnostics) if run.model == model), None)


def metrics_of(
    log_median: np.ndarray,
    test: pd.DataFrame,
    log_low: np.ndarray | None = None,
    log_high: np.ndarray | None = None,
) -> dict[str, float]:
    """Point metrics (+ bias), and interval metrics when an interval is given (log scale)."""
    target_low, target_high = target_bounds(test)
    median = np.exp(log_median)
    metrics = point_metrics(median, target_low, target_high)
    error = absolute_errors(log_median, test)
    metrics["mae_se_usd"] = (
        float(error.std(ddof=1) / math.sqrt(len(error))) if len(error) > 1 else math.nan
    )
    truth = 0.5 * (np.log(target_low) + np.log(target_high))
    metrics["bias_log"] = float(np.mean(log_median - truth))
    if log_low is not None and log_high is not None:
        low = np.exp(np.minimum(log_low, log_median))
        high = np.exp(np.maximum(log_high, log_median))
        metrics.update(interval_metrics(low, high, target_low, target_high))
        metrics["collapsed"] = collapsed_share(median, high)
    return metrics


def absolute_errors(log_median: np.ndarray, test: pd.DataFrame) -> np.ndarray:
    """|predicted - pay| in USD per test row (a band: the distance to it, 0 inside it)."""
    target_low, target_high = target_bounds(test)
    median = np.exp(log_median)
    return np.abs(median - np.clip(median, target_low, target_high))


def scored_run(
    name: str,
    seconds: float,
    test: pd.DataFrame,
    log_median: np.ndarray,
    log_low: np.ndarray | None = None,
    log_high: np.ndarray | None = None,
    **extra: float,
) -> ModelRun:
    """A ModelRun of these predictions of `test`: metrics_of, plus the per-row errors."""
    return ModelRun(
        name,
        {**metrics_of(log_median, test, log_low, log_high), **extra},
        seconds,
        errors=absolute_errors(log_median, test),
        pay=target_bounds(test)[0],
    )


def prediction_arrays(predictions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log median, log low, log high) of an mlpay prediction frame."""
    return (
        np.log(predictions["pred_median"].to_numpy()),
        np.log(predictions["pred_low"].to_numpy()),
        np.log(predictions["pred_high"].to_numpy()),
    )


def same_rows(one: ModelRun, other: ModelRun) -> bool:
    """Whether two runs scored the same test rows in the same order (their pay row by row)."""
    return one.pay is not None and other.pay is not None and np.array_equal(one.pay, other.pay)


@dataclass(frozen=True)
class PairedGap:
    """`ours`'s MAE minus `peer`'s on the same test rows (negative: ours is ahead), with the
    standard error of that difference from the per-row differences. Paired: two models' errors
    on a row are correlated, so this SE is far tighter than either MAE's own."""

    ours: str
    peer: str
    gap_usd: float
    se_usd: float

    @classmethod
    def of(cls, ours: ModelRun, peer: ModelRun) -> PairedGap:
        if ours.errors is None or peer.errors is None or not same_rows(ours, peer):
            raise MlpayError(f"{ours.model} and {peer.model} scored different rows")
        difference = ours.errors - peer.errors
        se = float(difference.std(ddof=1) / math.sqrt(len(difference)))
        return cls(ours.model, peer.model, float(difference.mean()), se)

    @property
    def verdict(self) -> str:
        """ "ahead" / "behind" when the gap is beyond two paired SEs, else "tie"."""
        if abs(self.gap_usd) <= 2 * self.se_usd:
            return "tie"
        return "ahead" if self.gap_usd < 0 else "behind"


def collapsed_share(median: np.ndarray, high: np.ndarray) -> float:
    """Share of predictions whose high is within COLLAPSE_SHARE of the median."""
    return float(np.mean(np.asarray(high) <= (1.0 + COLLAPSE_SHARE) * np.asarray(median)))


# --- one source -----------------------------------------------------------------------------


def temporal_config(config: TrainConfig, test_year: int) -> TrainConfig:
    """The config with its split made temporal at `test_year`; everything else unchanged."""
    split = SplitConfig(
        **{**config.split.model_dump(), "method": "temporal", "test_from_year": test_year}
    )
    return config.model_copy(update={"split": split})


def newest_config(config: TrainConfig, test_fraction: float) -> TrainConfig:
    """The config with its split made `newest` (test: the `test_fraction` of each source's rows
    first in file order); everything else unchanged."""
    split = SplitConfig(
        **{
            **config.split.model_dump(),
            "method": "newest",
            "test_fraction": test_fraction,
            "test_from_year": None,
        }
    )
    return config.model_copy(update={"split": split})


def subsample(positions: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A seeded `share` of `positions` (sorted); all of them when share is 1."""
    if share >= 1.0:
        return np.sort(positions)
    keep = max(1, round(share * len(positions)))
    rng = np.random.default_rng([seed, 22])
    return np.sort(rng.choice(positions, size=keep, replace=False))


@dataclass
class Fitted:
    """A config fitted and calibrated as `train()` does, ready to score canonical rows."""

    predict: Callable[[pd.DataFrame], pd.DataFrame]  # rows + pred_median/low/high
    year_ahead: Callable[[str], float]  # the year-ahead extra of a source (log scale)
    seconds: float  # wall seconds of the fit and calibration


def fit_config(
    config: TrainConfig,
    profiles: pd.DataFrame,
    train_at: np.ndarray,
    calibration_at: np.ndarray,
    progress: Progress = _silent,
) -> Fitted:
    """`config`'s boosters and interval from the rows at `train_at` and `calibration_at`, as
    `train()` fits them: the split method fits on train and takes q from calibration;
    cross_conformal fits on both and takes q from their out-of-fold scores."""
    from training.calibrate import CalibrationPlan, calibrate

    plan = CalibrationPlan.of_config(config)
    with threadpool_limits(THREADS):
        started = time.perf_counter()
        if config.calibration.method == "split":
            calibrated = calibrate(
                plan, profiles.iloc[train_at], profiles.iloc[calibration_at], _silent
            )
        else:
            fit_at = np.sort(np.concatenate([train_at, calibration_at]))
            calibrated = calibrate(plan, profiles.iloc[fit_at], step=_silent)
        calibrator = calibrated.calibrator
        year_ahead = calibrator.year_ahead_of
        progress(
            f"{config.model.name}: q {calibrator.q:+.4f} (per source "
            f"{dict(calibrator.q_by_population)}), year ahead {calibrator.measured}"
        )
        seconds = time.perf_counter() - started

    def predict(rows: pd.DataFrame) -> pd.DataFrame:
        with threadpool_limits(THREADS):
            return calibrated.predict_frame(rows)

    return Fitted(predict, year_ahead, seconds)


def interval_metrics_of(predictions: pd.DataFrame) -> dict[str, float]:
    """metrics_of an mlpay prediction frame (median and interval)."""
    median, low, high = prediction_arrays(predictions)
    return metrics_of(median, predictions, low, high)


def seeded_config(path: Path, seed: int | None) -> TrainConfig:
    """A committed config, with `seed` in place of its own when given (--seed)."""
    config = load_config(path)
    return config if seed is None else config.model_copy(update={"seed": seed})


def benchmark_source(
    case: OutOfTimeCase,
    *,
    config_path: Path | None = None,
    quick: bool = False,
    seed: int | None = None,
    progress: Progress = _silent,
) -> SourceResult:
    """Every model of MODELS and DIAGNOSTICS on one source's out-of-time split (`quick`: on
    QUICK_SHARE of the training rows, without QUICK_SKIPS and the diagnostics; `seed`: the
    config's seed replaced)."""
    config = case.split_config(seeded_config(config_path or REPO_ROOT / case.config, seed))
    seed = config.seed
    started = time.perf_counter()
    progress(f"{case.source}: load data")
    data = load_training_data(config)
    profiles = data.profiles
    prepared = prepare_split(config, profiles)
    split = prepared.split
    share = QUICK_SHARE if quick else 1.0
    train_at = subsample(split.train, share, seed)
    calibration_at = subsample(split.calibration, share, seed)
    train_positions = np.sort(np.concatenate([train_at, calibration_at]))
    train_rows = profiles.iloc[train_positions]
    test_rows = profiles.iloc[split.test]
    years = pd.to_numeric(profiles["year"], errors="coerce")
    files = [
        (spec.resolved_path(), report.rows_kept)
        for spec, report in zip(config.data_recipe().sources, data.reports, strict=True)
    ]
    check_split(case, profiles, split, years, single_file=len(files) == 1)
    y = log_target(train_rows)
    progress(f"{case.source}: raw columns")
    raw = raw_columns(case.source, files, profiles)
    peers = peer_frames(raw, train_rows.index, test_rows.index)
    runs: list[ModelRun] = []
    diagnostics: list[ModelRun] = []

    def timed(name: str, fit: Callable[[], Predicted], into: list[ModelRun]) -> None:
        if quick and (name in QUICK_SKIPS or into is diagnostics):
            return
        progress(f"{case.source}: {name}")
        with threadpool_limits(THREADS):
            start = time.perf_counter()
            predicted = fit()
            seconds = time.perf_counter() - start
        into.append(scored_run(name, seconds, test_rows, *predicted, **extra.pop(name, {})))

    breakdowns: dict[str, pd.DataFrame] = {}
    extra: dict[str, dict[str, float]] = {}  # metrics a fit adds of its own

    def mlpay() -> Predicted:
        fitted = fit_config(config, profiles, train_at, calibration_at, progress)
        predictions = fitted.predict(test_rows)
        breakdowns.update(mlpay_breakdowns(predictions))
        extra[MLPAY] = {"year_ahead": fitted.year_ahead(case.source)}
        return prediction_arrays(predictions)

    timed(MLPAY, mlpay, runs)
    lgb_median: dict[str, np.ndarray] = {}

    def lightgbm() -> Predicted:
        lgb_median["log"] = fit_lightgbm(peers, y, seed).predict(peers.test)
        return (lgb_median["log"],)

    def lightgbm_quantiles() -> Predicted:
        low = fit_lightgbm(peers, y, seed, objective="quantile", alpha=0.1).predict(peers.test)
        high = fit_lightgbm(peers, y, seed, objective="quantile", alpha=0.9).predict(peers.test)
        return lgb_median["log"], low, high

    groups = group_keys(train_rows, config.features)
    timed("lightgbm", lightgbm, runs)
    timed("lightgbm_q10_q90", lightgbm_quantiles, runs)
    timed("catboost", lambda: (fit_catboost(peers, y, seed),), runs)
    timed("hist_gradient_boosting", lambda: (fit_hgb(peers, y, seed),), runs)
    timed("ridge", lambda: (fit_ridge(peers, y, groups),), runs)
    timed("group_median", lambda: (group_median(train_rows, y, test_rows, case.source),), runs)

    def lightgbm_canonical() -> Predicted:
        spec = prepared.spec

        def frame(matrix: np.ndarray) -> pd.DataFrame:
            table = pd.DataFrame(matrix, columns=spec.feature_names)
            for name in spec.categorical_feature_names:
                codes = range(len(spec.categories[name]))
                table[name] = pd.Categorical(table[name], categories=codes)
            return table

        matrix = np.vstack([prepared.matrices["train"], prepared.matrices["calibration"]])
        order = np.concatenate([split.train, split.calibration])
        model = LGBMRegressor(random_state=seed, n_jobs=THREADS, verbose=-1)
        model.fit(frame(matrix), log_target(profiles.iloc[order]))
        return (model.predict(frame(prepared.matrices["test"])),)

    def lightgbm_raw_family() -> Predicted:
        family = raw.frame.copy()
        family[raw.title] = profiles["role"].astype(object)
        swapped = RawFrame(family, raw.categorical, raw.numeric, raw.multi, raw.title)
        data = peer_frames(swapped, train_rows.index, test_rows.index)
        return (fit_lightgbm(data, y, seed).predict(data.test),)

    timed("lightgbm_canonical", lightgbm_canonical, diagnostics)
    timed("lightgbm_raw_family", lightgbm_raw_family, diagnostics)

    has_bands = bool(np.any(np.not_equal(*target_bounds(test_rows))))
    pay = np.exp(log_target(profiles))
    year_medians = {
        int(year): float(np.median(pay[(years == year).to_numpy()]))
        for year in sorted(years.dropna().unique())
    }
    numbers = profiles["row_number"].to_numpy(dtype="float64")
    return SourceResult(
        case=case,
        rows={
            "train": len(train_positions),
            "train_all": len(split.train) + len(split.calibration),
            "calibration_folds": config.calibration.folds,
            "test": len(split.test),
        },
        train_years=tuple(sorted(int(v) for v in years.iloc[train_positions].dropna().unique())),
        has_bands=has_bands,
        runs=runs,
        diagnostics=diagnostics,
        breakdowns=breakdowns,
        raw_feature_count=len(peers.train.columns),
        pipeline_seconds=time.perf_counter() - started,
        year_medians=year_medians,
        test_years=tuple(sorted(int(v) for v in years.iloc[split.test].dropna().unique())),
        test_row_numbers=(int(numbers[split.test].min()), int(numbers[split.test].max())),
        quick=quick,
    )


def check_split(
    case: OutOfTimeCase, profiles: pd.DataFrame, split: Split, years: pd.Series, single_file: bool
) -> None:
    """The split is the case's: test years only from test_year on (temporal), or the rows
    first in the file (newest); never a row in two parts."""
    non_test = np.concatenate([split.train, split.calibration])
    if np.intersect1d(split.test, non_test).size:
        raise MlpayError(f"{case.source}: a row is both in test and in training")
    if case.newest is None:
        if not (years.iloc[split.test] >= case.test_year).all():
            raise MlpayError(f"{case.source}: test rows are not all from {case.test_year} on")
        if not (years.iloc[non_test] < case.test_year).all():
            raise MlpayError(f"{case.source}: training rows must all be before {case.test_year}")
        return
    numbers = profiles["row_number"].to_numpy(dtype="float64")
    if single_file and numbers[split.test].max() >= numbers[non_test].min():
        raise MlpayError(f"{case.source}: test rows are not the first rows of the file")
    if len(split.test) != int(case.newest * len(profiles)):
        raise MlpayError(f"{case.source}: the test part is not {case.newest:.0%} of the rows")


@dataclass
class InTimeRow:
    """One source's in-time test split: its own config's scores and the pooled model's."""

    source: str
    test_rows: int
    own: dict[str, float]
    pooled: dict[str, float]


def pooled_runs(
    cases: Sequence[OutOfTimeCase],
    *,
    out_of_time: bool,
    config_path: Path | None = None,
    quick: bool = False,
    seed: int | None = None,
    progress: Progress = _silent,
) -> tuple[dict[str, ModelRun], dict[str, tuple[int, dict[str, float]]]]:
    """The pooled config fitted on the union of each source's own train part and calibrated on
    the union of their calibration parts (each source split exactly as its own row splits it:
    the case's out-of-time split when `out_of_time`, else the config's grouped split; `quick`:
    the same QUICK_SHARE of them); per source, its ModelRun on that source's test part, and
    (test rows, metrics of the source's own config on the same rows) for the in-time table."""
    from training.split import split_rows

    pooled = seeded_config(config_path or REPO_ROOT / POOLED_CONFIG, seed)
    name = "out of time" if out_of_time else "in time"
    progress(f"pooled ({name}, {pooled.model.name}): load data")
    profiles = load_training_data(pooled).profiles
    share = QUICK_SHARE if quick else 1.0
    parts: dict[str, list[np.ndarray]] = {"train": [], "calibration": []}
    test_of: dict[str, np.ndarray] = {}
    own: dict[str, tuple[int, dict[str, float]]] = {}
    for case in cases:
        config = seeded_config(REPO_ROOT / case.config, seed)
        if out_of_time:
            config = case.split_config(config)
        positions = np.flatnonzero((profiles["source"] == case.source).to_numpy())
        rows = profiles.iloc[positions].reset_index(drop=True)
        split = split_rows(rows, config.split, features=config.features, seed=config.seed)
        train_at = subsample(split.train, share, config.seed)
        calibration_at = subsample(split.calibration, share, config.seed)
        parts["train"].append(positions[train_at])
        parts["calibration"].append(positions[calibration_at])
        test_of[case.source] = positions[split.test]
        if not out_of_time:
            progress(f"in time: {case.source} (own config)")
            fitted = fit_config(config, rows, train_at, calibration_at)
            predictions = fitted.predict(rows.iloc[split.test])
            own[case.source] = (len(predictions), interval_metrics_of(predictions))
    train_at = np.sort(np.concatenate(parts["train"]))
    calibration_at = np.sort(np.concatenate(parts["calibration"]))
    progress(
        f"pooled: fit and calibrate on {len(train_at) + len(calibration_at):,} rows "
        f"({pooled.calibration.method})"
    )
    fitted = fit_config(pooled, profiles, train_at, calibration_at, progress)
    runs: dict[str, ModelRun] = {}
    for source, at in test_of.items():
        predictions = fitted.predict(profiles.iloc[at])
        run = scored_run(
            POOLED,
            fitted.seconds,
            predictions,
            *prediction_arrays(predictions),
            year_ahead=fitted.year_ahead(source),
        )
        run.breakdowns = mlpay_breakdowns(predictions)
        runs[source] = run
    return runs, own


def mlpay_breakdowns(predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """mlpay's coverage, width, collapsed share and MAE per role family and top country."""
    out = {}
    for column, limit in (("role", None), ("country", TOP_COUNTRIES)):
        counts = predictions[column].dropna().astype(str).value_counts()
        counts = counts[counts >= MIN_GROUP_ROWS]
        groups = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
        records = {}
        for group, _ in groups:
            rows = predictions[predictions[column].astype(str) == group]
            metrics = metrics_of(
                np.log(rows["pred_median"].to_numpy()),
                rows,
                np.log(rows["pred_low"].to_numpy()),
                np.log(rows["pred_high"].to_numpy()),
            )
            records[group] = {"rows": len(rows), **metrics}
        out[column] = pd.DataFrame.from_dict(records, orient="index")
    return out


# --- the report -----------------------------------------------------------------------------

TABLE_HEADER: Final = (
    "| # | model | test MAE (USD) | ± SE | MdAPE | R² (log pay) | bias (log) | 80% coverage "
    "| mean width (USD) | collapsed | fit s |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
)


def in_time_table(rows: Sequence[InTimeRow]) -> list[str]:
    """The in-time table: each config's grouped test split, its own model vs pooled."""
    lines = [
        "## In time (each config's grouped split)",
        "",
        "Each source's own config trained and scored on its grouped split (as `mlpay train` "
        "does); `pooled` trained and calibrated (cross-conformal) on the union of every "
        "source's non-test rows, scored on the same test rows.",
        "",
        "| source (test rows) | own config MAE | pooled MAE | own: coverage, width, collapsed "
        "| pooled: coverage, width, collapsed |",
        "| --- | ---: | ---: | --- | --- |",
    ]

    def interval(m: dict[str, float]) -> str:
        return f"{m['coverage']:.1%}, {_usd(m['width_usd'])}, {m['collapsed']:.1%}"

    for row in rows:
        lines.append(
            f"| {row.source} ({row.test_rows:,}) | {_usd(row.own['mae_usd'])} ± "
            f"{_usd(row.own['mae_se_usd'])} | {_usd(row.pooled['mae_usd'])} ± "
            f"{_usd(row.pooled['mae_se_usd'])} | {interval(row.own)} | {interval(row.pooled)} |"
        )
    return [*lines, ""]


def quick_note(results: Sequence[SourceResult]) -> str:
    """The words that mark a --quick report ("" for the full run)."""
    if not any(result.quick for result in results):
        return ""
    return (
        f"QUICK run (--quick: {QUICK_SHARE:.0%} of the training rows, no "
        f"{', '.join(QUICK_SKIPS)}, no diagnostics): not the full run's numbers"
    )


def render_markdown(
    results: Sequence[SourceResult],
    environment: dict[str, str],
    in_time: Sequence[InTimeRow] = (),
    command: str = "python benchmarks/bench_out_of_time.py",
) -> str:
    quick = quick_note(results)
    lines = [
        "# mlpay out-of-time benchmark" + (f" ({quick})" if quick else ""),
        "",
        f"Generated by `{command}` (method: its docstring and benchmarks/README.md). Per "
        "source, every model learns from what came before and is scored on what came next: "
        "aijobs.net on the newest 25% of its postings (the file lists the newest first) after "
        "learning from the older 75%, the surveys on their latest edition after learning from "
        "the earlier ones; all see the same rows and learn log(annual USD pay). No "
        "hyperparameter is chosen on the test rows: peers use library defaults, ridge's alpha is "
        "chosen by grouped 5-fold CV on the training rows, mlpay uses its committed config "
        "unchanged. The shipped models are not scored here (they were trained on the test rows).",
        "",
        "Environment: " + "; ".join(f"{k} {v}" for k, v in environment.items()),
        "",
        "## Summary (the README's table)" + (f" — {quick}" if quick else ""),
        "",
        *readme_table(results),
        "",
        *paired_table(results),
        *(in_time_table(in_time) if in_time else []),
    ]
    for result in results:
        lines.extend(_render_source(result))
    lines.extend(
        [
            "## Columns",
            "",
            "- **test MAE (USD)** and **MdAPE**: against exact pay, or for a Kaggle band against "
            "the nearest pay inside the band (0 inside it), as `training/evaluate.py` scores.",
            "- **± SE**: standard error of the MAE over the test rows (std of the absolute "
            "errors / sqrt(rows)); gaps between models smaller than about two of these are noise "
            "(the errors of two models on the same rows are correlated, so this is rough).",
            "- **R² (log pay)**: against log pay (a band: log of its geometric midpoint).",
            "- **bias (log)**: mean of log(predicted) - log(true), the same midpoint for a band; "
            "negative means the model predicts the test year too low.",
            "- **80% coverage**, **mean width**: of the 80% interval (mlpay: cross-conformal "
            "calibration on the training years, as `mlpay train` does; lightgbm_q10_q90: raw "
            "LightGBM quantiles, not calibrated). For a "
            "band, coverage counts the share of the band inside the interval.",
            "- **collapsed**: share of predictions whose high is within 10% of the median.",
            "- **fit s**: wall seconds of the fit (mlpay and pooled: fit and cross-conformal "
            "calibration, as `train()` runs them; ridge: its grouped CV too); 2 threads; the "
            "machine is shared.",
            "",
        ]
    )
    return "\n".join(lines).rstrip() + "\n"


def readme_table(results: Sequence[SourceResult]) -> list[str]:
    header = " | ".join(README_NAMES[m] for m in README_MODELS)
    quick = " [quick]" if any(result.quick for result in results) else ""
    lines = [
        f"| source: train → test (test rows){quick} | {header} | 80% interval (default / own "
        "config): coverage, mean width, collapsed |",
        "| --- |" + " ---: |" * len(README_MODELS) + " --- |",
    ]
    for result in results:
        best = min(result.run(m).metrics["mae_usd"] for m in README_MODELS if result.run(m))

        def mae_text(run: ModelRun, best: float = best) -> str:
            text = _usd(run.metrics["mae_usd"])
            return f"**{text}**" if run.metrics["mae_usd"] == best else text

        cells = model_cells(result, README_MODELS, mae_text)
        interval = (
            " / ".join(
                f"{run.metrics['coverage']:.1%}, {_usd(run.metrics['width_usd'])}, "
                f"{run.metrics['collapsed']:.1%}"
                for run in (result.run(POOLED), result.run(MLPAY))
                if run is not None
            )
            or NONE
        )
        bands = ", bands" if result.has_bands else ""
        label = f"{result.case.source}: {_split_text(result)} ({result.rows['test']:,}{bands})"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {interval} |")
    return lines


def model_cells(
    result: SourceResult, models: Sequence[str], text: Callable[[ModelRun], str]
) -> list[str]:
    """One table cell per model: `text` of its run, or NONE where it did not run."""
    return [NONE if (run := result.run(model)) is None else text(run) for model in models]


def paired_table(results: Sequence[SourceResult]) -> list[str]:
    """The default's MAE minus each README peer's, row by row on the same test rows, ± the
    paired SE; [] without the default's run."""
    peers = [model for model in README_MODELS if model != POOLED]
    rows = []
    for result in results:
        ours = result.run(POOLED)
        if ours is None:
            continue

        def gap_text(peer: ModelRun, ours: ModelRun = ours) -> str:
            gap = PairedGap.of(ours, peer)
            return f"{_signed_usd(gap.gap_usd)} ± {_usd(gap.se_usd)} ({gap.verdict})"

        cells = model_cells(result, peers, gap_text)
        rows.append(f"| {result.case.source} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    coverage = [
        f"{result.case.source} {coverage_text(run.metrics['coverage'], result.rows['test'])}"
        for result in results
        if (run := result.run(POOLED)) is not None
    ]
    return [
        "The default against each peer, row by row: its MAE minus the peer's on the same test "
        "rows (negative: the default is ahead), ± the standard error of that paired difference; "
        '"tie" when the gap is within two of them.',
        "",
        "| source | " + " | ".join(README_NAMES[model] for model in peers) + " |",
        "| --- |" + " ---: |" * len(peers),
        *rows,
        "",
        "The default's 80% coverage ± its binomial standard error over the test rows: "
        + "; ".join(coverage)
        + ".",
        "",
    ]


def coverage_text(coverage: float, rows: int) -> str:
    """A coverage with its binomial standard error over `rows` test rows: "80.9% ± 1.6"."""
    se = math.sqrt(coverage * (1.0 - coverage) / rows) if rows > 0 else math.nan
    return f"{coverage:.1%} ± {100 * se:.1f}"


def _signed_usd(value: float) -> str:
    return ("-" if value < 0 else "+") + _usd(abs(value))


def _split_text(result: SourceResult) -> str:
    """The split in a few words: "older 75% → newest 25%" or "2017 + 2024 → 2025"."""
    case = result.case
    if case.newest is not None:
        return f"older {1 - case.newest:.0%} → newest {case.newest:.0%}"
    return f"{_years_text(result.train_years)} → {case.test_year}"


def _years_text(years: Sequence[int]) -> str:
    if len(years) > 2 and list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return " + ".join(str(y) for y in years)


def _render_source(result: SourceResult) -> list[str]:
    case, rows = result.case, result.rows
    medians = ", ".join(f"{year} {_usd(pay)}" for year, pay in result.year_medians.items())
    learned = (
        f"{rows['train']:,} ({QUICK_SHARE:.0%} of {rows['train_all']:,}, --quick)"
        if result.quick
        else f"{rows['train']:,}"
    )
    if case.newest is None:
        split = (
            f"split made temporal at {case.test_year} (nothing else changed). Rows: training "
            f"years {_years_text(result.train_years)}: {learned}"
        )
        test = f"test {case.test_year}: {rows['test']:,}"
    else:
        first, last = result.test_row_numbers
        split = (
            f"split made `newest` (nothing else changed): test = the {case.newest:.0%} of rows "
            f"first in the file (the newest postings, file rows {first:,}-{last:,}), train = "
            f"the older rows. Rows: train: {learned} (pay years "
            f"{_years_text(result.train_years)})"
        )
        test = (
            f"test (newest {case.newest:.0%}): {rows['test']:,} (pay years "
            f"{_years_text(result.test_years)})"
        )
    lines = [
        f"## {case.source}",
        "",
        f"Config `{case.config}`, {split} (mlpay: every one; its 80% interval's q from "
        f"out-of-fold scores of {rows['calibration_folds']} grouped folds of them); {test}. "
        f"Median pay by year (all rows): {medians}.",
        "",
        f"Raw columns of the peers ({result.raw_feature_count} model columns): {case.raw_columns}.",
    ]
    if result.has_bands:
        lines.append(
            "Pay bands are scored against the band (distance to its nearest pay, 0 inside)."
        )
    ahead = [
        f"{run.model} +{run.metrics['year_ahead']:.3f}"
        for run in result.runs
        if "year_ahead" in run.metrics
    ]
    if case.newest is None:
        lines.append(
            "The test year lies past the training years, so mlpay's intervals add the year-ahead "
            "adjustment its calibration measured (`calibration.year_ahead`, log scale): "
            + ", ".join(ahead)
            + "."
        )
    else:
        lines.append(
            "The test rows' pay years are among the training rows' years, so mlpay's intervals "
            "add no year-ahead adjustment to them (measured: " + ", ".join(ahead) + ")."
        )
    lines.extend(["", *TABLE_HEADER])
    for rank, run in enumerate(result.ranked(), start=1):
        lines.append(_row(str(rank), run))
    if result.diagnostics:
        lines.extend(
            [
                "",
                "Diagnostics (same rows; not peers): `lightgbm_canonical` = LightGBM defaults on "
                "mlpay's canonical features; "
                "`lightgbm_raw_family` = `lightgbm` with the raw title replaced by mlpay's role "
                "family.",
                "",
                *TABLE_HEADER,
            ]
        )
    for run in sorted(result.diagnostics, key=lambda r: r.metrics["mae_usd"]):
        lines.append(_row("", run))
    default = result.run(POOLED)
    tables = [
        (who, column, title, breakdowns.get(column))
        for who, breakdowns in (
            ("the default (pooled)", default.breakdowns if default is not None else {}),
            ("mlpay (own config)", result.breakdowns),
        )
        for column, title in (("role", "role family"), ("country", "top countries"))
    ]
    for who, column, title, table in tables:
        if table is None or table.empty:
            continue
        lines.extend(
            [
                "",
                f"{who} on the test rows by {title} (groups with at least {MIN_GROUP_ROWS} rows):",
                "",
                f"| {column} | rows | MAE (USD) | bias (log) | 80% coverage | mean width (USD) "
                "| collapsed |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
        )
        for group, values in table.iterrows():
            lines.append(
                f"| {group} | {int(values['rows']):,} | {_usd(values['mae_usd'])} | "
                f"{values['bias_log']:+.3f} | {values['coverage']:.1%} | "
                f"{_usd(values['width_usd'])} | {values['collapsed']:.1%} |"
            )
    lines.append("")
    return lines


def _row(rank: str, run: ModelRun) -> str:
    m = run.metrics
    cells = [
        rank,
        f"**{run.model}** (default)" if run.model == POOLED else run.model,
        _usd(m["mae_usd"]),
        _usd(m["mae_se_usd"]),
        f"{m['mdape']:.1%}",
        f"{m['r2_log']:.3f}",
        f"{m['bias_log']:+.3f}",
        f"{m['coverage']:.1%}" if "coverage" in m else NONE,
        _usd(m["width_usd"]) if "width_usd" in m else NONE,
        f"{m['collapsed']:.1%}" if "collapsed" in m else NONE,
        f"{run.fit_seconds:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def _usd(value: float) -> str:
    return f"${value:,.0f}"


def environment_summary() -> dict[str, str]:
    versions = {}
    for package in ("lightgbm", "scikit-learn", "catboost"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    summary = {
        "date": dt.date.today().isoformat(),
        "CPUs": str(os.cpu_count()),
        "Python": platform.python_version(),
        **versions,
    }
    if hasattr(os, "getloadavg"):
        summary["1-min load average"] = f"{os.getloadavg()[0]:.1f}"
    return summary


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Out-of-time benchmark: learn from what came before, predict what came next."
    )
    parser.add_argument(
        "--sources",
        default=",".join(CASE_BY_SOURCE),
        help="comma-separated sources (default: " + ",".join(CASE_BY_SOURCE) + ")",
    )
    parser.add_argument(
        "--output",
        help=f"markdown file to write (default: {DEFAULT_OUTPUT}; --quick: {QUICK_OUTPUT})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"every model on {QUICK_SHARE:.0%} of the training rows, without "
        f"{', '.join(QUICK_SKIPS)} and the diagnostics; the report says 'quick'",
    )
    parser.add_argument(
        "--pooled-config",
        default=POOLED_CONFIG,
        help=f"the default model's (pooled) config, relative to the repository or absolute "
        f"(default: {POOLED_CONFIG})",
    )
    parser.add_argument(
        "--skip-pooled",
        "--no-pooled",
        dest="skip_pooled",
        action="store_true",
        help="leave out the pooled model (and the in-time table)",
    )
    parser.add_argument(
        "--in-time",
        action="store_true",
        help="also fit every config on its grouped split, and pooled once more on theirs "
        "(the 'In time' table: another pooled fit)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="train every mlpay config (own and pooled) with this seed instead of its "
        "committed one (its folds, boosters and draws); the peers read it too",
    )
    return parser.parse_args(argv)


def command_line(argv: Sequence[str] | None) -> str:
    """The command as run, for the report (without --output)."""
    args = list(sys.argv[1:] if argv is None else argv)
    shown: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--output":
            skip = True
            continue
        if not arg.startswith("--output="):
            shown.append(arg)
    return " ".join(["python benchmarks/bench_out_of_time.py", *shown])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print and write the report; user mistakes print one line, return 2."""
    args = parse_args(argv)
    default_output = QUICK_OUTPUT if args.quick else DEFAULT_OUTPUT
    output = Path(args.output) if args.output is not None else REPO_ROOT / default_output
    names = [name.strip() for name in args.sources.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASE_BY_SOURCE]
    if unknown or not names:
        print(
            f"error: unknown source {', '.join(unknown) or '(none)'}; known: "
            + ", ".join(CASE_BY_SOURCE),
            file=sys.stderr,
        )
        return 2
    pooled_config = Path(args.pooled_config)
    if not pooled_config.is_absolute():
        pooled_config = REPO_ROOT / pooled_config
    if not args.skip_pooled and not pooled_config.is_file():
        print(f"error: no pooled config at {pooled_config}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        data_dir()
        results = [
            benchmark_source(CASE_BY_SOURCE[name], quick=args.quick, seed=args.seed, progress=_log)
            for name in names
        ]
        in_time: list[InTimeRow] = []
        if not args.skip_pooled and set(names) != set(CASE_BY_SOURCE):
            _log("pooled skipped: it learns from every source (run all of them)")
        elif not args.skip_pooled:
            cases = [CASE_BY_SOURCE[name] for name in names]
            run_pooled = functools.partial(
                pooled_runs,
                cases,
                config_path=pooled_config,
                quick=args.quick,
                seed=args.seed,
                progress=_log,
            )
            runs, _ = run_pooled(out_of_time=True)
            for result in results:
                run = runs[result.case.source]
                if not same_rows(run, result.runs[0]):
                    raise MlpayError(f"{result.case.source}: pooled scored other test rows")
                result.runs.append(run)
            if args.in_time:
                in_time_runs, own = run_pooled(out_of_time=False)
                in_time = [
                    InTimeRow(
                        case.source,
                        own[case.source][0],
                        own[case.source][1],
                        in_time_runs[case.source].metrics,
                    )
                    for case in cases
                ]
    except MlpayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    environment = environment_summary()
    if not args.skip_pooled:
        environment["pooled config"] = f"`{args.pooled_config}`"
    if args.seed is not None:
        environment["seed"] = f"{args.seed} (every config's own replaced, --seed)"
    environment["whole run"] = f"{time.perf_counter() - started:.0f} s"
    report = render_markdown(results, environment, in_time, command_line(argv))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(report)
    _log(f"wrote {output}")
    return 0


_STARTED: Final = time.perf_counter()


def _log(message: str) -> None:
    """A progress line on stderr, with the seconds since the script started."""
    print(f"[bench {time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
