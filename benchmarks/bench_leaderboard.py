"""Model leaderboard: mlpay against baselines and gradient-boosting peers, per training config.

For each config (default: configs/aijobs.yaml, configs/kaggle.yaml, configs/stackoverflow.yaml):

    mlpay                   the full pipeline, `training.train.train(config)`: three LightGBM
                            boosters (median, low, high) and the conformal calibration.
    group_median, ridge     the baselines of `training.baselines`.
    hist_gradient_boosting  scikit-learn HistGradientBoostingRegressor.
    catboost                CatBoostRegressor.
    xgboost                 XGBRegressor.

Every peer learns from the same training rows as mlpay (`training.data` + `training.split` with
the config's seed), the same `FeatureEncoder` matrix and the same log(annual USD pay) target,
with library defaults, a fixed seed and 2 threads; the categorical columns (role, country, ...)
are declared categorical to each boosting library. All are scored on the config's test split by
`training.evaluate.point_metrics`, so a Kaggle pay band is scored against the band: the error is
the distance to the nearest pay inside it, and R² uses log of the band's geometric midpoint.

Train time and peak memory: each model runs in its own fresh (spawned) process, which receives
the prepared data, then measures only its fit (for mlpay: its three boosters and calibration,
timed through `train`'s progress stages). Time is wall seconds. Peak memory is the rise of the
process's peak resident set size (Linux VmHWM, reset just before the fit) above its resident
size when the fit started: it counts native allocations (C++ boosters, OpenMP buffers) that
tracemalloc cannot see, and the fresh process keeps earlier models' garbage out of it.

Usage (from the repository root, with MLPAY_DATA_DIR set):
    python benchmarks/bench_leaderboard.py [--configs configs/aijobs.yaml,...]
                                           [--output benchmarks/results/leaderboard.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from catboost import CatBoostRegressor  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402
from xgboost import XGBRegressor  # noqa: E402

from mlpay_model.data.datadir import data_dir  # noqa: E402
from mlpay_model.errors import MlpayError  # noqa: E402
from mlpay_model.model.features import (  # noqa: E402
    CATEGORICAL_FEATURES,
    FeatureEncoder,
    FeatureSpec,
)
from mlpay_model.model.fitting import fit_spec  # noqa: E402
from training.baselines import GroupMedianBaseline, ridge_pipeline  # noqa: E402
from training.config import TrainConfig, load_config  # noqa: E402
from training.data import load_training_data, log_target, target_bounds  # noqa: E402
from training.evaluate import point_metrics  # noqa: E402
from training.train import evaluation_rows, prepare_split, train  # noqa: E402

DEFAULT_CONFIGS: Final = (
    "configs/aijobs.yaml",
    "configs/kaggle.yaml",
    "configs/stackoverflow.yaml",
)
DEFAULT_OUTPUT: Final = "benchmarks/results/leaderboard.md"
THREADS: Final = 2
MLPAY: Final = "mlpay"
PEERS: Final = ("group_median", "ridge", "hist_gradient_boosting", "catboost", "xgboost")
MODELS: Final = (MLPAY, *PEERS)
MISSING_CATEGORY: Final = "<missing>"  # CatBoost wants text categories, not NaN
HGB_MAX_CATEGORIES: Final = 255  # HistGradientBoosting's categorical codes must be < max_bins
# mlpay's fit window inside `train`: from the first booster to the end of calibration.
FIT_FIRST_STAGE: Final = "fit median"
FIT_END_STAGE: Final = "evaluate"
# Idle OpenMP threads sleep instead of spinning. On a busy machine (more runnable threads than
# cores) spinning made 2-thread fits up to 30x slower than 1-thread ones (HistGradientBoosting:
# 12 s instead of 0.6 s); LightGBM, XGBoost and scikit-learn all use OpenMP, so all get it.
CHILD_ENVIRONMENT: Final = {"OMP_WAIT_POLICY": "PASSIVE"}
_PROC_STATUS: Final = Path("/proc/self/status")
_PROC_CLEAR_REFS: Final = Path("/proc/self/clear_refs")


@dataclass(frozen=True)
class PreparedData:
    """The train and test rows of a config exactly as `training.train.train` builds them."""

    dataset: str
    seed: int
    spec: FeatureSpec
    train_rows: pd.DataFrame
    test_rows: pd.DataFrame
    train_matrix: np.ndarray
    test_matrix: np.ndarray
    train_target: np.ndarray  # log(annual USD pay)
    split_sizes: dict[str, int]


@dataclass(frozen=True)
class ModelRun:
    """What one model's (isolated) run measured."""

    model: str
    fit_seconds: float
    peak_memory_mb: float | None  # None where the OS cannot report a peak
    metrics: dict[str, float]  # mae_usd, mdape, r2_log (+ coverage, width_usd for mlpay)
    pipeline_seconds: float | None = None  # mlpay only: the whole `train(config)` call
    split_sizes: dict[str, int] = field(default_factory=dict)  # mlpay only, as train() saw them


