"""The batch-file door: odd but valid files are read and every row is accounted for (scored,
or rejected with its row number and a one-line reason); missing values are scored as unknown
and counted in the summary; ±inf is refused; nothing is traceback.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlpay_model import cli
from mlpay_model.errors import MESSAGE_VALUE_LIMIT
from mlpay_model.normalise import normalise_frame

HEADER = ["role", "country", "years_experience", "skills"]
GOOD = ["ml_engineer", "US", "3", "python"]


def _csv(rows, *, name="in.csv", opener=open):
    def make(folder: Path) -> Path:
        path = folder / name
        with opener(path, "wt", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([HEADER, *rows])
        return path

    return make


def _parquet(years):
    def make(folder: Path) -> Path:
        path = folder / "in.parquet"
        rows = len(years)
        table = pa.table(
            {
                "role": ["ml_engineer"] * rows,
                "country": ["US"] * rows,
                "years_experience": pa.array(years, pa.float64()),
            }
        )
        pq.write_table(table, path)
        return path

    return make


def _folder_with_gzip(folder: Path) -> Path:
    parts = folder / "parts"
    parts.mkdir()
    _csv([GOOD], name="a.csv")(parts)
    _csv([GOOD, GOOD], name="b.csv.gz", opener=gzip.open)(parts)
    return parts


BIG = "x" * 5_000_000
# (id, input maker, rows scored, rows rejected, words in the summary, words in the rejects)
CASES = [
    ("one-5MB-cell", _csv([GOOD, ["ml_engineer", "US", "3", BIG], GOOD]), 3, 0, "", ""),
    ("5MB-cell-first-row", _csv([["ml_engineer", "US", "3", BIG]]), 1, 0, "", ""),
    ("csv-gz", _csv([GOOD, GOOD], name="in.csv.gz", opener=gzip.open), 2, 0, "", ""),
    ("csv-bz2", _csv([GOOD], name="in.csv.bz2", opener=bz2.open), 1, 0, "", ""),
    ("folder-with-a-gz-part", _folder_with_gzip, 3, 0, "", ""),
    # a NaN is refused as the CSV reader refuses 'nan' (only a null means "unknown")
    ("parquet-nan-years", _parquet([3.0, math.nan]), 1, 1, "rejected 1", "finite number"),
    ("parquet-null-years", _parquet([None, None]), 2, 0, "years_experience 2", ""),
    ("parquet-inf-years", _parquet([3.0, math.inf]), 1, 1, "rejected 1", '2,"years_experience=inf'),
    ("parquet-minus-inf-years", _parquet([-math.inf]), 0, 1, "", '1,"years_experience=-inf'),
    (
        "csv-empty-years",
        _csv([GOOD, ["ml_engineer", "US", "", "python"]]),
        2,
        0,
        "years_experience 1",
        "",
    ),
    (
        "csv-inf-years",
        _csv([["ml_engineer", "US", "inf", ""]]),
        0,
        1,
        "",
        "must be a finite number",
    ),
    (
        "csv-nan-years-text",
        _csv([["ml_engineer", "US", "nan", ""]]),
        0,
        1,
        "",
        "years_experience='nan'",
    ),
    ("csv-skills-plus", _csv([["ml_engineer", "US", "3", "Python + PyTorch"]]), 1, 0, "", ""),
    ("csv-skills-emoji", _csv([["ml_engineer", "US", "3", "🚀;python"]]), 1, 0, "", ""),
    ("csv-city-country", _csv([["ml_engineer", "Berlin, Germany", "3", ""]]), 1, 0, "", ""),
    ("csv-bare-city", _csv([["ml_engineer", "Berlin", "3", ""]]), 0, 1, "", "is a city"),
    ("csv-1MB-country-cut", _csv([["ml_engineer", "y" * 1_000_000, "", ""]]), 0, 1, "", "…"),
    (
        "csv-quoted-newline-in-a-cell",
        _csv([["ml_engineer", "US", "3", "python\nsql"]]),
        1,
        0,
        "",
        "",
    ),
]


@pytest.mark.parametrize(
    ("make", "scored", "rejected", "summary", "reject_words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_every_row_is_scored_or_rejected_with_a_reason(
    tmp_path, capfd, make, scored, rejected, summary, reject_words
):
    source = make(tmp_path)
    output = tmp_path / "out.csv"
    status = cli.main(["score", str(source), "-o", str(output), "--model", "stackoverflow"])
    out, err = capfd.readouterr()
    assert status == (1 if rejected else 0), err
    assert "Traceback" not in err
    assert out.startswith(
        f"rows read {scored + rejected:,}, scored {scored:,}, rejected {rejected:,}"
    )
    assert summary in out
    assert len(pd.read_csv(output, dtype=str, keep_default_na=False)) == scored
    rejects = tmp_path / "out.rejects.csv"
    text = rejects.read_text(encoding="utf-8")
    assert len(pd.read_csv(rejects, dtype=str)) == rejected
    assert reject_words in text
    if rejected:
        reasons = pd.read_csv(rejects, dtype=str)["reason"]
        assert reasons.str.len().max() < MESSAGE_VALUE_LIMIT + 200  # quoted values are cut


def test_the_5MB_cell_is_carried_through_unchanged(tmp_path, capfd):
    source = _csv([GOOD, ["ml_engineer", "US", "3", BIG]])(tmp_path)
    frame = pd.read_csv(source, dtype=str)
    frame["note"] = BIG
    frame.to_csv(source, index=False)
    output = tmp_path / "out.parquet"
    assert cli.main(["score", str(source), "-o", str(output), "--chunk-size", "1"]) == 0
    scored = pd.read_parquet(output)
    assert scored["note"].tolist() == [BIG, BIG]
    assert scored["skills"].tolist() == ["python", BIG]


# (id, skills text, canonical skills) - the file path and predict_salary split alike
SKILLS = [
    ("plus-spaced", "Python + PyTorch", ("python", "pytorch")),
    ("slash-spaced", "SQL / Spark", ("spark", "sql")),
    ("cpp", "C++", ("cpp",)),
    ("cpp-then-plus", "C++ + Python", ("cpp", "python")),
    ("csharp-semicolon", "C#;Go", ("csharp", "go")),
    ("bash-shell", "Bash/Shell", ("bash",)),
    ("emoji-dropped", "🚀;python", ("python",)),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SKILLS], ids=[c[0] for c in SKILLS])
def test_skills_text_in_a_file_splits_like_predict_salary(text, expected):
    from mlpay_model.normalise import normalise_profile

    frame = pd.DataFrame({"role": ["ml_engineer"], "country": ["US"], "skills": [text]})
    assert normalise_frame(frame).profiles["skills"].iloc[0] == expected
    assert normalise_profile("ml_engineer", "US", skills=text).record["skills"] == expected
