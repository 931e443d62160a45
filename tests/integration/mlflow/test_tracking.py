from __future__ import annotations

import http.server
import json
import math
import os
import re
import threading
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.types import DataType
from mlflow.types.schema import Array
from mlflow_support import tiny_config, tiny_result

from mlpay_model.errors import MlpayError
from mlpay_model.model import load_model
from training.config import MlflowSettings
from training.pyfunc import mlflow_input
from training.tracking import (
    CHALLENGER,
    CHAMPION,
    MAX_PARAM_VALUE_LENGTH,
    TRUNCATED_MARK,
    check_tracking_server,
    dataset_schema,
    flatten_params,
    run_metrics,
    track_run,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """One SQLite tracking store for the module (creating its tables takes seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'mlflow.db'}"


@pytest.fixture(scope="module")
def config_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("config") / "tiny.yaml"
    path.write_text("# the tiny test config\nmodel: {name: tiny}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return tiny_result(tmp_path_factory.mktemp("good") / "tiny", tiny_config())


@pytest.fixture(scope="module")
def worse(tmp_path_factory):
    return tiny_result(tmp_path_factory.mktemp("worse") / "tiny", tiny_config(), shuffled=True)


def settings(store: str, name: str) -> MlflowSettings:
    return MlflowSettings(
        tracking_uri=store, experiment=f"exp-{name}", registered_model_name=f"mlpay-{name}"
    )


@pytest.fixture(scope="module")
def first_run(store, good, config_file):
    return track_run(good, settings(store, "first"), promote=False, config_path=config_file)


@pytest.fixture
def client(store) -> MlflowClient:
    return MlflowClient(tracking_uri=store, registry_uri=store)


@pytest.fixture
def using_store(store):
    mlflow.set_tracking_uri(store)
    yield
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


# --- what one run records -------------------------------------------------------------------


@pytest.mark.slow
def test_run_logs_the_flattened_config_as_params(first_run, client) -> None:
    params = client.get_run(first_run.run_id).data.params

    assert params["lightgbm.num_leaves"] == "7"
    assert params["sources.0.adapter"] == "aijobs"
    assert params["sources.0.path"] == "${MLPAY_DATA_DIR}/aijobs/salaries.csv"  # portable
    assert json.loads(params["features"]) == [
        "role",
        "country",
        "years_experience",
        "education",
        "skills",
    ]


@pytest.mark.slow
def test_run_logs_every_finite_metric_and_the_baselines(first_run, good, client) -> None:
    metrics = client.get_run(first_run.run_id).data.metrics

    for name, value in good.metrics.items():
        if math.isfinite(value):
            assert metrics[name] == pytest.approx(value)
    assert metrics["baseline.global_median.test_mae_usd"] == pytest.approx(
        good.baselines["global_median"]["test_mae_usd"]
    )


def dataset_inputs(run) -> dict[str, object]:
    """The run's dataset inputs by context."""
    return {
        {tag.key: tag.value for tag in item.tags}["mlflow.data.context"]: item
        for item in run.inputs.dataset_inputs
    }


@pytest.mark.slow
def test_run_logs_the_training_dataset_with_its_digest(first_run, good, client) -> None:
    run = client.get_run(first_run.run_id)

    inputs = dataset_inputs(run)
    assert set(inputs) == {"training", "test"}
    dataset_input = inputs["training"]
    assert dataset_input.dataset.digest == good.dataset_digest[:36]
    profile = json.loads(dataset_input.dataset.profile)
    assert profile["num_rows"] == len(good.data.profiles)
    assert run.data.tags["mlpay.dataset_digest"] == good.dataset_digest


@pytest.mark.slow
def test_run_logs_the_test_rows_as_the_test_dataset(first_run, good, client) -> None:
    test_input = dataset_inputs(client.get_run(first_run.run_id))["test"]

    assert test_input.dataset.name == "tiny-test-rows"
    assert json.loads(test_input.dataset.profile)["num_rows"] == len(good.test_predictions)
    source = json.loads(test_input.dataset.schema)["mlflow_colspec"]
    assert {"role", "salary_usd", "pred_median"} <= {column["name"] for column in source}


@pytest.mark.slow
def test_metrics_are_logged_once_and_linked_to_the_model_and_test_set(
    first_run, good, client
) -> None:
    run = client.get_run(first_run.run_id)
    assert not [name for name in run.data.metrics if name.startswith("baseline_")]
    model = client.get_logged_model(first_run.model_uri.removeprefix("models:/"))
    linked = {metric.key: metric for metric in model.metrics}
    test_set = dataset_inputs(run)["test"].dataset

    assert linked["test_mae_usd"].value == pytest.approx(good.metrics["test_mae_usd"])
    assert linked["test_mae_usd"].dataset_name == test_set.name
    assert linked["test_mae_usd"].dataset_digest == test_set.digest
    assert linked["baseline.global_median.test_mae_usd"].dataset_name == test_set.name
    assert {metric.key for metric in model.metrics} == set(run.data.metrics) - {
        "champion_test_mae_usd"
    }


@pytest.mark.slow
def test_registered_model_and_version_are_described_from_the_model_card(
    first_run, good, client
) -> None:
    registered = client.get_registered_model(first_run.registered_name)
    version = client.get_model_version(first_run.registered_name, first_run.version)

    assert registered.description == "A test model."  # the card's first paragraph
    assert version.description.startswith("A test model.\n\ntest MAE $")
    assert f"{len(good.test_predictions):,} test rows" in version.description


@pytest.mark.slow
def test_run_logs_config_plots_tables_model_card_and_artifact(
    first_run, config_file, client, tmp_path
) -> None:
    def listed(path: str = "") -> set[str]:
        return {item.path for item in client.list_artifacts(first_run.run_id, path)}

    assert {"MODEL_CARD.md", "artifact", "breakdowns", "config", "plots"} <= listed()
    assert listed("plots") == {
        "plots/feature_importance.png",
        "plots/residuals.png",
        "plots/coverage_by_role.png",
    }
    assert listed("breakdowns") == {"breakdowns/role.csv", "breakdowns/country.csv"}
    assert "artifact/manifest.json" in listed("artifact")
    copied = client.download_artifacts(first_run.run_id, "config/tiny.yaml", str(tmp_path))
    assert Path(copied).read_text(encoding="utf-8") == config_file.read_text(encoding="utf-8")
    resolved = client.download_artifacts(
        first_run.run_id, "config/resolved_config.json", str(tmp_path)
    )
    assert json.loads(Path(resolved).read_text())["model"]["name"] == "tiny"


@pytest.mark.slow
def test_first_version_is_registered_as_challenger_and_champion(first_run, client) -> None:
    assert first_run.registered_name == "mlpay-first"
    assert first_run.version == "1"
    assert first_run.promoted
    assert "first champion" in first_run.promotion_reason
    version = client.get_model_version("mlpay-first", "1")
    assert set(version.aliases) == {CHALLENGER, CHAMPION}
    assert version.run_id == first_run.run_id
    assert float(version.tags["test_mae_usd"]) > 0


@pytest.mark.slow
def test_logged_pyfunc_predicts_like_the_runtime_model(first_run, good, using_store) -> None:
    profiles = good.test_predictions.head(12)

    logged = mlflow.pyfunc.load_model(first_run.model_uri)
    predicted = logged.predict(mlflow_input(profiles))
    expected = load_model(good.artifact_dir).predict(profiles)

    values = predicted[["median", "low", "high"]].to_numpy()
    assert np.isfinite(values).all()
    assert (predicted["low"] <= predicted["median"]).all()
    assert (predicted["median"] <= predicted["high"]).all()
    np.testing.assert_allclose(values, expected.to_numpy(), rtol=1e-12)


@pytest.mark.slow
def test_logged_pyfunc_declares_its_signature_and_runtime_requirements(
    first_run, using_store, tmp_path
) -> None:
    info = mlflow.models.get_model_info(first_run.model_uri)
    inputs = {spec.name: spec for spec in info.signature.inputs.inputs}

    assert inputs["role"].required
    assert not inputs["skills"].required and not inputs["country"].required
    outputs = [spec.name for spec in info.signature.outputs.inputs]
    assert outputs == ["median", "low", "high", "pay_year"]
    model_dir = Path(
        mlflow.artifacts.download_artifacts(first_run.model_uri, dst_path=str(tmp_path))
    )
    requirements = (model_dir / "requirements.txt").read_text().split()
    names = {line.split("==")[0].lower() for line in requirements}
    assert {"mlflow", "lightgbm", "pandas", "numpy", "pyarrow", "pycountry", "pyyaml"} <= names


@pytest.mark.slow
def test_track_run_leaves_the_global_tracking_uri_as_it_was(store, good, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")

    track_run(good, settings(store, "restore"), promote=False, config_path=None)

    assert mlflow.get_tracking_uri() == "sqlite:///elsewhere.db"
    assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:///elsewhere.db"


# --- champion / challenger ------------------------------------------------------------------


@pytest.mark.slow
def test_champion_moves_to_a_better_model_or_on_request_only(store, good, worse, client) -> None:
    names = settings(store, "sequence")

    def champion() -> str:
        return str(client.get_model_version_by_alias("mlpay-sequence", CHAMPION).version)

    first = track_run(worse, names, promote=False, config_path=None)
    assert first.promoted and champion() == "1"

    better = track_run(good, names, promote=False, config_path=None)
    assert better.promoted and champion() == "2"
    assert set(better.aliases) == {CHALLENGER, CHAMPION}
    assert "beats" in better.promotion_reason

    again_worse = track_run(worse, names, promote=False, config_path=None)
    assert not again_worse.promoted and champion() == "2"
    assert again_worse.aliases == (CHALLENGER,)
    assert "does not beat" in again_worse.promotion_reason
    challenger = client.get_model_version_by_alias("mlpay-sequence", CHALLENGER)
    assert str(challenger.version) == "3"
    # Both models were scored on the same test rows; the champion's MAE is on the run.
    run = client.get_run(again_worse.run_id)
    assert run.data.metrics["champion_test_mae_usd"] < run.data.metrics["test_mae_usd"]
    assert run.data.metrics["champion_test_mae_usd"] == pytest.approx(good.metrics["test_mae_usd"])

    forced = track_run(worse, names, promote=True, config_path=None)
    assert forced.promoted and champion() == "4"
    assert "requested" in forced.promotion_reason


@pytest.mark.slow
def test_a_champion_that_reads_titles_is_scored_with_them(store, tmp_path, client) -> None:
    # The same model registered twice: the champion must be priced as the new version was,
    # raw titles included (through the pyfunc's typed input, `role` is the family and the
    # title would be lost, so the champion looked worse than itself and was replaced).
    titled = tiny_result(tmp_path / "titled" / "tiny", tiny_config(), titled=True)
    test = titled.test_predictions
    untitled = load_model(titled.artifact_dir).predict(test.drop(columns="role_raw"))["median"]
    untitled_mae = float(np.mean(np.abs(untitled.to_numpy() - test["target_low"].to_numpy())))
    assert titled.metrics["test_mae_usd"] < 0.8 * untitled_mae  # the titles matter here
    names = settings(store, "titled")
    first = track_run(titled, names, promote=False, config_path=None)
    again = track_run(titled, names, promote=False, config_path=None)
    assert first.promoted and not again.promoted
    assert "does not beat" in again.promotion_reason  # a tie keeps the champion
    metrics = client.get_run(again.run_id).data.metrics
    assert metrics["champion_test_mae_usd"] == pytest.approx(metrics["test_mae_usd"], rel=1e-9)


@pytest.mark.slow
def test_a_champion_that_cannot_be_scored_keeps_its_alias(store, good, worse, client) -> None:
    names = settings(store, "broken")
    first = track_run(good, names, promote=False, config_path=None)
    model_id = first.model_uri.removeprefix("models:/")
    location = client.get_logged_model(model_id).artifact_location
    (Path(location.removeprefix("file://")) / "MLmodel").unlink()  # the champion is broken

    info = track_run(worse, names, promote=False, config_path=None)

    assert not info.promoted
    assert "could not be scored" in info.promotion_reason
    assert "--promote" in info.promotion_reason
    assert str(client.get_model_version_by_alias("mlpay-broken", CHAMPION).version) == "1"


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_deleted_experiment_is_a_clear_error(store, good, client) -> None:
    names = settings(store, "deleted")
    client.delete_experiment(client.create_experiment(names.experiment))

    with pytest.raises(MlpayError, match="experiment 'exp-deleted' is deleted"):
        track_run(good, names, promote=False, config_path=None)


def test_sqlite_check_refuses_a_missing_database_folder(tmp_path) -> None:
    folder = tmp_path / "a" / "b"

    with pytest.raises(MlpayError, match="does not exist; create it first"):
        check_tracking_server(f"sqlite:///{folder}/mlflow.db")

    assert not (tmp_path / "a").exists()


def test_sqlite_check_refuses_a_folder_as_database(tmp_path) -> None:
    with pytest.raises(MlpayError, match="is a folder"):
        check_tracking_server(f"sqlite:///{tmp_path}")


def test_sqlite_check_refuses_a_file_where_the_folder_should_be(tmp_path) -> None:
    (tmp_path / "file").write_text("x")

    with pytest.raises(MlpayError, match="is not a folder"):
        check_tracking_server(f"sqlite:///{tmp_path}/file/mlflow.db")


def test_file_store_uri_is_refused_with_the_sqlite_alternative(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)

    with pytest.raises(MlpayError, match=r"file store.*sqlite:///mlflow.db"):
        check_tracking_server("./mlruns")


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers /health with `health_status` and anything else (the REST API) `api_status`."""

    health_status = 200
    api_status = 200

    def do_GET(self) -> None:
        self.send_response(self.health_status if self.path == "/health" else self.api_status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_server(request):
    """A local HTTP server; request.param = (health status, REST API status)."""
    health, api = request.param
    handler = type("Handler", (_Handler,), {"health_status": health, "api_status": api})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("fake_server", [(200, 404), (404, 200)], indirect=True)
def test_http_check_accepts_health_or_the_rest_api(fake_server) -> None:
    check_tracking_server(fake_server)
    check_tracking_server(fake_server + "/")


@pytest.mark.parametrize(
    ("fake_server", "reason"),
    [
        ((503, 200), "/health answered HTTP 503"),
        ((404, 404), "/health and the REST API answered HTTP 404"),
    ],
    indirect=["fake_server"],
)
def test_http_check_reports_a_server_that_is_not_a_healthy_mlflow(fake_server, reason) -> None:
    started = time.monotonic()

    with pytest.raises(MlpayError, match=f"unreachable: {re.escape(reason)}"):
        check_tracking_server(fake_server)

    assert time.monotonic() - started < 5


# --- params and metrics ---------------------------------------------------------------------


def test_flatten_params_joins_keys_and_indexes_lists_of_sections() -> None:
    flat = flatten_params(
        {
            "lightgbm": {"num_leaves": 31, "learning_rate": 0.05},
            "sources": [{"adapter": "aijobs", "mapping": None}],
            "features": ["role", "country"],
            "name": "x",
        }
    )

    assert flat == {
        "lightgbm.num_leaves": "31",
        "lightgbm.learning_rate": "0.05",
        "sources.0.adapter": "aijobs",
        "sources.0.mapping": "null",
        "features": '["role", "country"]',
        "name": "x",
    }


def test_flatten_params_cuts_long_values_and_skips_long_keys(caplog) -> None:
    flat = flatten_params({"notes": "x" * 7000, "k" * 300: 1, "bad key!": 2})

    assert len(flat["notes"]) == MAX_PARAM_VALUE_LENGTH
    assert flat["notes"].endswith(TRUNCATED_MARK)
    assert "k" * 300 not in flat and len(flat) == 2
    assert "skipped" in caplog.text
    assert flat["bad key_"] == "2"


def test_run_metrics_drops_non_finite_values_and_names_baselines_once() -> None:
    metrics = run_metrics(
        {
            "test_mae_usd": 10.0,
            "test_r2_log": math.nan,
            "test_role_c++_mae": 1.0,
            "baseline_global_median_test_mae_usd": 20.0,  # train()'s flat copy: not twice
        },
        {"global_median": {"test_mae_usd": 20.0, "test_r2_log": math.inf}},
    )

    assert metrics == {
        "test_mae_usd": 10.0,
        "test_role_c___mae": 1.0,
        "baseline.global_median.test_mae_usd": 20.0,
    }


def test_dataset_schema_types_come_from_a_sample_and_missing_values_from_all_rows() -> None:
    frame = pd.DataFrame(
        {
            "role": ["ml_engineer"] * 10,
            "country": ["US", None] + ["DE"] * 8,  # missing only in a row the sample skips
            "years_experience": np.arange(10, dtype="float64"),
            "skills": [["python"]] * 10,
        }
    )

    schema = dataset_schema(frame, sample_rows=2)  # rows 0 and 5

    columns = {column.name: column for column in schema.inputs}
    assert columns["role"].type == DataType.string and columns["role"].required
    assert columns["country"].type == DataType.string and not columns["country"].required
    assert columns["years_experience"].type == DataType.double
    assert columns["skills"].type == Array(DataType.string)
