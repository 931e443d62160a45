"""MLflow settings every door shares: mlpay's own tracking store, and short HTTP limits.

Only the standard library, and urllib only when a server is checked (`mlpay predict` imports
this module through the command table and must start fast); MLflow is never imported here
(it reads the variables set here).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from mlpay_model.errors import MlpayError

DEFAULT_DATABASE: Final = "mlflow.db"
CHECK_TIMEOUT_SECONDS: Final = 3.0
"""The reachability check of a tracking server (`check_http_server`)."""
HTTP_TIMEOUT_SECONDS: Final = 10
"""Each MLflow REST request (MLflow's default: 120 s)."""
HTTP_MAX_RETRIES: Final = 1
"""Retries of a failed MLflow REST request (MLflow's default: 5 with backoff; 246 s in all
for a server that is not there)."""
HTTP_LIMITS: Final[dict[str, str]] = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": str(HTTP_TIMEOUT_SECONDS),
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(HTTP_MAX_RETRIES),
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
}


def default_store() -> Path:
    """mlpay's own MLflow database, where `mlpay train` tracks unless told otherwise:
    `$XDG_DATA_HOME/mlpay/mlflow.db` (`~/.local/share/mlpay/mlflow.db`), the artifacts in
    `mlruns/` beside it; never the current folder."""
    home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(home) / "mlpay" / DEFAULT_DATABASE


def default_tracking_uri() -> str:
    """MLFLOW_TRACKING_URI when set, else `sqlite:///` of `default_store()`."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{default_store()}"


@contextmanager
def http_limits() -> Iterator[None]:
    """While the block runs, MLflow's REST calls give up after HTTP_TIMEOUT_SECONDS and
    HTTP_MAX_RETRIES (a server that is not there answers in seconds, not minutes). A user's
    own MLFLOW_HTTP_REQUEST_* variables win."""
    added = [name for name in HTTP_LIMITS if name not in os.environ]
    for name in added:
        os.environ[name] = HTTP_LIMITS[name]
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def check_http_server(uri: str, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
    """Raise a one-line MlpayError unless an MLflow server answers at `uri` (http/https)
    within about 2 x `timeout`: its /health endpoint, or (behind a proxy without it) the
    REST API. Only urllib: seconds, before MLflow and its retries are involved."""
    import urllib.error

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
    import urllib.request

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
