"""Record a training run in MLflow and register the model, with champion/challenger aliases.

`check_tracking_server(uri)` is the fast pre-flight check the train command runs BEFORE
training, so an unreachable server fails in seconds with one line instead of after the
training and MLflow's minutes of retries. `track_run(...)` logs one MLflow run:

    params     the resolved training config, flattened ("lightgbm.num_leaves", "sources.0.path")
    metrics    the training result's metrics, the baselines' as "baseline.<name>.<metric>"
    dataset    the training profiles (`mlflow.data.from_pandas`, with the training digest) as
               input with context "training"
    artifacts  config/ (the config file and the resolved config), plots/ (feature importance,
               residuals, interval coverage by role), breakdowns/ (per role / country tables),
               MODEL_CARD.md, and artifact/ (the mlpay artifact folder itself)
    model      the pyfunc `training.pyfunc` (logged as code, with the `mlpay_model` package and
               the runtime requirements, so `mlflow models serve` and `spark_udf` need nothing
               else), registered under the config's registered model name

The new version gets the alias `challenger`. It also becomes `champion` when asked to
(`promote`), when there is no champion yet, or when it beats the champion on this run's test
rows: both models predict the same rows and the lower test MAE (USD, scored against exact pay
or the pay band as in `training.evaluate`) wins; a tie keeps the champion.

Tracking URIs: `sqlite:///path.db` (the default `sqlite:///mlflow.db`; artifacts of new
experiments go to `mlruns/` beside the database) or a server `http(s)://host:port`. MLflow 3
refuses its old file store (`./mlruns` as a tracking URI), so it is refused here up front.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import math
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import pandas as pd

import mlpay_model
from mlpay_model.errors import MlpayError
from mlpay_model.model.artifact import read_manifest
from training.config import MlflowSettings
from training.evaluate import point_metrics
from training.plots import save_plots
from training.pyfunc import ARTIFACT_KEY, pyfunc_signature
from training.pyfunc import mlflow_input as pyfunc_input

CHAMPION: Final = "champion"
CHALLENGER: Final = "challenger"
LOGGED_MODEL_NAME: Final = "salary_model"
CHECK_TIMEOUT_SECONDS: Final = 3.0
INPUT_EXAMPLE_ROWS: Final = 3
SCHEMA_SAMPLE_ROWS: Final = 2000
PYFUNC_FILE: Final = Path(__file__).with_name("pyfunc.py")
RUNTIME_PACKAGE_DIR: Final = Path(mlpay_model.__file__).parent
# What `mlpay_model` needs at prediction time (pyproject's runtime dependencies).
RUNTIME_DISTRIBUTIONS: Final = (
    "numpy",
    "pandas",
    "pyarrow",
    "lightgbm",
    "pycountry",
    "pyyaml",
    "tqdm",
)
# MLflow's limits (mlflow.utils.validation) and its portable key characters.
MAX_PARAM_KEY_LENGTH: Final = 250
MAX_PARAM_VALUE_LENGTH: Final = 6000
TRUNCATED_MARK: Final = "…[truncated]"
_UNSAFE_KEY_CHARACTERS: Final = re.compile(r"[^/\w.\- ]")

if TYPE_CHECKING:
    from training.train import TrainResult

logger = logging.getLogger(__name__)


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


def check_tracking_server(uri: str, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
    """Raise a one-line MlpayError unless MLflow can use `uri`; fast (at most ~2 x timeout).

    http(s): the server must answer its /health endpoint (or, behind a proxy without it, the
    REST API). sqlite: the database's folder must exist or be creatable, and be writable.
    """
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        _check_http_server(uri, timeout)
    elif scheme == "sqlite":
        _check_sqlite_path(uri)
    elif scheme in ("", "file") and not _file_store_allowed():
        raise MlpayError(
            f"tracking URI {uri!r} is an MLflow file store, which MLflow 3 refuses; "
            "pass --tracking-uri sqlite:///mlflow.db (or an http:// server)"
        )


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
            _quiet_mlflow(),
            _tracking_uri(uri),
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
        message = " ".join(str(error.message).split())
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
    experiment_id = _experiment_id(client, settings.experiment, settings.tracking_uri)
    # The pyfunc and the run keep the artifact under the model's name, not the staging name.
    artifact_dir = scratch / str(manifest["name"])
    shutil.copytree(result.artifact_dir, artifact_dir)
    run_name = f"{manifest['name']}-{manifest['version']}"
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags(
            {
                "mlpay.model_name": manifest["name"],
                "mlpay.model_version": manifest["version"],
                "mlpay.package_version": manifest["package_version"],
                "mlpay.dataset_digest": result.dataset_digest,
            }
        )
        mlflow.log_params(flatten_params(result.config.model_dump(mode="json")))
        mlflow.log_metrics(run_metrics(result.metrics, result.baselines))
        _log_dataset(result, manifest)
        _log_config(result.config, config_path)
        _log_tables_and_plots(result, manifest, scratch)
        if (artifact_dir / "MODEL_CARD.md").is_file():
            mlflow.log_artifact(str(artifact_dir / "MODEL_CARD.md"))
        mlflow.log_artifacts(str(artifact_dir), "artifact")
        model_info = mlflow.pyfunc.log_model(
            name=LOGGED_MODEL_NAME,
            python_model=str(PYFUNC_FILE),
            artifacts={ARTIFACT_KEY: str(artifact_dir)},
            code_paths=[str(RUNTIME_PACKAGE_DIR)],
            pip_requirements=runtime_requirements(),
            signature=pyfunc_signature(),
            input_example=pyfunc_input(result.test_predictions.head(INPUT_EXAMPLE_ROWS)),
            registered_model_name=registered_name,
        )
        version = str(model_info.registered_model_version)
        client.set_registered_model_alias(registered_name, CHALLENGER, version)
        new_mae = _test_mae(result.test_predictions["pred_median"], result.test_predictions)
        client.set_model_version_tag(registered_name, version, "test_mae_usd", f"{new_mae:.2f}")
        promoted, reason = _decide_champion(
            client, registered_name, version, result.test_predictions, new_mae, promote
        )
        if promoted:
            client.set_registered_model_alias(registered_name, CHAMPION, version)
        mlflow.set_tag("mlpay.promotion", reason)
    aliases = (CHALLENGER, CHAMPION) if promoted else (CHALLENGER,)
    return TrackingInfo(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        model_uri=model_info.model_uri,
        registered_name=registered_name,
        version=version,
        aliases=aliases,
        promoted=promoted,
        promotion_reason=reason,
        tracking_uri=settings.tracking_uri,
    )


def flatten_params(config: Mapping[str, Any]) -> dict[str, str]:
    """The config as MLflow params: nested keys joined by ".", list items by index.

    Lists of plain values stay one JSON param. Values longer than MLflow's limit are cut and
    marked "…[truncated]" (the full config is logged as a file too); keys longer than the
    limit are skipped with a warning; characters MLflow refuses in keys become "_".
    """
    flat: dict[str, str] = {}
    for key, value in _flat_items(config, ""):
        safe_key = _UNSAFE_KEY_CHARACTERS.sub("_", key)
        if len(safe_key) > MAX_PARAM_KEY_LENGTH:
            logger.warning(
                "MLflow param %s… skipped: key longer than %d", key[:60], MAX_PARAM_KEY_LENGTH
            )
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > MAX_PARAM_VALUE_LENGTH:
            text = text[: MAX_PARAM_VALUE_LENGTH - len(TRUNCATED_MARK)] + TRUNCATED_MARK
        flat[safe_key] = text
    return flat


def _flat_items(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flat_items(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple) and any(
        isinstance(item, Mapping | list | tuple) for item in value
    ):
        for index, item in enumerate(value):
            yield from _flat_items(item, f"{prefix}.{index}")
    else:
        yield prefix, list(value) if isinstance(value, tuple) else value


def run_metrics(
    metrics: Mapping[str, float], baselines: Mapping[str, Mapping[str, float]]
) -> dict[str, float]:
    """Finite metrics with MLflow-safe names; baselines as "baseline.<name>.<metric>".

    NaN (e.g. R² of a group with one row) is left out rather than stored as a number.
    """
    named = dict(metrics)
    for baseline, values in baselines.items():
        named.update({f"baseline.{baseline}.{name}": value for name, value in values.items()})
    return {
        _UNSAFE_KEY_CHARACTERS.sub("_", name): float(value)
        for name, value in named.items()
        if value is not None and math.isfinite(float(value))
    }


def runtime_requirements() -> list[str]:
    """pip requirements of the logged model: the runtime dependencies, pinned as installed."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in RUNTIME_DISTRIBUTIONS]


