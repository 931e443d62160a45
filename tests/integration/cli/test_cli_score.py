"""`mlpay score`: exit codes, summary line and one-line errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from artifact_factory import build_artifact

from mlpay_model.cli import main

HEADER = ["role", "country", "years_experience"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full")


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def score(*args: str | Path) -> int:
    return main(["score", *(str(a) for a in args)])


def test_all_rows_scored_exits_0_with_a_summary(tmp_path: Path, model_dir: Path, capsys):
    source = write_csv(tmp_path / "in.csv", [["ML Engineer", "DE", "3"], ["Analyst", "US", ""]])
    assert score(source, "-o", tmp_path / "out.parquet", "--model", model_dir) == 0
    out = capsys.readouterr()
    assert out.out.startswith(
        "rows read 2, scored 2, rejected 0; "
        "scored with a missing value (as unknown): years_experience 1; "
        "priced as population: inline 2; output "
    )
    assert out.err == ""  # no progress bar when stderr is not a terminal
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 2


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_dropped_emoji_skills_are_counted_with_the_missing_values(
    tmp_path: Path, model_dir: Path, capsys, kind: str
):
    from mlpay_model.model import load_model

    assert load_model(model_dir).uses("skills")
    texts = ["python, \U0001f680", "\U0001f680", "", "python"]
    lists = [["python", "\U0001f680"], ["\U0001f680"], [], ["python"]]
    frame = pd.DataFrame(
        {
            "role": ["ML Engineer"] * 4,
            "country": ["DE"] * 4,
            "skills": texts if kind == "csv" else lists,
        }
    )
    source = tmp_path / f"in.{kind}"
    frame.to_csv(source, index=False) if kind == "csv" else frame.to_parquet(source)
    assert score(source, "-o", tmp_path / "out.csv", "--model", model_dir) == 0
    line = capsys.readouterr().out
    assert "scored with a missing value (as unknown): " in line
    assert "skills dropped (no letter or digit in them) 2" in line  # rows 0 and 1
    assert "skills 2" in line  # rows 1 and 2 are left without a skill


def test_the_frame_normaliser_names_the_rows_whose_skills_lost_an_emoji() -> None:
    from mlpay_model.normalise import normalise_frame

    frame = pd.DataFrame(
        {
            "role": ["ml_engineer"] * 3,
            "country": ["US", "US", "Atlantis"],
            "skills": ["sql;\u2728", "C++, Bash/Shell", "\u2728"],
        },
        index=[10, 11, 12],
    )
    normalised = normalise_frame(frame)
    assert list(normalised.skills_dropped) == [10, 12]  # rejected rows too; scoring keeps scored
    assert normalised.profiles.loc[10, "skills"] == ("sql",)


def test_rejected_rows_exit_1_and_go_to_the_rejects_file(tmp_path: Path, model_dir: Path, capsys):
    source = write_csv(
        tmp_path / "in.csv", [["ML Engineer", "Atlantis", "3"], ["Analyst", "US", ""]]
    )
    rejects = tmp_path / "bad.csv"
    code = score(source, "-o", tmp_path / "out.csv", "--model", model_dir, "--rejects", rejects)
    assert code == 1
    assert "rejected 1 (country 1)" in capsys.readouterr().out
    assert pd.read_csv(rejects)["reason"].tolist() == ["country='Atlantis': unknown country"]


def test_contributions_flag_adds_columns(tmp_path: Path, model_dir: Path):
    source = write_csv(tmp_path / "in.csv", [["ML Engineer", "DE", "3"]])
    score(source, "-o", tmp_path / "out.csv", "--model", model_dir, "--contributions")
    columns = pd.read_csv(tmp_path / "out.csv").columns
    assert {"contrib_baseline", "contrib_role", "contrib_location", "contrib_experience"} <= set(
        columns
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "-o", "out.csv"], "missing.csv: no such file"),
        (["in.csv", "-o", "in.csv"], "the output is the input"),
        (["in.csv", "-o", "out.csv", "--model", "nope"], "model 'nope'"),
        (["in.csv", "-o", "out.csv", "--scheduler", "tcp://x:1"], "needs --engine dask"),
        (["in.csv", "-o", "out", "--source", "aijobs", "--engine", "dask"], "--engine local"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    tmp_path: Path, model_dir: Path, monkeypatch, capsys, args: list[str], message: str
):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "in.csv", [["ML Engineer", "DE", "3"]])
    extra = [] if "--model" in args else ["--model", str(model_dir)]
    assert score(*args, *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlpay score: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["in.csv", "-o", "o.csv", "--source", "aijobs", "--mapping", "m.yaml"],
        ["in.csv", "-o", "o.csv", "--chunk-size", "0"],
        ["in.csv", "-o", "o.csv", "--engine", "spark"],
    ],
)
def test_invalid_options_are_usage_errors(args: list[str], capsys):
    with pytest.raises(SystemExit) as exit_info:
        score(*args)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("mlpay score: error: ")


def test_the_readme_example_scores_with_the_shipped_default_model(tmp_path: Path, capsys):
    example = Path(__file__).parents[3] / "examples" / "profiles.csv"
    if not (Path(__file__).parents[3] / "models" / "aijobs" / "manifest.json").is_file():
        pytest.skip("the shipped models/aijobs is missing")
    output = tmp_path / "scored.csv"
    assert score(example, "-o", output) == 1  # one row is rejected on purpose
    assert "rows read 5, scored 4, rejected 1" in capsys.readouterr().out
    scored = pd.read_csv(output)
    assert list(scored["name"]) == ["Ana", "Ben", "Chloe", "Dev"]
    assert (scored["pred_low"] <= scored["pred_median"]).all()
    assert (scored["pred_median"] <= scored["pred_high"]).all()
    rejects = pd.read_csv(tmp_path / "scored.rejects.csv")
    assert rejects[["row_number", "name"]].values.tolist() == [[5, "Eve"]]
    assert "Atlantis" in rejects.loc[0, "reason"]
