"""The MLflow door: a tracking store that is not there, hangs or is not MLflow is said in one
line within seconds (never MLflow's minutes of retries); a SQLite store's missing folder is
refused, never created; `mlpay train` leaves no mlflow.db or mlruns/ in the current folder
unless asked for that store."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from training_factory import small_config_dict, write_aijobs_csv, write_config

from mlpay_model import cli
from mlpay_model._mlflow import HTTP_LIMITS, default_store, default_tracking_uri, http_limits

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "aijobs.yaml"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 500

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def error_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _uri(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "closed":
        return f"http://127.0.0.1:{_closed_port()}"
    if kind == "silent":
        return request.getfixturevalue("silent_server")
    if kind == "error":
        return request.getfixturevalue("error_server")
    if kind == "unresolvable":
        return "http://no-such-host.invalid:5000"
    return kind.replace("{tmp}", str(tmp_path))


# (id, command, tracking URI kind, exit status, words in the one line)
CASES = [
    ("models-closed-port", "models", "closed", 0, "is unreachable: [Errno 111] Connection refused"),
    ("models-silent-server", "models", "silent", 0, "no answer within"),
    ("models-http-500", "models", "error", 0, "/health answered HTTP 500"),
    ("models-unresolvable-host", "models", "unresolvable", 0, "is unreachable"),
    (
        "models-sqlite-missing",
        "models",
        "sqlite:///{tmp}/missing/mlflow.db",
        0,
        "no MLflow database at",
    ),
    ("train-closed-port", "train", "closed", 2, "is unreachable"),
    ("train-silent-server", "train", "silent", 2, "no answer within"),
    ("train-http-500", "train", "error", 2, "/health answered HTTP 500"),
    ("train-unresolvable-host", "train", "unresolvable", 2, "is unreachable"),
    (
        "train-sqlite-missing-folder",
        "train",
        "sqlite:///{tmp}/missing/mlflow.db",
        2,
        "does not exist",
    ),
    ("train-sqlite-folder", "train", "sqlite:///{tmp}", 2, "is a folder, not a database file"),
    ("train-file-store", "train", "file://{tmp}/mlruns", 2, "file store"),
]


@pytest.mark.parametrize(
    ("command", "kind", "status", "words"),
    [
        # the silent server's cases wait out the HTTP timeout (3 s)
        pytest.param(*c[1:], id=c[0], marks=[pytest.mark.slow] if c[2] == "silent" else [])
        for c in CASES
    ],
)
def test_a_store_that_cannot_be_used_is_one_line_within_seconds(
    tmp_path, capfd, monkeypatch, request, command, kind, status, words
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tmp_path / "no-data"))
    uri = _uri(kind, tmp_path, request)
    argv = [command, "--tracking-uri", uri]
    if command == "train":
        argv += ["--config", str(CONFIG), "--output-dir", str(tmp_path / "out")]
    started = time.monotonic()
    assert cli.main(argv) == status
    elapsed = time.monotonic() - started
    out, err = capfd.readouterr()
    assert elapsed < 15, f"{elapsed:.1f}s"
    text = err if status else out
    lines = [line for line in text.splitlines() if words in line]
    assert len(lines) == 1, text
    assert "Traceback" not in out + err
    if status:
        assert err.count("\n") == 1 and err.startswith("mlpay train: error: ")
    assert not (tmp_path / "missing").exists() and not (tmp_path / "out").exists()


def test_http_limits_are_set_while_mlflow_runs_and_a_users_own_win(monkeypatch):
    for name in HTTP_LIMITS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "77")
    with http_limits():
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "77"
        assert (
            os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]
            == HTTP_LIMITS["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]
        )
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "77"


def test_the_default_store_is_mlpays_own_not_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert default_store() == tmp_path / "data-home" / "mlpay" / "mlflow.db"
    assert default_tracking_uri() == f"sqlite:///{default_store()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://example:5000")
    assert default_tracking_uri() == "http://example:5000"


@pytest.mark.slow
def test_train_without_a_store_leaves_nothing_in_the_current_folder(tmp_path, capfd, monkeypatch):
    """Trains a tiny model twice: the run goes to mlpay's own store; the second run refuses to
    replace the model without --overwrite, and replaces it with it."""
    data = write_aijobs_csv(tmp_path / "data" / "salaries.csv", rows=1200)
    config = write_config(tmp_path / "tiny.yaml", small_config_dict(data))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    argv = ["train", "--config", str(config), "--output-dir", str(tmp_path / "out")]
    assert cli.main(argv) == 0
    out = capfd.readouterr().out
    assert list(work.iterdir()) == []  # no mlflow.db, no mlruns/
    store = tmp_path / "data-home" / "mlpay"
    assert (store / "mlflow.db").is_file() and (store / "mlruns").is_dir()
    assert f"at sqlite:///{store / 'mlflow.db'}" in out
    assert cli.main(argv) == 2
    err = capfd.readouterr().err
    assert "already holds a model" in err and "--overwrite" in err and err.count("\n") == 1
    assert cli.main([*argv, "--overwrite"]) == 0