def _decide_champion(
    client: Any,
    name: str,
    version: str,
    test_predictions: Any,
    new_mae: float,
    promote: bool,
) -> tuple[bool, str]:
    """(promote?, why): asked to, no champion yet, or a lower test MAE than the champion."""
    import mlflow

    if promote:
        return True, f"version {version} promoted to {CHAMPION} as requested"
    champion = _champion_version(client, name)
    if champion is None:
        return True, f"version {version} is the first {CHAMPION} of {name}"
    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}/{champion}")
        champion_median = model.predict(pyfunc_input(test_predictions))["median"]
        champion_mae = _test_mae(champion_median, test_predictions)
    except Exception as error:  # a broken or incompatible champion must not lose the run
        logger.warning("could not score the %s (version %s): %s", CHAMPION, champion, error)
        return False, (
            f"{CHAMPION} version {champion} could not be scored on the test rows "
            f"({type(error).__name__}); pass --promote to replace it"
        )
    mlflow.log_metric("champion_test_mae_usd", champion_mae)
    comparison = f"test MAE ${new_mae:,.0f} vs {CHAMPION} version {champion} ${champion_mae:,.0f}"
    if new_mae < champion_mae:
        return True, f"version {version} beats the {CHAMPION}: {comparison}"
    return False, f"version {version} does not beat the {CHAMPION}: {comparison}"