@dataclass(frozen=True)
class DatasetResult:
    dataset: str
    config_path: str
    split_sizes: dict[str, int]
    has_bands: bool  # some test rows have a pay band (scored against the band)
    runs: list[ModelRun]

    def ranked(self) -> list[ModelRun]:
        """Runs by test MAE, best first."""
        return sorted(self.runs, key=lambda run: (run.metrics["mae_usd"], run.model))


# --- data -----------------------------------------------------------------------------------


def prepare_data(config: TrainConfig) -> PreparedData:
    """Load, split and encode as `training.train.train` does (same seed, same spec)."""
    profiles = load_training_data(config).profiles
    prepared = prepare_split(config, profiles)
    # The rows train() fits its evaluated model and baselines on (train + calibration parts
    # under cross-conformal calibration), encoded with a spec fitted on them, as train() does.
    train_rows = evaluation_rows(config, profiles, prepared.split)
    spec = fit_spec(config.fit_settings(), train_rows)
    encoder = FeatureEncoder(spec)
    return PreparedData(
        dataset=config.model.name,
        seed=config.seed,
        spec=spec,
        train_rows=train_rows,
        test_rows=prepared.parts["test"],
        train_matrix=encoder.encode_frame(train_rows),
        test_matrix=encoder.encode_frame(prepared.parts["test"]),
        train_target=log_target(train_rows),
        split_sizes=prepared.split.sizes(),
    )


def score_log_predictions(log_pay: np.ndarray, test_rows: pd.DataFrame) -> dict[str, float]:
    """Test MAE (USD), MdAPE and R² on log pay, against exact pay or the pay band."""
    target_low, target_high = target_bounds(test_rows)
    scores = point_metrics(np.exp(log_pay), target_low, target_high)
    return {name: scores[name] for name in ("mae_usd", "mdape", "r2_log")}


# --- peers ----------------------------------------------------------------------------------
# Each fitter trains on the prepared training rows and returns a function that predicts the
# test rows' log pay; only the fitter is timed.

Predict = Callable[[], np.ndarray]


def fit_group_median(data: PreparedData) -> Predict:
    model = GroupMedianBaseline().fit(data.train_rows, data.train_target)
    return lambda: model.predict(data.test_rows)


def fit_ridge(data: PreparedData) -> Predict:
    model = ridge_pipeline(data.spec).fit(data.train_matrix, data.train_target)
    return lambda: np.asarray(model.predict(data.test_matrix), dtype="float64")


def fit_hist_gradient_boosting(data: PreparedData) -> Predict:
    names = data.spec.feature_names
    categorical = [
        name in data.spec.categories and len(data.spec.categories[name]) <= HGB_MAX_CATEGORIES
        for name in names
    ]
    model = HistGradientBoostingRegressor(
        categorical_features=categorical if any(categorical) else None, random_state=data.seed
    ).fit(data.train_matrix, data.train_target)
    return lambda: np.asarray(model.predict(data.test_matrix), dtype="float64")


