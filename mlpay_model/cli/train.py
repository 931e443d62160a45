"""`mlpay train`: train a salary model from a config, track it in MLflow, publish the artifact.

Order: validate the config, check the MLflow tracking store (seconds, before any training),
train into a temporary folder, log the run and register the model, and only then move the
artifact to `<output-dir>/<model name>/`. Any failure before the move leaves no artifact.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpay_model._format import money, percent

if TYPE_CHECKING:
    from tqdm import tqdm

    from training.tracking import TrackingInfo
    from training.train import TrainResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a salary model from a config file",
        description=(
            "Train the median and interval models described by a config file (see configs/), "
            "evaluate them and the baselines on held-out rows, log the run to MLflow and write "
            "the model to <output-dir>/<model name>/."
        ),
    )
    parser.add_argument("--config", required=True, type=Path, metavar="FILE", help="YAML config")
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: the config's mlflow.tracking_uri if it sets one, "
        "else MLFLOW_TRACKING_URI, else mlpay's own store "
        "sqlite:///~/.local/share/mlpay/mlflow.db; never the current folder unless asked)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="folder that receives <model name>/ (default: the config's output_dir, models)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace <output-dir>/<model name>/ when it already holds a model "
        "(without it, an existing model, e.g. a shipped one, is never replaced)",
    )
    parser.add_argument(
        "--promote",
        action="store_true",
        help="make the new version the MLflow 'champion' even if it does not beat the current one",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from training import tracking
    from training.config import load_config
    from training.export import install_artifact
    from training.train import train

    # The command line's --tracking-uri / --output-dir say where this run goes, not what is
    # trained: they stay out of the config recorded in the manifest, which stays reproducible.
    config = load_config(args.config)
    output_dir = Path(args.output_dir if args.output_dir is not None else config.output_dir)
    check_output_dir(output_dir, config.model.name, overwrite=args.overwrite)
    settings = config.mlflow.model_copy(
        update={"tracking_uri": run_tracking_uri(args.tracking_uri, config.mlflow)}
    )
    tracking.check_tracking_server(settings.tracking_uri)
    staging = Path(tempfile.mkdtemp(prefix="mlpay-train-"))
    try:
        with _StageProgress() as progress:
            result = train(config, staging_dir=staging, progress=progress)
        info = tracking.track_run(result, settings, promote=args.promote, config_path=args.config)
        target = install_artifact(result.artifact_dir, output_dir / config.model.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(render_summary(result, target, info))
    return 0


def run_tracking_uri(given: str | None, settings: Any) -> str:
    """Where this run is tracked: --tracking-uri, else the config's mlflow.tracking_uri when
    the config sets one, else MLFLOW_TRACKING_URI, else mlpay's own store (its folder is
    created: it is mlpay's). Never ./mlflow.db and ./mlruns unless asked for."""
    from mlpay_model._mlflow import default_store, default_tracking_uri

    if given is not None:
        return given
    if "tracking_uri" in settings.model_fields_set:
        return str(settings.tracking_uri)
    uri = default_tracking_uri()
    if uri == f"sqlite:///{default_store()}":
        try:
            default_store().parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            from mlpay_model.errors import ConfigError

            raise ConfigError(
                f"cannot create mlpay's MLflow store folder {default_store().parent} "
                f"({error.strerror}); pass --tracking-uri"
            ) from None
    return uri


def check_output_dir(output_dir: Path, name: str, *, overwrite: bool = False) -> None:
    """Refuse, before any training, an output that cannot receive `<output_dir>/<name>/`:
    the folder (or the model folder in it) is an existing file, or cannot be written; or the
    model folder already holds a model (a shipped one, when run from the checkout) and
    `overwrite` is not set."""
    from mlpay_model.errors import ConfigError

    for path in (output_dir, output_dir / name):
        if path.exists() and not path.is_dir():
            raise ConfigError(f"--output-dir: {path} is a file, not a folder; choose a folder")
    target = output_dir / name
    if not overwrite and (target / "manifest.json").exists():
        raise ConfigError(
            f"{target} already holds a model; pass --output-dir DIR to write elsewhere, "
            "or --overwrite to replace it"
        )
    existing = next((p for p in (output_dir, *output_dir.parents) if p.exists()), Path("."))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--output-dir: cannot write in {existing}")


def render_summary(result: TrainResult, artifact: Path, info: TrackingInfo) -> str:
    """The final report: data, metrics against the baselines, where the model and run are."""
    metrics = result.metrics
    sizes = result.split_sizes
    rows = sum(report.rows_kept for report in result.data.reports)
    folds = result.calibration.get("folds")
    if folds is None:
        split = (
            f"train {sizes['train']:,}, calibration {sizes['calibration']:,}, "
            f"test {sizes['test']:,}"
        )
    else:
        split = (
            f"test {sizes['test']:,}, scored by a model of the other {rows - sizes['test']:,} "
            f"with its interval calibrated on {folds}-fold out-of-fold scores; the shipped "
            f"model refitted on all {result.shipped_rows:,}"
        )
    lines = [
        f"Trained {result.config.model.name} version {result.config.model.version} on "
        f"{rows:,} rows ({split})",
        "",
        f"  {'test split':<22}{'MAE (USD)':>12}{'median APE':>12}{'R2 (log)':>10}",
        _score_line(
            "mlpay",
            {k.removeprefix("test_"): v for k, v in metrics.items() if k.startswith("test_")},
        ),
    ]
    lines += [
        _score_line(f"baseline {name.replace('_', ' ')}", scores)
        for name, scores in result.baselines.items()
    ]
    coverage = result.config.calibration.target_coverage
    lines += [
        "",
        f"  {coverage:.0%} interval: covers {percent(metrics['test_coverage'], signed=False)} "
        f"of test rows, mean width {money(metrics['test_width_usd'])}",
        "",
        f"Model:  {artifact}  (manifest.json, MODEL_CARD.md)",
        f"MLflow: run {info.run_id} at {info.tracking_uri}",
        f"        registered {info.registered_name} version {info.version} "
        f"(aliases: {', '.join(info.aliases) or 'none'}); {info.promotion_reason}",
    ]
    return "\n".join(lines)


def _score_line(label: str, scores: dict[str, float]) -> str:
    return (
        f"  {label:<22}{scores['mae_usd']:>12,.0f}{scores['mdape']:>12.1%}{scores['r2_log']:>10.3f}"
    )


class _StageProgress:
    """A tqdm bar over training.train.STAGES, shown only when stderr is a terminal."""

    def __enter__(self) -> _StageProgress:
        from tqdm import tqdm

        from training.train import STAGES

        self._bar: tqdm[Any] = tqdm(
            total=len(STAGES),
            desc="training",
            unit="step",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
            leave=False,
        )
        self._started = False
        return self

    def __call__(self, stage: str) -> None:
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(stage)

    def __exit__(self, *exc_info: object) -> None:
        self._bar.close()