def _champion_version(client: Any, name: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def _test_mae(predicted_median: Any, test_predictions: Any) -> float:
    """MAE in USD against exact pay or the pay band (training.evaluate.point_metrics)."""
    return point_metrics(
        predicted_median.to_numpy(dtype="float64"),
        test_predictions["target_low"].to_numpy(dtype="float64"),
        test_predictions["target_high"].to_numpy(dtype="float64"),
    )["mae_usd"]


def _experiment_id(client: Any, name: str, tracking_uri: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return str(client.create_experiment(name, artifact_location=_artifact_root(tracking_uri)))
    if experiment.lifecycle_stage == "deleted":
        raise MlpayError(
            f"MLflow experiment {name!r} is deleted; restore it "
            f"(mlflow experiments restore --experiment-id {experiment.experiment_id}) "
            "or set mlflow.experiment to another name"
        )
    return str(experiment.experiment_id)


def _artifact_root(tracking_uri: str) -> str | None:
    """For a SQLite store, new experiments keep artifacts in mlruns/ beside the database.

    (MLflow's own default is ./mlruns relative to wherever the command runs.) A server
    decides for itself.
    """
    database = _sqlite_path(tracking_uri)
    if database is None:
        return None
    return (database.parent.resolve() / "mlruns").as_uri()


def _log_dataset(result: TrainResult, manifest: Mapping[str, Any]) -> None:
    import mlflow
    from mlflow.data.pandas_dataset import from_pandas

    profiles = result.data.profiles
    # MLflow infers the dataset schema from plain types: skill lists, float whole numbers.
    frame = profiles.assign(
        skills=pd.Series(
            [list(skills) for skills in profiles["skills"]], index=profiles.index, dtype=object
        ),
        **{
            name: profiles[name].astype("float64")
            for name in profiles.columns
            if str(profiles[name].dtype) == "Int64"
        },
    )
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


def _check_http_server(uri: str, timeout: float) -> None:
    base = uri.rstrip("/")
    try:
        _get(f"{base}/health", timeout)
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise _unreachable(uri, f"/health answered HTTP {error.code}") from None
        try:  # a proxy may hide /health; the REST API answers on every MLflow server
            _get(f"{base}/api/2.0/mlflow/experiments/search?max_results=1", timeout)
        except urllib.error.HTTPError as api_error:
            raise _unreachable(
                uri, f"/health and the REST API answered HTTP {api_error.code} (not MLflow?)"
            ) from None
        except (urllib.error.URLError, OSError) as api_error:
            raise _unreachable(uri, _reason(api_error, timeout)) from None
    except (urllib.error.URLError, OSError) as error:
        raise _unreachable(uri, _reason(error, timeout)) from None


def _get(url: str, timeout: float) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read(1024)


def _reason(error: BaseException, timeout: float) -> str:
    reason = getattr(error, "reason", error)
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"no answer within {timeout:g}s"
    return str(reason)


def _unreachable(uri: str, reason: str) -> MlpayError:
    return MlpayError(
        f"MLflow tracking server at {uri} is unreachable: {reason}; start it with "
        "`mlflow server --backend-store-uri sqlite:///mlflow.db --port PORT` or pass "
        "--tracking-uri sqlite:///mlflow.db"
    )


def _sqlite_path(uri: str) -> Path | None:
    """The database file of a sqlite:/// URI (None for other URIs and in-memory databases)."""
    if not uri.lower().startswith("sqlite://"):
        return None
    path = uri[len("sqlite://") :].split("?", 1)[0]
    if path in ("", "/", "/:memory:"):
        return None
    return Path(path[1:] if path.startswith("/") else path)


def _check_sqlite_path(uri: str) -> None:
    database = _sqlite_path(uri)
    if database is None:
        return
    if database.is_dir():
        raise MlpayError(f"tracking URI {uri}: {database} is a folder, not a database file")
    folder = database.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MlpayError(
            f"tracking URI {uri}: cannot create the folder {folder} ({error.strerror})"
        ) from None
    if not os.access(folder, os.W_OK):
        raise MlpayError(f"tracking URI {uri}: the folder {folder} is not writable")


def _file_store_allowed() -> bool:
    return os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() in ("true", "1")


@contextmanager
def _tracking_uri(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at `uri`, then back at what it used before.

    mlflow.set_tracking_uri also sets MLFLOW_TRACKING_URI (for subprocesses); resetting to
    None and restoring the variable leaves the process as it was.
    """
    import mlflow

    variable = "MLFLOW_TRACKING_URI"
    saved = os.environ.get(variable)
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
        if saved is not None:
            os.environ[variable] = saved


@contextmanager
def _quiet_mlflow() -> Iterator[None]:
    """MLflow's progress bars, INFO logs and schema hints off; warnings and errors stay.

    A user's own MLFLOW_LOGGING_LEVEL / MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR win.
    """
    loggers = [logging.getLogger("alembic")]
    if "MLFLOW_LOGGING_LEVEL" not in os.environ:
        loggers.append(logging.getLogger("mlflow"))
    levels = [item.level for item in loggers]
    progress_bar = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    set_progress = progress_bar not in os.environ
    try:
        for item in loggers:
            item.setLevel(logging.WARNING)
        if set_progress:
            os.environ[progress_bar] = "false"
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Hint: Inferred schema contains integer")
            # Deprecations inside MLflow's own code (pandas, SQLAlchemy) are not ours to act on.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"mlflow\.")
            yield
    finally:
        for item, level in zip(loggers, levels, strict=True):
            item.setLevel(level)
        if set_progress:
            os.environ.pop(progress_bar, None)
