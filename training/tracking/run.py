"""Logging one training run in MLflow: `track_run(result, settings, ...)`.

params     the resolved training config, flattened (`params.flatten_params`)
metrics    the training result's metrics and the baselines' (`params.run_metrics`), each
           once, linked to the logged model; those measured on the test rows ("test" in
           the name, the baselines) also to the test dataset
datasets   the training profiles (`mlflow.data.from_pandas`, with the training digest) as
           input with context "training", and the test rows with their predictions as
           input with context "test"
artifacts  config/ (the config file and the resolved config), plots/ (feature importance,
           residuals, interval coverage by role), breakdowns/ (per role / country tables),
           MODEL_CARD.md, and artifact/ (the mlpay artifact folder itself)
model      the pyfunc (`logged_model`), registered under the config's registered model
           name, with its aliases (`registry`); the registered model and the version are
           described from the model card (`registry.describe`)
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from mlpay_model._mlflow import http_limits
from mlpay_model.errors import MlpayError, clip
from mlpay_model.model.artifact import read_manifest
from training.config import MlflowSettings
from training.plots import save_plots
from training.tracking.logged_model import log_model
from training.tracking.params import flatten_params, run_metrics
from training.tracking.registry import CHALLENGER, CHAMPION, assign_aliases, describe
from training.tracking.store import check_tracking_server, experiment_id, quiet_mlflow, tracking_uri

if TYPE_CHECKING:
    from training.train import TrainResult

SCHEMA_SAMPLE_ROWS: Final = 2000


@dataclass(frozen=True)
class TrackingInfo:
    """What `track_run` recorded and whether the new version became the champion."""

    run_id: str
    experiment_id: str
    model_uri: str  # the logged model, "models:/m-…" (or use models:/<registered_name>/<version>)
    registered_name: str
    version: str
    aliases: tuple[str, ...]  # the aliases the new version holds
    promoted: bool  # whether the new version is now the champion
    promotion_reason: str  # one line: why it was or was not made champion
    tracking_uri: str


def track_run(
    result: TrainResult,
    settings: MlflowSettings,
    *,
    promote: bool,
    config_path: Path | str | None,
) -> TrackingInfo:
    """Log `result` (a training.train.TrainResult) as one MLflow run and register its model.

    Raises MlpayError (one line) when the tracking store is unusable or MLflow fails; the
    MLflow run is then marked FAILED and the caller should not publish the artifact.
    """
    from mlflow.exceptions import MlflowException

    uri = settings.tracking_uri
    check_tracking_server(uri)
    manifest = read_manifest(Path(result.artifact_dir))
    registered_name = settings.registered_model_name or f"mlpay-{manifest['name']}"
    try:
        with (
            quiet_mlflow(),
            http_limits(),
            tracking_uri(uri),
            tempfile.TemporaryDirectory(prefix="mlpay-tracking-") as scratch,
        ):
            return _track(
                result,
                manifest,
                settings,
                registered_name=registered_name,
                promote=promote,
                config_path=None if config_path is None else Path(config_path),
                scratch=Path(scratch),
            )
    except MlflowException as error:
        message = clip(" ".join(str(error.message).split()), 500)
        raise MlpayError(f"MLflow tracking at {uri} failed: {message}") from error
    except OSError as error:  # e.g. a server whose artifact root is a path on another machine
        raise MlpayError(
            f"MLflow tracking at {uri} could not store the run's files: {error}; a remote "
            "server should proxy artifacts (mlflow server --serve-artifacts, the default)"
        ) from error


def _track(
    result: TrainResult,
    manifest: Mapping[str, Any],
    settings: MlflowSettings,
    *,
    registered_name: str,
    promote: bool,
    config_path: Path | None,
    scratch: Path,
) -> TrackingInfo:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment = experiment_id(client, settings.experiment, settings.tracking_uri)
    # The pyfunc and the run keep the artifact under the model's name, not the staging name.
    artifact_dir = scratch / str(manifest["name"])
    shutil.copytree(result.artifact_dir, artifact_dir)
    run_name = f"{manifest['name']}-{manifest['version']}"
    with mlflow.start_run(experiment_id=experiment, run_name=run_name) as run:
        mlflow.set_tags(
            {
                "mlpay.model_name": manifest["name"],
                "mlpay.model_version": manifest["version"],
                "mlpay.package_version": manifest["package_version"],
                "mlpay.dataset_digest": result.dataset_digest,
            }
        )
        mlflow.log_params(flatten_params(result.config.model_dump(mode="json")))
        _log_dataset(result, manifest)
        test_dataset = _log_test_dataset(result, manifest)
        _log_config(result.config, config_path)
        _log_tables_and_plots(result, manifest, scratch)
        if (artifact_dir / "MODEL_CARD.md").is_file():
            mlflow.log_artifact(str(artifact_dir / "MODEL_CARD.md"))
        mlflow.log_artifacts(str(artifact_dir), "artifact")
        model_info = log_model(artifact_dir, result.test_predictions, registered_name)
        _log_metrics(run_metrics(result.metrics, result.baselines), model_info, test_dataset)
        version = str(model_info.registered_model_version)
        card = artifact_dir / "MODEL_CARD.md"
        if card.is_file():
            describe(client, registered_name, version, card.read_text(encoding="utf-8"), result)
        promoted, reason = assign_aliases(
            client, registered_name, version, result.test_predictions, promote
        )
    aliases = (CHALLENGER, CHAMPION) if promoted else (CHALLENGER,)
    return TrackingInfo(
        run_id=run.info.run_id,
        experiment_id=experiment,
        model_uri=model_info.model_uri,
        registered_name=registered_name,
        version=version,
        aliases=aliases,
        promoted=promoted,
        promotion_reason=reason,
        tracking_uri=settings.tracking_uri,
    )


def _log_metrics(metrics: Mapping[str, float], model_info: Any, test_dataset: Any) -> None:
    """The run's metrics, linked to the logged model; test-row metrics also to the test set."""
    import mlflow

    on_test = {name: value for name, value in metrics.items() if _measured_on_test(name)}
    others = {name: value for name, value in metrics.items() if name not in on_test}
    model_id = getattr(model_info, "model_id", None)
    if on_test:
        mlflow.log_metrics(on_test, model_id=model_id, dataset=test_dataset)
    if others:
        mlflow.log_metrics(others, model_id=model_id)


