"""The built package: what the wheel carries, and that it runs without any extra from anywhere.

The slow test builds the wheel, installs it into a fresh virtual environment without extras
(no pydantic, scikit-learn or MLflow) and runs `mlpay predict`, `mlpay score` and
`mlpay compare` from an empty temporary folder, as a newcomer who ran `pip install mlpay` would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted(path.parent.name for path in (ROOT / "models").glob("*/manifest.json"))


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _packages_on_disk() -> set[str]:
    found = set()
    for top in ("mlpay_model", "training"):
        for init in (ROOT / top).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    return found


def test_every_package_on_disk_is_listed_for_the_wheel():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    assert listed == _packages_on_disk() | {"mlpay_model.shipped_models"}


def test_the_shipped_models_folder_is_what_the_wheel_carries():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"mlpay_model.shipped_models": "models"}
    assert SHIPPED, "no shipped models in models/"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("mlpay-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_carries_models_taxonomy_and_types(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for model in SHIPPED:
        for file in ("manifest.json", "median.txt", "low.txt", "high.txt", "MODEL_CARD.md"):
            assert f"mlpay_model/shipped_models/{model}/{file}" in names
    assert "mlpay_model/py.typed" in names
    assert "mlpay_model/taxonomy/roles.yaml" in names
    assert not any(name.startswith(("tests/", "benchmarks/", "configs/")) for name in names)


@pytest.mark.slow
def test_the_wheel_carries_the_document_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    on_disk = {path.relative_to(ROOT).as_posix() for path in ROOT.glob("training/**/templates/*")}
    assert "training/templates/model_card.md.j2" in on_disk
    assert on_disk <= names


@pytest.fixture(scope="module")
def runtime_venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed, no extras."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run(
        [*pip, "--disable-pip-version-check", str(wheel)], check=True, capture_output=True
    )
    return venv


def _mlpay(venv: Path, cwd: Path, *args: str, env: dict[str, str] | None = None):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MLPAY_MODELS_DIR", "PYTHONPATH")
    }
    environment.update(env or {})
    return subprocess.run(
        [str(venv / "bin" / "mlpay"), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_installed_wheel_has_no_extras(runtime_venv):
    probe = subprocess.run(
        [
            str(runtime_venv / "bin" / "python"),
            "-c",
            "import importlib.util as u; print([m for m in ('pydantic', 'sklearn', 'mlflow') "
            "if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "[]"


@pytest.mark.slow
def test_installed_wheel_predicts_and_scores_from_any_folder(runtime_venv, tmp_path):
    version = _mlpay(runtime_venv, tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("mlpay ")
    predicted = _mlpay(
        runtime_venv, tmp_path, "predict", "--role", "ML Engineer", "--country", "DE", "--json"
    )
    assert predicted.returncode == 0, predicted.stderr
    assert '"median"' in predicted.stdout
    source = (ROOT / "examples" / "profiles.csv").read_bytes()
    (tmp_path / "profiles.csv").write_bytes(source)
    scored = _mlpay(runtime_venv, tmp_path, "score", "profiles.csv", "-o", "scored.csv")
    assert scored.returncode in (0, 1), scored.stderr  # 1: the example has a bad row on purpose
    rows_in = source.decode().count("\n") - 1
    rows_out = (tmp_path / "scored.csv").read_text().count("\n") - 1
    rejected = (tmp_path / "scored.rejects.csv").read_text().count("\n") - 1
    assert rows_out + rejected == rows_in
    listed = _mlpay(runtime_venv, tmp_path, "models")
    assert listed.returncode == 0, listed.stderr
    for model in SHIPPED:
        assert model in listed.stdout


@pytest.mark.slow
@pytest.mark.data
def test_installed_wheel_compares_with_the_runtime_alone(runtime_venv, tmp_path, data_dir):
    compared = _mlpay(
        runtime_venv,
        tmp_path,
        "compare",
        "--role",
        "Machine Learning Engineer",
        "--vs",
        "Software Engineer",
        "--refits",
        "4",  # the fewest accepted: refits are the same code at any count; 20 take minutes
        "--json",
        env={"MLPAY_DATA_DIR": str(data_dir)},
    )
    assert compared.returncode == 0, compared.stderr
    assert '"premium"' in compared.stdout and '"refits": 4' in compared.stdout