def fit_catboost(data: PreparedData) -> Predict:
    categorical = categorical_columns(data.spec)
    model = CatBoostRegressor(
        loss_function="RMSE",
        random_seed=data.seed,
        thread_count=THREADS,
        verbose=False,
        allow_writing_files=False,
    )
    model.fit(
        catboost_frame(data.train_matrix, data.spec), data.train_target, cat_features=categorical
    )
    return lambda: np.asarray(
        model.predict(catboost_frame(data.test_matrix, data.spec)), dtype="float64"
    )


def fit_xgboost(data: PreparedData) -> Predict:
    model = XGBRegressor(
        tree_method="hist",
        enable_categorical=True,
        n_jobs=THREADS,
        random_state=data.seed,
    )
    model.fit(xgboost_frame(data.train_matrix, data.spec), data.train_target)
    return lambda: np.asarray(
        model.predict(xgboost_frame(data.test_matrix, data.spec)), dtype="float64"
    )


PEER_FITTERS: Final[dict[str, Callable[[PreparedData], Predict]]] = {
    "group_median": fit_group_median,
    "ridge": fit_ridge,
    "hist_gradient_boosting": fit_hist_gradient_boosting,
    "catboost": fit_catboost,
    "xgboost": fit_xgboost,
}


def categorical_columns(spec: FeatureSpec) -> list[str]:
    """Model columns holding category codes (the ones LightGBM is told are categorical)."""
    return [name for name in spec.feature_names if name in CATEGORICAL_FEATURES]


def catboost_frame(matrix: np.ndarray, spec: FeatureSpec) -> pd.DataFrame:
    """The encoded matrix with category codes turned back into their (text) category."""
    frame = pd.DataFrame(matrix, columns=spec.feature_names)
    for name in categorical_columns(spec):
        values = np.asarray(spec.categories[name], dtype=object)
        codes = frame[name].to_numpy()
        present = ~np.isnan(codes)
        text = np.full(len(codes), MISSING_CATEGORY, dtype=object)
        text[present] = values[codes[present].astype(int)]
        frame[name] = text
    return frame


def xgboost_frame(matrix: np.ndarray, spec: FeatureSpec) -> pd.DataFrame:
    """The encoded matrix with category codes as a pandas categorical (NaN stays missing)."""
    frame = pd.DataFrame(matrix, columns=spec.feature_names)
    for name in categorical_columns(spec):
        frame[name] = pd.Categorical(frame[name], categories=np.arange(len(spec.categories[name])))
    return frame


# --- measuring ------------------------------------------------------------------------------


class FitMeter:
    """Wall time and peak resident memory of one fit (see the module docstring)."""

    def __init__(self) -> None:
        self.seconds = math.nan
        self.peak_memory_mb: float | None = None
        self._started = math.nan
        self._resident_kb: int | None = None

    def start(self) -> None:
        gc.collect()
        self._resident_kb = _reset_peak_resident()
        self._started = time.perf_counter()

    def stop(self) -> None:
        self.seconds = time.perf_counter() - self._started
        peak_kb = _status_kb("VmHWM")
        if self._resident_kb is not None and peak_kb is not None:
            self.peak_memory_mb = max(0, peak_kb - self._resident_kb) / 1024


def _reset_peak_resident() -> int | None:
    """Reset the process's peak RSS to its current RSS (Linux); the current RSS in kB."""
    try:
        _PROC_CLEAR_REFS.write_text("5")
    except OSError:
        return None
    return _status_kb("VmRSS")


def _status_kb(key: str) -> int | None:
    try:
        lines = _PROC_STATUS.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return None


def run_peer(name: str, data: PreparedData) -> ModelRun:
    """Fit one peer on the training rows (timed) and score it on the test rows."""
    meter = FitMeter()
    with threadpool_limits(limits=THREADS):
        meter.start()
        predict = PEER_FITTERS[name](data)
        meter.stop()
        log_pay = predict()
    return ModelRun(
        model=name,
        fit_seconds=meter.seconds,
        peak_memory_mb=meter.peak_memory_mb,
        metrics=score_log_predictions(log_pay, data.test_rows),
    )