def _measured_on_test(name: str) -> bool:
    return "test" in name or name.startswith("baseline.")


def _plain_types(profiles: pd.DataFrame) -> pd.DataFrame:
    """MLflow infers a dataset schema from plain types: skill lists, float whole numbers."""
    return profiles.assign(
        skills=pd.Series(
            [list(skills) for skills in profiles["skills"]], index=profiles.index, dtype=object
        ),
        **{
            name: profiles[name].astype("float64")
            for name in profiles.columns
            if str(profiles[name].dtype) == "Int64"
        },
    )


def _log_test_dataset(result: TrainResult, manifest: Mapping[str, Any]) -> Any:
    """The test rows with their predictions as input "test"; the MLflow dataset."""
    import mlflow
    from mlflow.data.pandas_dataset import from_pandas

    frame = _plain_types(result.test_predictions)
    dataset = from_pandas(
        frame,
        name=f"{manifest['name']}-test-rows",
        targets="salary_usd",
        predictions="pred_median",
    )
    dataset.schema = dataset_schema(frame)
    mlflow.log_input(dataset, context="test")
    return dataset


def _log_dataset(result: TrainResult, manifest: Mapping[str, Any]) -> None:
    import mlflow
    from mlflow.data.pandas_dataset import from_pandas

    frame = _plain_types(result.data.profiles)
    dataset = from_pandas(
        frame,
        name=f"{manifest['name']}-training-profiles",
        digest=str(result.dataset_digest)[:36],  # MLflow stores at most 36 characters
        targets="salary_usd",
    )
    dataset.schema = dataset_schema(frame)
    sources = ", ".join(f"{entry['source']}:{entry['file']}" for entry in manifest["data"])
    mlflow.log_input(dataset, context="training", tags={"mlpay.sources": sources[:5000]})


def dataset_schema(frame: pd.DataFrame, sample_rows: int = SCHEMA_SAMPLE_ROWS) -> Any:
    """The MLflow schema of `frame`, with types inferred from evenly spaced sample rows.

    MLflow's own inference looks at every value of every text column (about 10 s for the
    50,000 aijobs rows); a sample gives the same types. Whether a column is required (never
    missing) is still decided on all rows.
    """
    from mlflow.models import infer_signature
    from mlflow.types import ColSpec, Schema

    step = max(1, len(frame) // sample_rows)
    inferred = infer_signature(frame.iloc[::step]).inputs
    if inferred is None:  # MLflow could not infer it (it warns); the dataset has no schema
        return None
    missing = frame.isna().any()
    return Schema(
        [
            ColSpec(column.type, column.name, required=not bool(missing[column.name]))
            for column in inferred.inputs
        ]
    )


def _log_config(config: Any, config_path: Path | None) -> None:
    import mlflow

    if config_path is not None:
        mlflow.log_artifact(str(config_path), "config")
    mlflow.log_dict(config.model_dump(mode="json"), "config/resolved_config.json")


def _log_tables_and_plots(result: TrainResult, manifest: Mapping[str, Any], scratch: Path) -> None:
    import mlflow

    tables = scratch / "breakdowns"
    tables.mkdir()
    for name, table in result.breakdowns.items():
        table.to_csv(tables / f"{name}.csv")
    mlflow.log_artifacts(str(tables), "breakdowns")
    plots = scratch / "plots"
    save_plots(
        plots,
        test_predictions=result.test_predictions,
        feature_importance=result.feature_importance,
        target_coverage=float(manifest["calibration"]["target_coverage"]),
    )
    mlflow.log_artifacts(str(plots), "plots")
