"""The command-line door: inputs that used to end in a traceback give one line and exit 2."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlpay_model import cli

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "aijobs.yaml"


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


def _argv(*argv: str):
    def make(folder: Path) -> list[str]:
        return [part.replace("{tmp}", str(folder)) for part in argv]

    return make


def _train_over_an_existing_model(folder: Path) -> list[str]:
    (folder / "out" / "aijobs").mkdir(parents=True)
    (folder / "out" / "aijobs" / "manifest.json").write_text("{}")
    return ["train", "--config", str(CONFIG), "--output-dir", str(folder / "out")]


def _train_over_the_shipped_model(folder: Path) -> list[str]:
    return ["train", "--config", str(CONFIG), "--output-dir", str(CONFIG.parent.parent / "models")]


def _train_sqlite_in_a_file(folder: Path) -> list[str]:
    (folder / "afile").write_text("x")
    uri = f"sqlite:///{folder}/afile/mlflow.db"
    return [
        "train",
        "--config",
        str(CONFIG),
        "--output-dir",
        str(folder / "o"),
        "--tracking-uri",
        uri,
    ]


def _score_input(name: str, text: str, *extra: str):
    def make(folder: Path) -> list[str]:
        (folder / name).write_text(text)
        return ["score", str(folder / name), "-o", str(folder / "out.csv"), *extra]

    return make


PREDICT = ("predict", "--role", "ML Engineer", "--country", "DE")
WHATIF = ("whatif", "--role", "ML Engineer", "--country", "DE")

# (id, argv maker, words the one line holds)
CASES = [
    ("predict-years-empty", _argv(*PREDICT, "--years", ""), "--years='': is empty"),
    ("predict-years-blank", _argv(*PREDICT, "--years", "  "), "--years='  ': is empty"),
    ("predict-years-inf", _argv(*PREDICT, "--years", "inf"), "years_experience='inf'"),
    ("predict-years-nan-text", _argv(*PREDICT, "--years", "nan"), "years_experience='nan'"),
    ("predict-years-word", _argv(*PREDICT, "--years", "five"), "not a number"),
    ("predict-skills-commas", _argv(*PREDICT, "--skills", ",,,"), "holds no skill names"),
    ("predict-skills-semicolons", _argv(*PREDICT, "--skills", " ; ; "), "holds no skill names"),
    ("predict-skills-empty", _argv(*PREDICT, "--skills", ""), "--skills='': is empty"),
    ("predict-education-empty", _argv(*PREDICT, "--education", ""), "--education='': is empty"),
    ("predict-seniority-empty", _argv(*PREDICT, "--seniority", ""), "--seniority='': is empty"),
    ("predict-remote-empty", _argv(*PREDICT, "--remote-ratio", ""), "--remote-ratio='': is empty"),
    ("predict-year-empty", _argv(*PREDICT, "--year", ""), "--year='': is empty"),
    (
        "predict-role-empty",
        _argv("predict", "--role", "", "--country", "DE"),
        "--role='': is empty",
    ),
    (
        "predict-country-empty",
        _argv("predict", "--role", "x", "--country", ""),
        "--country='': is empty",
    ),
    (
        "predict-bare-city",
        _argv("predict", "--role", "x", "--country", "Berlin"),
        "is a city, and mlpay prices countries: give its country, e.g. 'Berlin, Germany'",
    ),
    ("predict-unknown-model", _argv(*PREDICT, "--model", "nope"), "nope"),
    ("whatif-add-skill-empty", _argv(*WHATIF, "--add-skill", ""), "--add-skill='': is empty"),
    ("whatif-add-skill-commas", _argv(*WHATIF, "--add-skill", ",,"), "holds no skill names"),
    ("whatif-add-skill-emoji", _argv(*WHATIF, "--add-skill", "🚀"), "changes nothing"),
    ("whatif-role-to-same", _argv(*WHATIF, "--role-to", "ML Engineer"), "changes nothing"),
    (
        "whatif-role-to-same-family",
        _argv(*WHATIF, "--role-to", "Machine Learning Engineer"),
        "changes nothing",
    ),
    ("whatif-country-to-same", _argv(*WHATIF, "--country-to", "Germany"), "changes nothing"),
    ("whatif-years-to-empty", _argv(*WHATIF, "--years-to", ""), "--years-to='': is empty"),
    ("whatif-education-to-empty", _argv(*WHATIF, "--education-to", " "), "is empty"),
    (
        "report-missing-parent",
        _argv("report", "-o", "{tmp}/missing/dir/r.html", "--models", "aijobs"),
        "does not exist",
    ),
    (
        "report-output-is-folder",
        _argv("report", "-o", "{tmp}", "--models", "aijobs"),
        "is a folder",
    ),
    ("train-over-an-existing-model", _train_over_an_existing_model, "already holds a model"),
    ("train-over-the-shipped-model", _train_over_the_shipped_model, "--overwrite"),
    (
        "train-sqlite-missing-folder",
        _argv(
            "train",
            "--config",
            str(CONFIG),
            "--output-dir",
            "{tmp}/o",
            "--tracking-uri",
            "sqlite:///{tmp}/missing/mlflow.db",
        ),
        "does not exist; create it first",
    ),
    ("train-sqlite-in-a-file", _train_sqlite_in_a_file, "is not a folder"),
    (
        "train-sqlite-is-a-folder",
        _argv(
            "train",
            "--config",
            str(CONFIG),
            "--output-dir",
            "{tmp}/o",
            "--tracking-uri",
            "sqlite:///{tmp}",
        ),
        "is a folder, not a database",
    ),
    (
        "train-file-store",
        _argv(
            "train",
            "--config",
            str(CONFIG),
            "--output-dir",
            "{tmp}/o",
            "--tracking-uri",
            "{tmp}/mlruns",
        ),
        "file store",
    ),
    ("train-config-missing", _argv("train", "--config", "{tmp}/nope.yaml"), "nope.yaml"),
    (
        "score-input-missing",
        _argv("score", "{tmp}/nope.csv", "-o", "{tmp}/out.csv"),
        "no such file",
    ),
    (
        "score-input-type",
        _score_input("in.txt", "role,country\n"),
        "unsupported input file type '.txt'",
    ),
    ("score-output-type", _argv("score", str(CONFIG), "-o", "{tmp}/out.json"), "unsupported"),
    ("score-empty-file", _score_input("in.csv", ""), "the file is empty"),
    (
        "score-no-role-column",
        _score_input("in.csv", "title,country\nx,US\n"),
        "missing column(s) role",
    ),
    (
        "score-repeated-column",
        _score_input("in.csv", "role,role,country\nx,y,US\n"),
        "more than once",
    ),
    ("score-bad-gzip", _score_input("in.csv.gz", "role,country\nx,US\n"), "cannot be read as CSV"),
    (
        "score-chunk-size-zero",
        _score_input("in.csv", "role,country\nx,US\n", "--chunk-size", "0"),
        "--chunk-size: 0 must be",
    ),
    (
        "score-output-is-input",
        _argv("score", "{tmp}/in.csv", "-o", "{tmp}/in.csv"),
        "the output is the input",
    ),
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
    try:
        status = cli.main(argv)
    except SystemExit as stop:  # argparse's own usage errors (one line too)
        status = stop.code
    err = capfd.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith(f"mlpay {argv[0]}: error: "), err
    assert words in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "missing").exists()  # a missing folder is never created


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
