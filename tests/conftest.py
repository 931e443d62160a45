"""Shared fixtures. Tests that need the real data use `data_dir` / `data_file`.

Without MLPAY_DATA_DIR they skip with a reason that says how to get the data; with
MLPAY_REQUIRE_DATA=1 (as in CI) they fail instead, so a missing data set is never a green run.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlpay_model.data.datadir import pin_data_dir

# OpenMP threads that spin while waiting starve each other on a small shared machine (2 cores):
# LightGBM and scikit-learn fits ran 10-30x slower. Must be set before either is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# A relative MLPAY_DATA_DIR (the README's ../shared/data) is relative to where pytest was run:
# made absolute now, before any test starts a process (`mlpay`, a server) in another folder.
pin_data_dir()

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _refit_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Model refits (`mlpay compare`, the report) are cached in a folder of this run only: the
    tests never write to the user's cache, and every run starts cold, as a new machine does."""
    os.environ["MLPAY_CACHE_DIR"] = str(tmp_path_factory.mktemp("mlpay-cache"))


@pytest.fixture(scope="session", autouse=True)
def _tracking_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """mlpay's own MLflow store (`mlpay train` without --tracking-uri) lives under
    XDG_DATA_HOME: a folder of this run only, so tests never touch the user's store."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))


def _missing_data(reason: str) -> None:
    if os.environ.get("MLPAY_REQUIRE_DATA") == "1":
        pytest.fail(f"MLPAY_REQUIRE_DATA=1 but {reason}")
    pytest.skip(f"{reason}: set MLPAY_DATA_DIR to the real data folder (e.g. ../shared/data)")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    value = pin_data_dir()  # absolute: tests hand it to processes running in other folders
    if not value:
        _missing_data("MLPAY_DATA_DIR is not set")
    path = Path(value)  # type: ignore[arg-type]
    if not path.is_dir():
        _missing_data(f"MLPAY_DATA_DIR={value} is not a folder")
    return path


@pytest.fixture(scope="session")
def data_file(data_dir: Path):
    """A function: data_file("aijobs/salaries.csv") -> Path, failing/skipping if absent."""

    def find(relative: str) -> Path:
        path = data_dir / relative
        if not path.is_file():
            _missing_data(f"{path} is missing")
        return path

    return find


# --- fixtures shared by a unit file and its integration half ---------------------------------


@pytest.fixture(scope="module")
def pooled() -> str:
    """The shipped default: a pooled model of aijobs, kaggle and stackoverflow."""
    from mlpay_model.model import load_model

    if not (REPO_ROOT / "models" / "pooled" / "manifest.json").is_file():
        pytest.skip("the shipped models/pooled is missing")
    model = load_model("default")
    assert model.uses("source") and len(model.populations) == 3
    return "default"


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Steps 1 and 2 of docs/data.md: the adapter module, imported, registers the source."""
    from toy_source import ADAPTER, TOY, TOY_MODULE, write_toy_csv

    from mlpay_model.data.sources.registry import unregister_source

    folder = tmp_path_factory.mktemp("plugin")
    (folder / f"{TOY_MODULE}.py").write_text(ADAPTER, encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module(TOY_MODULE)
        yield {"folder": folder, "csv": write_toy_csv(folder / "toy.csv")}
    finally:
        unregister_source(TOY)
        sys.modules.pop(TOY_MODULE, None)
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The tiny pooled and aijobs-like artifacts of artifact_factory, loaded."""
    from artifact_factory import build_models_dir

    from mlpay_model.model import load_model

    root = build_models_dir(tmp_path_factory.mktemp("models"))
    return [load_model(root / "tiny"), load_model(root / "tiny_aijobs")]


@pytest.fixture(scope="module")
def tiny_report(tiny_models: list[Any]) -> tuple[list[Any], str]:
    """The report's analyses of the tiny models on inline reference rows, and its HTML."""
    pytest.importorskip("matplotlib")
    from report_support import FAST, tiny_reference

    from training.report import answer, check_claims, render_report
    from training.report.analysis import analyse

    reference = tiny_reference()
    analyses = [analyse(model, reference, FAST) for model in tiny_models]
    document = render_report(analyses, answer(analyses), check_claims(analyses), FAST)
    return analyses, document
