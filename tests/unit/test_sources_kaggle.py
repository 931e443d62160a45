from __future__ import annotations

import csv
import math
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from mlpay_model.data.sources import _io, kaggle, load_profiles
from mlpay_model.errors import DataError

# (code, question text): codes deliberately unlike any real year, so only the texts can match.
QUESTIONS = [
    ("Z1", "What is your age (# years)?"),
    ("Z2", "What is your gender? - Selected Choice"),
    ("Z9", "In which country do you currently reside?"),
    (
        "Z3",
        "Select the title most similar to your current role (or most recent title if retired):"
        " - Selected Choice",
    ),
    (
        "Z3_OTHER_TEXT",
        "Select the title most similar to your current role (or most recent title if retired):"
        " - Other - Text",
    ),
    (
        "Z4",
        "What is the highest level of formal education that you have attained or plan to attain"
        " within the next 2 years?",
    ),
    ("Z5", "For how many years have you been writing code and/or programming?"),
    ("Z6", "What is the size of the company where you are employed?"),
    ("Z7", "What is your current yearly compensation (approximate $USD)?"),
    (
        "Z8_Part_1",
        "What programming languages do you use on a regular basis? (Select all that apply)"
        " - Selected Choice - Python",
    ),
    (
        "Z8_Part_2",
        "What programming languages do you use on a regular basis? (Select all that apply)"
        " - Selected Choice - None",
    ),
    (
        "Z8_OTHER",
        "What programming languages do you use on a regular basis? (Select all that apply)"
        " - Selected Choice - Other",
    ),
    (
        "Z10_Part_1",
        "Which of the following machine learning frameworks do you use on a regular basis?"
        " (Select all that apply) - Selected Choice -   Scikit-learn ",
    ),
    (
        "Z11_A_Part_1",
        "Which of the following cloud computing platforms do you use on a regular basis?"
        " (Select all that apply) - Selected Choice -  Amazon Web Services (AWS) ",
    ),
    (
        "Z11_B_Part_1",
        "Which of the following cloud computing platforms do you hope to become more familiar"
        " with in the next 2 years? - Selected Choice -  Microsoft Azure ",
    ),
]
CODES = [code for code, _ in QUESTIONS]
ANSWERS = [
    {
        "Z1": "30-34",
        "Z2": "Man",
        "Z9": "United States of America",
        "Z3": "Machine Learning Engineer",
        "Z4": "Master’s degree",
        "Z5": "3-5 years",
        "Z6": "0-49 employees",
        "Z7": "100,000-124,999",
        "Z8_Part_1": "Python",
        "Z8_OTHER": "Other",
        "Z10_Part_1": "  Scikit-learn ",
        "Z11_A_Part_1": " Amazon Web Services (AWS) ",
        "Z11_B_Part_1": " Microsoft Azure ",
    },
    {
        "Z1": "18-21",
        "Z2": "Woman",
        "Z9": "India",
        "Z3": "Student",
        "Z4": "Bachelor’s degree",
        "Z5": "< 1 years",
        "Z8_Part_2": "None",
    },
    {"Z9": "Other", "Z3": "Currently not employed", "Z7": "$0-999"},
    {
        "Z9": "Germany",
        "Z3": "Data Scientist",
        "Z6": "10,000 or more employees",
        "Z7": ">$1,000,000",
        "Z8_Part_1": "Python",
    },
    {},
]


