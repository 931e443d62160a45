"""track_run against a REAL `mlflow server` process, and serving the registered model.

The server runs from this venv on a free localhost port with a SQLite backend and proxied
artifact storage (--serve-artifacts), as a team server would. Each process is started in its
own session and its whole process group is stopped in the fixture teardown.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow_support import tiny_config, tiny_result

from mlpay_model.errors import MlpayError
from mlpay_model.model import load_model
from training.config import MlflowSettings
from training.pyfunc import canonical_input, mlflow_input
from training.tracking import CHALLENGER, CHAMPION, check_tracking_server, track_run

VENV_BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_SECONDS = 240  # a cold start imports a lot; the machine may be busy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], *, log: Path, cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(log, "wb") as handle:
        return subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group: teardown stops every worker
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} not up after {STARTUP_TIMEOUT_SECONDS}s:\n{log.read_text()[-3000:]}")


def child_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.pop("PYTHONPATH", None)
    # No job runner (it spawns several huey consumers a tracking test does not need).
    return {
        **env,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        **extra,
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = root / "server.log"
    process = start(
        [
            str(VENV_BIN / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'db.sqlite'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--serve-artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        log=log,
        cwd=root,
        env=child_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/health", process, log)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return tiny_result(tmp_path_factory.mktemp("result") / "tiny", tiny_config())


@pytest.fixture(scope="module")
def tracked(server, result):
    settings = MlflowSettings(
        tracking_uri=server, experiment="server-test", registered_model_name="mlpay-served"
    )
    return track_run(result, settings, promote=False, config_path=None)


@pytest.mark.slow
def test_track_run_records_run_model_and_aliases_on_a_real_server(server, result, tracked) -> None:
    client = MlflowClient(tracking_uri=server, registry_uri=server)

    run = client.get_run(tracked.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["test_mae_usd"] == pytest.approx(result.metrics["test_mae_usd"])
    assert run.data.params["model.name"] == "tiny"
    plots = {item.path for item in client.list_artifacts(tracked.run_id, "plots")}
    assert "plots/coverage_by_role.png" in plots  # uploaded through the server's proxy
    version = client.get_model_version_by_alias("mlpay-served", CHAMPION)
    assert str(version.version) == tracked.version == "1"
    assert set(version.aliases) == {CHALLENGER, CHAMPION}
    assert tracked.tracking_uri == server


@pytest.mark.slow
def test_model_logged_to_the_server_predicts_like_the_runtime(
    server, result, tracked, monkeypatch
) -> None:
    profiles = result.test_predictions.head(8)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)

    logged = mlflow.pyfunc.load_model(f"models:/{tracked.registered_name}@{CHAMPION}")
    predicted = logged.predict(mlflow_input(profiles))

    runtime = load_model(result.artifact_dir)
    expected = runtime.predict(profiles)
    pay = predicted[["median", "low", "high"]]
    np.testing.assert_allclose(pay.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert predicted["pay_year"].equals(runtime.default_pay_years(profiles).reset_index(drop=True))


@pytest.fixture(scope="module")
def served(server, tracked, tmp_path_factory) -> Iterator[str]:
    """`mlflow models serve` of the champion, from an empty folder without PYTHONPATH:
    everything comes from the logged model."""
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    log = folder / "serve.log"
    process = start(
        [
            str(VENV_BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            f"models:/{tracked.registered_name}@{CHAMPION}",
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        log=log,
        cwd=folder,
        env=child_env(
            MLFLOW_TRACKING_URI=server, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
        ),
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/ping", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def invoke(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/invocations", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def documented_curl_payload() -> bytes:
    """The JSON body of docs/scoring.md's `curl ... /invocations` example, as written there."""
    doc = (Path(__file__).parents[3] / "docs" / "scoring.md").read_text(encoding="utf-8")
    found = re.search(r"curl -s http://127\.0\.0\.1:5001/invocations .*?-d '(.*?)'", doc, re.S)
    assert found, "docs/scoring.md has no curl example for /invocations"
    return found.group(1).encode()


@pytest.mark.slow
def test_mlflow_models_serve_answers_with_the_registered_model(result, served) -> None:
    records = [
        {"role": "ml_engineer", "country": "US", "years_experience": 6.0, "skills": ["python"]},
        {"role": "data_analyst", "country": "IN", "education": "master", "skills": []},
        {"role": "software_engineer", "skills": ["sql", "pytorch"]},
    ]

    status, answer = invoke(served, json.dumps({"dataframe_records": records}).encode())

    assert status == 200, answer
    served_pay = pd.DataFrame(answer["predictions"])[["median", "low", "high"]]
    profiles = pd.DataFrame(records).assign(skills=lambda f: f["skills"].map(tuple))
    expected = load_model(result.artifact_dir).predict(profiles)
    np.testing.assert_allclose(served_pay.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert (served_pay["low"] <= served_pay["median"]).all()
    assert (served_pay["median"] <= served_pay["high"]).all()


@pytest.mark.slow
def test_the_documented_curl_example_gets_raw_text_predicted(result, served) -> None:
    payload = documented_curl_payload()

    status, answer = invoke(served, payload)

    assert status == 200, answer
    records = json.loads(payload)["dataframe_records"]
    raw = pd.DataFrame(records)
    expected = load_model(result.artifact_dir).predict(canonical_input(raw))
    got = pd.DataFrame(answer["predictions"])
    assert list(got.columns) == ["median", "low", "high", "pay_year"]
    years = load_model(result.artifact_dir).default_pay_years(canonical_input(raw))
    served_years = pd.to_numeric(got["pay_year"]).astype("float64")
    assert served_years.equals(years.reset_index(drop=True))  # NaN: the data has no year
    got = got[["median", "low", "high"]]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)


@pytest.mark.slow
def test_serving_takes_rows_with_and_without_skills_as_lists_or_text(result, served) -> None:
    records = [
        {"role": "Senior ML Engineer", "country": "Germany", "skills": ["Python", "PyTorch"]},
        {"role": "Data Analyst", "country": "India"},
        {"role": "Software Engineer", "skills": "sql; python"},
        {"role": "Data Scientist", "skills": None, "years_experience": "5-10 years"},
    ]

    status, answer = invoke(served, json.dumps({"dataframe_records": records}).encode())

    assert status == 200, answer
    got = pd.DataFrame(answer["predictions"])[["median", "low", "high"]]
    expected = load_model(result.artifact_dir).predict(canonical_input(pd.DataFrame(records)))
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert len(got) == 4 and np.isfinite(got.to_numpy()).all()


@pytest.mark.slow
def test_a_bad_row_is_a_one_line_400_without_a_stack_trace(served) -> None:
    records = [
        {"role": "ML Engineer", "country": "US"},
        {"role": "Data Scientist", "country": "Atlantis"},
    ]

    status, answer = invoke(served, json.dumps({"dataframe_records": records}).encode())

    assert status == 400
    assert answer["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not answer.get("stack_trace")
    message = answer["message"]
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("country='Atlantis': row 1: unknown country"), message


def test_an_unreachable_server_fails_fast_with_a_clear_message(tmp_path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = MlflowSettings(tracking_uri=url, experiment="x", registered_model_name="y")
    started = time.monotonic()

    with pytest.raises(MlpayError) as error:
        check_tracking_server(url)
    with pytest.raises(MlpayError):
        track_run(object(), settings, promote=False, config_path=None)

    assert time.monotonic() - started < 10
    message = str(error.value)
    assert "\n" not in message
    assert f"MLflow tracking server at {url} is unreachable" in message
    assert "mlflow server" in message and "--tracking-uri sqlite:///mlflow.db" in message
