"""The MLflow tracking store: checking it before training, pointing MLflow at it, experiments.

`check_tracking_server(uri)` is the fast pre-flight check the train command runs BEFORE
training, so an unreachable server fails in seconds with one line instead of after the
training and MLflow's minutes of retries.

Tracking URIs: `sqlite:///path.db` (`mlpay train`'s default is mlpay's own store,
`mlpay_model._mlflow.default_store`; artifacts of new
experiments go to `mlruns/` beside the database) or a server `http(s)://host:port`. MLflow 3
refuses its old file store (`./mlruns` as a tracking URI), so it is refused here up front.

Only the standard library at import time: MLflow is imported inside the functions that use it.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlpay_model._mlflow import CHECK_TIMEOUT_SECONDS, check_http_server
from mlpay_model.errors import MlpayError


def check_tracking_server(uri: str, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
    """Raise a one-line MlpayError unless MLflow can use `uri`; fast (at most ~2 x timeout).

    http(s): the server must answer its /health endpoint (or, behind a proxy without it, the
    REST API). sqlite: the database's folder must exist (it is never created) and be writable.
    """
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        check_http_server(uri, timeout)
    elif scheme == "sqlite":
        _check_sqlite_path(uri)
    elif scheme in ("", "file") and not _file_store_allowed():
        raise MlpayError(
            f"tracking URI {uri!r} is an MLflow file store, which MLflow 3 refuses; "
            "pass --tracking-uri sqlite:///mlflow.db (or an http:// server)"
        )


def experiment_id(client: Any, name: str, tracking_uri: str) -> str:
    """The id of the experiment `name`, created (artifacts per `artifact_root`) if new."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return str(client.create_experiment(name, artifact_location=artifact_root(tracking_uri)))
    if experiment.lifecycle_stage == "deleted":
        raise MlpayError(
            f"MLflow experiment {name!r} is deleted; restore it "
            f"(mlflow experiments restore --experiment-id {experiment.experiment_id}) "
            "or set mlflow.experiment to another name"
        )
    return str(experiment.experiment_id)


def artifact_root(tracking_uri: str) -> str | None:
    """For a SQLite store, new experiments keep artifacts in mlruns/ beside the database.

    (MLflow's own default is ./mlruns relative to wherever the command runs.) A server
    decides for itself.
    """
    database = sqlite_path(tracking_uri)
    if database is None:
        return None
    return (database.parent.resolve() / "mlruns").as_uri()


def sqlite_path(uri: str) -> Path | None:
    """The database file of a sqlite:/// URI (None for other URIs and in-memory databases)."""
    if not uri.lower().startswith("sqlite://"):
        return None
    path = uri[len("sqlite://") :].split("?", 1)[0]
    if path in ("", "/", "/:memory:"):
        return None
    return Path(path[1:] if path.startswith("/") else path)


@contextmanager
def tracking_uri(uri: str) -> Iterator[None]:
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
def quiet_mlflow() -> Iterator[None]:
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


def _check_sqlite_path(uri: str) -> None:
    database = sqlite_path(uri)
    if database is None:
        return
    if database.is_dir():
        raise MlpayError(f"tracking URI {uri}: {database} is a folder, not a database file")
    folder = database.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise MlpayError(
            f"tracking URI {uri}: the folder {folder} {what}; create it first "
            "(it is never created silently) or choose another database path"
        )
    if not os.access(folder, os.W_OK):
        raise MlpayError(f"tracking URI {uri}: the folder {folder} is not writable")


def _file_store_allowed() -> bool:
    return os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() in ("true", "1")