def run_mlpay(config: TrainConfig) -> ModelRun:
    """The whole `train(config)`; its fit window is timed through the progress stages."""
    meter = FitMeter()

    def progress(stage: str) -> None:
        if stage == FIT_FIRST_STAGE:
            meter.start()
        elif stage == FIT_END_STAGE:
            meter.stop()

    with threadpool_limits(limits=THREADS), tempfile.TemporaryDirectory() as staging:
        started = time.perf_counter()
        result = train(config, staging_dir=Path(staging), progress=progress)
        pipeline_seconds = time.perf_counter() - started
    return ModelRun(
        model=MLPAY,
        fit_seconds=meter.seconds,
        peak_memory_mb=meter.peak_memory_mb,
        metrics={
            name: result.metrics[f"test_{name}"]
            for name in ("mae_usd", "mdape", "r2_log", "coverage", "width_usd")
        },
        pipeline_seconds=pipeline_seconds,
        split_sizes=dict(result.split_sizes),
    )


def run_model(model: str, config: TrainConfig, data: PreparedData) -> ModelRun:
    if model == MLPAY:
        return run_mlpay(config)
    return run_peer(model, data)


def run_isolated(model: str, config: TrainConfig, data: PreparedData) -> ModelRun:
    """`run_model` in a fresh spawned process, so each model's memory is measured alone."""
    context = multiprocessing.get_context("spawn")
    with _environment(CHILD_ENVIRONMENT), ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(run_model, model, config, data)
        try:
            return future.result()
        except BrokenProcessPool:
            raise RuntimeError(
                f"{data.dataset}: the process running {model} died (out of memory or a crash "
                "in the library); run it alone to see its output"
            ) from None


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for processes started inside the block, then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def benchmark_config(
    config: TrainConfig,
    config_path: str,
    *,
    models: Sequence[str] = MODELS,
    isolate: bool = True,
    data: PreparedData | None = None,
    progress: Callable[[str], None] | None = None,
) -> DatasetResult:
    """Every model of `models` on one config's split. `data` defaults to `prepare_data`."""
    data = data if data is not None else prepare_data(config)
    runner = run_isolated if isolate else run_model
    runs = []
    for model in models:
        if progress is not None:
            progress(f"{data.dataset}: {model}")
        runs.append(runner(model, config, data))
    for run in runs:
        if run.split_sizes and run.split_sizes != data.split_sizes:
            raise RuntimeError(
                f"{data.dataset}: train() split {run.split_sizes} differs from the benchmark's "
                f"{data.split_sizes}; the peers would not be scored on mlpay's test rows"
            )
    target_low, target_high = target_bounds(data.test_rows)
    return DatasetResult(
        dataset=data.dataset,
        config_path=config_path,
        split_sizes=data.split_sizes,
        has_bands=bool(np.any(target_high > target_low)),
        runs=runs,
    )


# --- report ---------------------------------------------------------------------------------

TABLE_HEADER: Final = (
    "| # | model | test MAE (USD) | MdAPE | R² (log pay) | 80% coverage | mean width (USD) "
    "| train s | peak MB |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
)
NONE: Final = "—"


def render_markdown(results: Sequence[DatasetResult], environment: dict[str, str]) -> str:
    lines = [
        "# mlpay model leaderboard",
        "",
        "Generated by `python benchmarks/bench_leaderboard.py` "
        "(see benchmarks/README.md for the method).",
        "Each section is one training config, scored on its test split; models are sorted by "
        "test MAE. Every model learns from the same training rows, the same encoded features "
        "and the same log-pay target. Peers have no prediction interval (—).",
        "train s = wall seconds of the fit alone (mlpay: its median, low and high boosters plus "
        "the conformal calibration); peak MB = rise of peak resident memory during the fit, "
        "each model in its own fresh process. Threads: 2 per model.",
        "",
        "Environment: " + "; ".join(f"{key} {value}" for key, value in environment.items()),
        "",
    ]
    for result in results:
        lines.extend(_render_dataset(result))
    return "\n".join(lines).rstrip() + "\n"


