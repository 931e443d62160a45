"""MLPAY_DATA_DIR: a relative value means relative to the folder the user ran the command in,
wherever mlpay (or the tests) later hand it on: another folder, a subprocess, a worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlpay_model.cli import main
from mlpay_model.data.datadir import data_dir, expand_data_path
from mlpay_model.errors import DataError

# Run in a fresh interpreter started in folder A with MLPAY_DATA_DIR relative to A: it reads the
# variable there, as `mlpay` or pytest would, then starts a process in folder B (argv[1]) that
# inherits the environment and prints the data folder it finds.
HAND_ON = """
import subprocess, sys
from mlpay_model.data.datadir import data_dir
data_dir()
child = "from mlpay_model.data.datadir import data_dir; print(data_dir())"
sys.exit(subprocess.run([sys.executable, "-c", child], cwd=sys.argv[1]).returncode)
"""


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(where the user is, with data/ in it; another folder), a relative MLPAY_DATA_DIR set."""
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    (here / "data" / "aijobs").mkdir(parents=True)
    elsewhere.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("MLPAY_DATA_DIR", "data")
    return here, elsewhere


def test_a_relative_data_dir_is_the_folder_beside_where_it_was_first_read(folders, monkeypatch):
    here, elsewhere = folders
    assert data_dir() == here / "data"
    assert os.environ["MLPAY_DATA_DIR"] == str(here / "data")  # pinned for what comes after
    monkeypatch.chdir(elsewhere)
    assert data_dir() == here / "data"
    assert expand_data_path("${MLPAY_DATA_DIR}/aijobs") == here / "data" / "aijobs"


def test_a_relative_data_dir_handed_to_a_process_in_another_folder_still_works(folders):
    here, elsewhere = folders
    done = subprocess.run(
        [sys.executable, "-c", HAND_ON, str(elsewhere)],
        cwd=here,
        env={**os.environ, "MLPAY_DATA_DIR": "data"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(here / "data")


def test_the_mlpay_command_pins_a_relative_data_dir_before_anything_else(folders):
    here, _ = folders
    with pytest.raises(SystemExit):  # --version exits once it has printed
        main(["--version"])
    assert os.environ["MLPAY_DATA_DIR"] == str(here / "data")


def test_an_absolute_or_home_data_dir_is_left_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert os.environ["MLPAY_DATA_DIR"] == str(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path.parent))
    monkeypatch.setenv("MLPAY_DATA_DIR", f"~/{tmp_path.name}")
    assert data_dir() == tmp_path


def test_a_missing_relative_data_dir_names_what_was_given_and_where_that_is(folders):
    here, _ = folders
    os.environ["MLPAY_DATA_DIR"] = "nowhere"  # monkeypatch (fixture) restores it
    with pytest.raises(DataError) as error:
        data_dir()
    where = here / "nowhere"
    assert str(error.value) == f"MLPAY_DATA_DIR=nowhere (that is {where}): no such folder"
