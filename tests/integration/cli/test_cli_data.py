from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpay_model.cli import main

HEADER = (
    "work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    "salary_in_usd,employee_residence,remote_ratio,company_location,company_size"
)


@pytest.fixture
def aijobs_file(tmp_path: Path) -> Path:
    rows = [
        "2024,SE,FT,Data Scientist,150000,USD,150000,US,0,US,M",
        "2024,SE,FT,Data Scientist,150000,USD,150000,US,0,US,M",
        "2024,MI,PT,Data Engineer,40000,USD,40000,US,100,US,S",
    ]
    path = tmp_path / "salaries.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_text_report(aijobs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["data", "summary", "--source", "aijobs", "--path", str(aijobs_file)])
    out = capsys.readouterr().out
    assert code == 0
    assert "rows read: 3" in out
    assert "rows kept: 2" in out
    assert "employment_type" in out  # the part-time row's rule


def test_json_report(aijobs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["data", "summary", "--source", "aijobs", "--path", str(aijobs_file), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["rows_read"] == 3
    assert report["rows_kept"] == 2
    assert report["dropped"]["employment_type"] == 1
    assert report["flagged"]["exact_duplicate"] == 1


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--source", "glassdoor", "--path", "x.csv"], "unknown source 'glassdoor'"),
        (["--source", "aijobs", "--path", "{missing}"], "no such file"),
        (["--source", "kaggle", "--path", "{aijobs}"], "select the title most similar"),
        (["--source", "csv", "--path", "{aijobs}"], "needs --mapping"),
        (["--source", "aijobs", "--path", "{aijobs}", "--mapping", "m.yaml"], "csv source only"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path,
    aijobs_file: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    expected: str,
) -> None:
    filled = [a.format(missing=tmp_path / "nothing.csv", aijobs=aijobs_file) for a in arguments]
    code = main(["data", "summary", *filled])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert expected in lines[0]
    assert "Traceback" not in captured.err


def test_real_aijobs_summary(data_file, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_file("aijobs/salaries.csv")
    assert main(["data", "summary", "--source", "aijobs", "--path", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_read"] == 47_522
    assert report["rows_kept"] + sum(report["dropped"].values()) == 47_522
    assert report["coverage"]["year"] == 1.0
    assert report["country_iso_share"] == 1.0  # residence is already ISO alpha-2


def test_real_kaggle_summary(data_file, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_file("kaggle/kaggle-survey-2019.zip")
    assert main(["data", "summary", "--source", "kaggle", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows read: 19,717" in out
    assert "implausible_pay" in out