def _render_dataset(result: DatasetResult) -> list[str]:
    sizes = result.split_sizes
    lines = [
        f"## {result.dataset}",
        "",
        f"Config `{result.config_path}`; rows: train {sizes['train']:,}, calibration "
        f"{sizes['calibration']:,} (used by mlpay's interval only), test {sizes['test']:,}.",
    ]
    if result.has_bands:
        lines.append(
            "Pay bands are scored against the band: the error is the distance to the nearest "
            "pay in the band (0 inside it), R² uses log of the band's geometric midpoint, and "
            "coverage counts the share of the band (log scale) inside the interval."
        )
    lines.extend(["", *TABLE_HEADER])
    for rank, run in enumerate(result.ranked(), start=1):
        metrics = run.metrics
        cells = [
            str(rank),
            f"**{run.model}**" if run.model == MLPAY else run.model,
            _usd(metrics["mae_usd"]),
            f"{metrics['mdape']:.1%}",
            f"{metrics['r2_log']:.3f}",
            f"{metrics['coverage']:.1%}" if "coverage" in metrics else NONE,
            _usd(metrics["width_usd"]) if "width_usd" in metrics else NONE,
            f"{run.fit_seconds:.1f}",
            f"{run.peak_memory_mb:.0f}" if run.peak_memory_mb is not None else "n/a",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    mlpay = next((run for run in result.runs if run.model == MLPAY), None)
    if mlpay is not None and mlpay.pipeline_seconds is not None:
        lines.extend(
            [
                "",
                f"mlpay's whole `train(config)` (load data, split, fit, calibrate, evaluate, "
                f"baselines, write the artifact): {mlpay.pipeline_seconds:.1f} s.",
            ]
        )
    lines.append("")
    return lines


def _usd(value: float) -> str:
    return f"${value:,.0f}"


def environment_summary(load_before: float | None) -> dict[str, str]:
    """Machine and library versions, and the load average (the machine may be shared)."""
    versions = {
        name: _version(package)
        for name, package in (
            ("lightgbm", "lightgbm"),
            ("scikit-learn", "scikit-learn"),
            ("catboost", "catboost"),
            ("xgboost", "xgboost"),
        )
    }
    summary = {
        "date": dt.date.today().isoformat(),
        "CPUs": str(os.cpu_count()),
        "Python": platform.python_version(),
        **versions,
    }
    load_after = _load_average()
    if load_before is not None and load_after is not None:
        summary["1-min load average (start/end)"] = f"{load_before:.1f}/{load_after:.1f}"
    return summary


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Leaderboard of mlpay against baselines and boosting peers per config."
    )
    parser.add_argument(
        "--configs",
        help="comma-separated training configs (default: " + ",".join(DEFAULT_CONFIGS) + ")",
    )
    parser.add_argument("--output", help=f"markdown file to write (default: {DEFAULT_OUTPUT})")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the leaderboard; user mistakes print one line and return 2."""
    args = parse_args(argv)
    # Paths given on the command line are relative to the current folder; defaults to the repo.
    if args.configs is None:
        config_paths = [REPO_ROOT / path for path in DEFAULT_CONFIGS]
    else:
        config_paths = [Path(path.strip()) for path in args.configs.split(",") if path.strip()]
    output = Path(args.output) if args.output is not None else REPO_ROOT / DEFAULT_OUTPUT
    try:
        data_dir()
        configs = [(_display(path), load_config(path)) for path in config_paths]
        load_before = _load_average()
        results = [benchmark_config(config, path, progress=_log) for path, config in configs]
    except MlpayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = render_markdown(results, environment_summary(load_before))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(report)
    _log(f"wrote {output}")
    return 0


def _display(path: Path) -> str:
    """The path as the report shows it: relative to the repository when inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else str(path)


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
