"""Shared fixtures. Tests that need the real data use `data_dir` / `data_file`.

Without MLPAY_DATA_DIR they skip with a reason that says how to get the data; with
MLPAY_REQUIRE_DATA=1 (as in CI) they fail instead, so a missing data set is never a green run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlpay_model.data.datadir import pin_data_dir

# OpenMP threads that spin while waiting starve each other on a small shared machine (2 cores):
# LightGBM and scikit-learn fits ran 10-30x slower. Must be set before either is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# A relative MLPAY_DATA_DIR (the README's ../shared/data) is relative to where pytest was run:
# made absolute now, before any test starts a process (`mlpay`, a server) in another folder.
pin_data_dir()


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