def write_survey(path: Path, questions=QUESTIONS, answers=ANSWERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([code for code, _ in questions])
        writer.writerow([text for _, text in questions])
        for answer in answers:
            writer.writerow([answer.get(code, "") for code, _ in questions])
    return path


def write_zip(path: Path, members: dict[str, Path | str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            if isinstance(content, Path):
                archive.write(content, name)
            else:
                archive.writestr(name, content)
    return path


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    return write_survey(tmp_path / "kaggle_survey_2022_responses.csv")


def test_every_respondent_kept_after_the_question_text_row(survey: Path) -> None:
    profiles = kaggle.load(survey)
    assert len(profiles) == len(ANSWERS)
    assert profiles["row_number"].tolist() == [1, 2, 3, 4, 5]
    assert set(profiles["source"]) == {"kaggle"}
    assert profiles["role_raw"].tolist()[:4] == [
        "Machine Learning Engineer",
        "Student",
        "Currently not employed",
        "Data Scientist",
    ]
    assert profiles["country_raw"].tolist()[:4] == [
        "United States of America",
        "India",
        "Other",
        "Germany",
    ]


def test_pay_band_edges_and_no_exact_pay(survey: Path) -> None:
    profiles = kaggle.load(survey)
    assert profiles["salary_usd"].isna().all()
    low = profiles["salary_usd_low"].tolist()
    high = profiles["salary_usd_high"].tolist()
    assert (low[0], high[0]) == (100_000.0, 124_999.0)
    assert (low[2], high[2]) == (0.0, 999.0)
    assert (low[3], high[3]) == (1_000_000.0, 2_000_000.0)
    assert math.isnan(low[1]) and math.isnan(high[4])


@pytest.mark.parametrize(
    ("answer", "edges"),
    [
        ("$0-999", (0.0, 999.0)),
        ("10,000-14,999", (10_000.0, 14_999.0)),
        ("300,000-500,000", (300_000.0, 500_000.0)),
        ("$500,000-999,999", (500_000.0, 999_999.0)),
        ("> $500,000", (500_000.0, 1_000_000.0)),
        (">$1,000,000", (1_000_000.0, 2_000_000.0)),
        ("500,000+", (500_000.0, 1_000_000.0)),
    ],
)
def test_pay_band_parses_every_band_format(answer: str, edges: tuple[float, float]) -> None:
    assert kaggle.pay_band(answer) == edges


@pytest.mark.parametrize("answer", [None, "", "I do not wish to disclose my approximate pay"])
def test_pay_band_is_missing_for_non_bands(answer: object) -> None:
    assert all(math.isnan(edge) for edge in kaggle.pay_band(answer))


def test_employment_status_comes_from_the_title(survey: Path) -> None:
    profiles = kaggle.load(survey)
    assert profiles["employment_status"].tolist() == [
        "employed",
        "student",
        "not_employed",
        "employed",
        "unknown",
    ]
    assert kaggle.employment_status_from_title("Not employed") == "not_employed"


def test_factors_found_by_question_text(survey: Path) -> None:
    profiles = kaggle.load(survey)
    first = profiles.iloc[0]
    assert first["role"] == "ml_engineer"
    assert first["country"] == "US"
    assert first["education"] == "master"
    assert 3 <= first["years_experience"] <= 5
    assert first["company_size"] == "small"
    assert profiles["country"].tolist()[2] is None  # "Other" is not a country


def test_skills_are_the_selected_options_without_none_other_or_wishes(survey: Path) -> None:
    profiles = kaggle.load(survey)
    # Azure is only in the "hope to become familiar" question: a wish, not a skill.
    assert profiles["skills"].tolist() == [
        ("aws", "python", "scikit-learn"),
        (),
        (),
        ("python",),
        (),
    ]


def test_gender_and_age_columns_are_never_read(
    survey: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested: list[list[str]] = []
    real_read_table = _io.read_table

    def spy(*args, **kwargs):
        requested.append(list(kwargs["columns"]))
        return real_read_table(*args, **kwargs)

    monkeypatch.setattr(kaggle, "read_table", spy)
    kaggle.load(survey)
    assert requested and not {"Z1", "Z2"} & set(requested[0])


@pytest.mark.parametrize(
    ("name", "year"),
    [
        ("kaggle-survey-2019.csv", 2019),
        ("kaggle_survey_2022_responses.csv", 2022),
        ("responses.csv", None),
    ],
)
def test_year_from_the_file_name(tmp_path: Path, name: str, year: int | None) -> None:
    profiles = kaggle.load(write_survey(tmp_path / name))
    expected = [year] * len(ANSWERS) if year else [pd.NA] * len(ANSWERS)
    assert profiles["year"].tolist() == expected


def test_zip_picks_the_responses_csv_and_takes_the_year_from_it(tmp_path: Path) -> None:
    survey = write_survey(tmp_path / "plain.csv")
    archive = write_zip(
        tmp_path / "download.zip",
        {
            "kaggle_survey_2020_responses.csv": survey,
            "other_text_responses.csv": "Q1\nWhat?\nx\n",
            "survey_schema.csv": "a,b\n1,2\n",
        },
    )
    profiles = kaggle.load(archive)
    assert len(profiles) == len(ANSWERS)
    assert set(profiles["year"]) == {2020}


def test_zip_with_no_clear_responses_csv_is_refused(tmp_path: Path) -> None:
    survey = write_survey(tmp_path / "plain.csv")
    archive = write_zip(tmp_path / "kaggle-survey-2019.zip", {"a.csv": survey, "b.csv": survey})
    with pytest.raises(DataError, match=r"a\.csv, b\.csv; expected one survey responses CSV"):
        kaggle.load(archive)


def test_missing_title_question_names_the_expected_text(tmp_path: Path) -> None:
    questions = [q for q in QUESTIONS if not q[0].startswith("Z3")]
    path = write_survey(tmp_path / "survey.csv", questions)
    with pytest.raises(DataError) as error:
        kaggle.load(path)
    message = str(error.value)
    assert str(path) in message
    assert "select the title most similar to your current role" in message
    assert "\n" not in message


def test_optional_questions_may_be_absent(tmp_path: Path) -> None:
    questions = [q for q in QUESTIONS if q[0] in {"Z3", "Z9", "Z7"}]
    profiles = kaggle.load(write_survey(tmp_path / "survey.csv", questions))
    assert len(profiles) == len(ANSWERS)
    assert profiles["education"].isna().all()
    assert profiles["company_size"].isna().all()
    assert all(skills == () for skills in profiles["skills"])


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.zip", "no such file"),
        (lambda d: _touch(d / "empty.csv", b""), "empty"),
        (lambda d: _touch(d / "broken.zip", b"PK\x03\x04garbage"), "not a readable zip"),
        (lambda d: _touch(d / "one_row.csv", b"Q1,Q2\n"), "expected two header rows"),
        (lambda d: _touch(d / "aijobs.csv", b"work_year,job_title\n2024,x\n"), "title"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, make, expected: str) -> None:
    path = make(tmp_path)
    with pytest.raises(DataError) as error:
        load_profiles("kaggle", path)
    assert expected in str(error.value)
    assert str(path) in str(error.value)


def _touch(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
