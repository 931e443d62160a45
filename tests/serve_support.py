"""A real `mlpay serve` process on a free localhost port, for the web calculator's tests.

`running_server` starts the command from this venv in its own process group, waits (bounded)
until GET /healthz answers 200, yields its base URL and stops it with SIGTERM (SIGKILL if it
does not end in time). `call` is a small JSON client over urllib (a real HTTP connection).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

MLPAY = Path(sys.executable).parent / "mlpay"
STARTUP_SECONDS = 90  # a cold start imports FastAPI and loads four models; CI may be busy
STOP_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(*args: str, log: Path, cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [str(MLPAY), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own process group: the teardown stops all of it
        )
    return process, f"http://127.0.0.1:{port}"


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mlpay serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(f"{url}/healthz not up after {STARTUP_SECONDS}s:\n{log.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM the server's process group; its exit code (SIGKILL after STOP_SECONDS)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return int(process.returncode)


@contextmanager
def running_server(*args: str, root: Path) -> Iterator[str]:
    log = root / "serve.log"
    process, url = start_server(*args, log=log, cwd=root)
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        stop_server(process)


def call(
    url: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str | None = "application/json",
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed JSON or text): GET without a body, POST with one."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    if data is not None and content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, payload = response.status, _lower(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, payload = error.code, _lower(error.headers), error.read()
    text = payload.decode("utf-8")
    if headers.get("content-type", "").startswith("application/json"):
        return status, headers, json.loads(text)
    return status, headers, text


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
