from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from mlpay_model.data.sources import aijobs, load_profiles
from mlpay_model.errors import DataError
from mlpay_model.schema import PROFILE_COLUMNS

HEADER = (
    "work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    "salary_in_usd,employee_residence,remote_ratio,company_location,company_size"
)
ROWS = [
    "2024,EN,FT,Machine Learning Engineer,129600,USD,129600,US,0,US,M",
    "2024,EN,FT,Machine Learning Engineer,129600,USD,129600,US,0,US,M",
    "2023,SE,PT,Data Scientist,50000,EUR,54000,DE,100,US,S",
    "2022,MI,CT,Data Engineer,80000,GBP,98000,GB,50,GB,L",
    "2021,EX,FL,Data Analyst,30000,USD,30000,CA,100,CA,M",
]


def write_csv(tmp_path: Path, lines: list[str], name: str = "salaries.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path, [HEADER, *ROWS])


def test_every_row_kept_in_file_order_with_canonical_columns(small_file: Path) -> None:
    profiles = aijobs.load(small_file)
    assert list(profiles.columns) == list(PROFILE_COLUMNS)
    assert len(profiles) == len(ROWS)  # the duplicate first two rows are both kept
    assert profiles["row_number"].tolist() == [1, 2, 3, 4, 5]
    assert set(profiles["source"]) == {"aijobs"}
    assert profiles["role_raw"].tolist()[2] == "Data Scientist"
    assert profiles["country_raw"].tolist() == ["US", "US", "DE", "GB", "CA"]


def test_pay_is_the_exact_usd_amount_not_the_local_one(small_file: Path) -> None:
    profiles = aijobs.load(small_file)
    assert profiles["salary_usd"].tolist() == [129600.0, 129600.0, 54000.0, 98000.0, 30000.0]
    assert profiles["salary_usd_low"].isna().all()
    assert profiles["salary_usd_high"].isna().all()


def test_codes_become_canonical_context(small_file: Path) -> None:
    profiles = aijobs.load(small_file)
    assert profiles["employment_type"].tolist() == [
        "full_time",
        "full_time",
        "part_time",
        "contract",
        "freelance",
    ]
    assert profiles["employment_status"].tolist() == [
        "employed",
        "employed",
        "employed",
        "employed",
        "self_employed",
    ]
    assert profiles["company_size"].tolist() == ["medium", "medium", "small", "large", "medium"]
    assert profiles["remote_ratio"].tolist() == [0.0, 0.0, 100.0, 50.0, 100.0]
    assert profiles["year"].tolist() == [2024, 2024, 2023, 2022, 2021]


def test_factors_aijobs_lacks_stay_missing(small_file: Path) -> None:
    profiles = aijobs.load(small_file)
    assert profiles["years_experience"].isna().all()
    assert profiles["education"].isna().all()
    assert all(skills == () for skills in profiles["skills"])


def test_taxonomy_maps_title_residence_and_level(small_file: Path) -> None:
    profiles = aijobs.load(small_file)
    assert profiles["role"].tolist()[:4] == [
        "ml_engineer",
        "ml_engineer",
        "data_scientist",
        "data_engineer",
    ]
    # The country is where the person lives (row 3 lives in DE for a US company).
    assert profiles["country"].tolist() == ["US", "US", "DE", "GB", "CA"]
    assert profiles["seniority"].tolist() == ["entry", "entry", "senior", "mid", "executive"]


def test_reads_the_csv_inside_a_zip(tmp_path: Path, small_file: Path) -> None:
    archive = tmp_path / "aijobs.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(small_file, "salaries.csv")
    assert (
        aijobs.load(archive)["salary_usd"].tolist()
        == aijobs.load(small_file)["salary_usd"].tolist()
    )


def test_load_profiles_dispatches_to_aijobs(small_file: Path) -> None:
    assert len(load_profiles("aijobs", small_file)) == len(ROWS)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("", "empty"),
        (HEADER + "\n", "no data rows"),
        ("a,b\n1,2\n", "missing column(s) work_year"),
        (HEADER + "\n" + ROWS[0].replace("129600,US", "lots,US") + "\n", "row 1: salary_in_usd"),
    ],
)
def test_bad_files_give_one_line_errors_naming_the_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "salaries.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as error:
        aijobs.load(path)
    message = str(error.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_corrupt_zip_and_wrong_file_type(tmp_path: Path) -> None:
    corrupt = tmp_path / "salaries.zip"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="not a readable zip"):
        aijobs.load(corrupt)
    spreadsheet = tmp_path / "salaries.xlsx"
    spreadsheet.write_bytes(b"binary")
    with pytest.raises(DataError, match=r"unsupported file type '\.xlsx'"):
        aijobs.load(spreadsheet)
