"""`mlpay models`: shipped models, and the MLflow registry when there is one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from artifact_factory import shared_models_dir

import mlpay_model
from mlpay_model.cli import BROKEN_PIPE_EXIT, main
from mlpay_model.cli.models import sqlite_file
from mlpay_model.model import DEFAULT_MODEL


@pytest.fixture(scope="module")
def models_root() -> Path:
    return shared_models_dir()


@pytest.fixture(autouse=True)
def in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a folder without mlflow.db, so no registry is listed unless a test asks."""
    monkeypatch.chdir(tmp_path)


def _models(capsys, models_dir: Path, monkeypatch, *options: str) -> tuple[int, str]:
    monkeypatch.setenv("MLPAY_MODELS_DIR", str(models_dir))
    code = main(["models", *options])
    return code, capsys.readouterr().out


def test_lists_each_shipped_model_with_data_and_metrics(capsys, models_root, monkeypatch):
    code, out = _models(capsys, models_root, monkeypatch)
    manifest = json.loads((models_root / "tiny" / "manifest.json").read_text())
    assert code == 0
    assert f"Shipped models in {models_root} (default: {DEFAULT_MODEL}):" in out
    assert "  tiny 0.0.test" in out and "  tiny_aijobs 0.0.test" in out
    assert "inline (tests/artifact_factory.py): 600 of 600 rows kept" in out
    assert f"mae ${manifest['metrics']['test_mae_usd']:,.0f}" in out
    assert f"coverage {100 * manifest['metrics']['test_coverage']:.1f}%" in out
    assert "Registered models" not in out


def test_json_lists_the_same(capsys, models_root, monkeypatch):
    code, out = _models(capsys, models_root, monkeypatch, "--json")
    report = json.loads(out)
    assert code == 0 and report["default"] == DEFAULT_MODEL
    assert [model["name"] for model in report["models"]] == ["tiny", "tiny_aijobs"]
    tiny = report["models"][0]
    assert tiny["version"] == "0.0.test"
    assert tiny["data"] == [
        {
            "source": "inline",
            "file": "tests/artifact_factory.py",
            "rows_read": 600,
            "rows_kept": 600,
        }
    ]
    assert set(tiny["metrics"]) == {"test_mae_usd", "test_coverage"}
    assert "years_experience" in tiny["features"]
    assert "registry" not in report


@pytest.mark.parametrize("options", [("--json",), ()])
def test_a_reader_that_stops_early_gets_no_traceback(models_root, tmp_path, options):
    """`mlpay models --json | head -c 1`: exit 1 quietly (the output was not all delivered)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    repository = str(Path(mlpay_model.__file__).resolve().parents[1])
    environment = {**os.environ, "PYTHONPATH": repository, "MLPAY_MODELS_DIR": str(models_root)}
    with os.fdopen(write_end, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "mlpay_model", "models", *options],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=tmp_path,
            check=False,
        )
    assert result.returncode == BROKEN_PIPE_EXIT == 1
    assert result.stderr == b""


def test_a_broken_model_is_listed_as_unusable(capsys, models_root, tmp_path, monkeypatch):
    import shutil

    shutil.copytree(models_root / "tiny", tmp_path / "models" / "broken")
    (tmp_path / "models" / "broken" / "high.txt").write_text("tampered")
    code, out = _models(capsys, tmp_path / "models", monkeypatch)
    assert code == 0 and "broken: unusable:" in out and "sha256" in out


def test_no_models_says_how_to_train_one(capsys, tmp_path, monkeypatch):
    code, out = _models(capsys, tmp_path / "none", monkeypatch)
    assert code == 0 and "none (train one with `mlpay train" in out


def test_a_missing_registry_database_is_one_line(capsys, models_root, monkeypatch, tmp_path):
    uri = f"sqlite:///{tmp_path / 'nothing.db'}"
    code, out = _models(capsys, models_root, monkeypatch, "--tracking-uri", uri)
    assert code == 0 and f"no MLflow database at {tmp_path / 'nothing.db'}" in out
    assert not (tmp_path / "nothing.db").exists()


def test_without_mlflow_installed_it_says_so(capsys, models_root, monkeypatch, tmp_path):
    (tmp_path / "mlflow.db").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "mlflow", None)  # makes `import mlflow` fail
    code, out = _models(capsys, models_root, monkeypatch)
    assert code == 0
    assert "Registered models in sqlite:///mlflow.db:" in out
    assert "MLflow is not installed" in out


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("sqlite:///mlflow.db", Path("mlflow.db")),
        ("sqlite:////tmp/x/m.db", Path("/tmp/x/m.db")),
        ("http://localhost:5000", None),
        ("sqlite:///:memory:", None),
    ],
)
def test_sqlite_file(uri, path):
    assert sqlite_file(uri) == path


@pytest.mark.slow
def test_registered_models_with_versions_and_aliases(capsys, models_root, monkeypatch, tmp_path):
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("mlpay-tiny")
    for _ in range(2):
        client.create_model_version("mlpay-tiny", source=str(models_root / "tiny"))
    client.set_registered_model_alias("mlpay-tiny", "champion", "1")
    client.set_registered_model_alias("mlpay-tiny", "challenger", "2")

    code, out = _models(capsys, models_root, monkeypatch, "--tracking-uri", uri)
    assert code == 0
    assert "mlpay-tiny: v1, v2 (challenger -> v2, champion -> v1)" in out
    code, out = _models(capsys, models_root, monkeypatch, "--tracking-uri", uri, "--json")
    registry = json.loads(out)["registry"]
    assert registry["models"][0]["aliases"] == {"challenger": "2", "champion": "1"}
    assert [v["version"] for v in registry["models"][0]["versions"]] == ["1", "2"]
