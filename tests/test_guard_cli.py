"""The command-line door: inputs that used to end in a traceback give one line and exit 2."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlpay_model import cli

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "aijobs.yaml"


def _parquet_skills(kind: str):
    def make(folder: Path) -> list[str]:
        values = {
            "struct": [{"a": 1}],
            "list-of-struct": [[{"a": 1}]],
            "map": pa.array([[("a", 1)]], pa.map_(pa.string(), pa.int64())),
            "list-of-int": [[1, 2]],
        }[kind]
        table = pa.table({"role": ["ml_engineer"], "country": ["US"], "skills": values})
        pq.write_table(table, folder / "in.parquet")
        return ["score", str(folder / "in.parquet"), "-o", str(folder / "out.csv")]

    return make


def _parquet_role(folder: Path) -> list[str]:
    table = pa.table({"role": [{"title": "x"}], "country": ["US"]})
    pq.write_table(table, folder / "in.parquet")
    return ["score", str(folder / "in.parquet"), "-o", str(folder / "out.csv")]


def _small_csv(folder: Path) -> Path:
    path = folder / "in.csv"
    path.write_text("role,country\nml_engineer,US\n")
    return path


def _output_folder_missing(folder: Path) -> list[str]:
    return ["score", str(_small_csv(folder)), "-o", str(folder / "missing" / "out.csv")]


def _train_output_is_a_file(folder: Path) -> list[str]:
    (folder / "afile").write_text("x")
    return ["train", "--config", str(CONFIG), "--output-dir", str(folder / "afile")]


def _train_model_folder_is_a_file(folder: Path) -> list[str]:
    (folder / "out").mkdir()
    (folder / "out" / "aijobs").write_text("x")
    return ["train", "--config", str(CONFIG), "--output-dir", str(folder / "out")]


# (id, argv maker, words the one line holds)
CASES = [
    ("skills-struct", _parquet_skills("struct"), "column 'skills' has the type struct"),
    ("skills-list-of-struct", _parquet_skills("list-of-struct"), "list of text"),
    ("skills-map", _parquet_skills("map"), "column 'skills' has the type map"),
    ("skills-list-of-int", _parquet_skills("list-of-int"), "list of text"),
    ("role-struct", _parquet_role, "column 'role' has the type struct"),
    ("output-folder-missing", _output_folder_missing, "does not exist"),
    ("train-output-file", _train_output_is_a_file, "is a file, not a folder"),
    ("train-model-folder-file", _train_model_folder_is_a_file, "is a file, not a folder"),
]


@pytest.mark.parametrize(("make", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_input_is_one_line_and_exit_2(tmp_path, capfd, monkeypatch, make, words):
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tmp_path / "no-data"))  # train must stop first
    argv = make(tmp_path)
    status = cli.main(argv)
    err = capfd.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith(f"mlpay {argv[0]}: error: "), err
    assert words in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (PermissionError(13, "Permission denied"), "Permission denied"),  # read-only folder
        (FileNotFoundError(2, "No such file or directory"), "No such file"),
        (OSError(28, "No space left on device"), "No space left"),
    ],
    ids=["read-only", "vanished", "full"],
)
def test_an_output_whose_temporary_cannot_be_created_is_one_line(
    tmp_path, capfd, monkeypatch, error, words
):
    """Root ignores permissions (as in CI containers), so the failing mkstemp is simulated."""

    def refuse(*args, **kwargs):
        raise error

    source = _small_csv(tmp_path)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    status = cli.main(["score", str(source), "-o", str(tmp_path / "out.csv")])
    err = capfd.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "cannot create a file in" in err and words in err
