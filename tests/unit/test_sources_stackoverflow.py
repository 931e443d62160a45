"""Stack Overflow adapter: era detection, field rules and bad files (the real survey files:
tests/integration/data/test_sources_stackoverflow_real.py)."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from mlpay_model import schema
from mlpay_model.data.sources import load_profiles
from mlpay_model.data.sources.stackoverflow import (
    employment_of,
    load,
    split_answers,
    survey_year,
)
from mlpay_model.errors import DataError

# Three 2017 respondents as the survey publishes them: "NA" for unanswered questions.
SO_2017 = {
    "Respondent": ["1", "2", "3"],
    "Professional": ["Professional developer", "Student", "Professional developer"],
    "Country": ["United States", "Germany", "NA"],
    "EmploymentStatus": [
        "Employed full-time",
        "Employed part-time",
        "Independent contractor, freelancer, or self-employed",
    ],
    "FormalEducation": ["Master's degree", "Secondary school", "NA"],
    "HomeRemote": [
        "Never",
        "All or almost all the time (I'm full-time remote)",
        "It's complicated",
    ],
    "CompanySize": ["20 to 99 employees", "10,000 or more employees", "I don't know"],
    "YearsCodedJob": ["1 to 2 years", "NA", "20 or more years"],
    "DeveloperType": [
        "Web developer; Machine learning specialist",
        "NA",
        "Mobile developer",
    ],
    "HaveWorkedLanguage": ["Python; SQL", "NA", "Swift"],
    "HaveWorkedFramework": ["NA", "NA", "NA"],
    "HaveWorkedPlatform": ["Amazon Web Services (AWS)", "NA", "iOS"],
    "HaveWorkedDatabase": ["PostgreSQL; MySQL", "NA", "NA"],
    "Gender": ["Female", "Male", "NA"],
    "Salary": ["12e4", "NA", "64516.1290322581"],
}

# 2024 subset layout: no Employment, no skills columns; MainBranch says who is a professional.
SO_2024_SUBSET = {
    "ResponseId": ["1", "2", "3"],
    "MainBranch": [
        "I am a developer by profession",
        "I am not primarily a developer, but I write code sometimes as part of my work/studies",
        "I am learning to code",
    ],
    "Age": ["25-34 years old", "35-44 years old", "18-24 years old"],
    "RemoteWork": ["Remote", "Hybrid (some remote, some in-person)", "In-person"],
    "EdLevel": [
        "Bachelor’s degree (B.A., B.S., B.Eng., etc.)",
        "Master’s degree (M.A., M.S., M.Eng., MBA, etc.)",
        "NA",
    ],
    "YearsCode": ["10", "20", "2"],
    "YearsCodePro": ["8", "15", "Less than 1 year"],
    "DevType": ["Developer, full-stack", "Data engineer", "Developer, back-end"],
    "OrgSize": [
        "Just me - I am a freelancer, sole proprietor, etc.",
        "100 to 499 employees",
        "I don’t know",
    ],
    "Country": [
        "United Kingdom of Great Britain and Northern Ireland",
        "India",
        "Brazil",
    ],
    "WorkExp": ["9", "NA", "NA"],
    "Industry": ["Software Development", "Fintech", "NA"],
    "ConvertedCompYearly": ["85925", "32222", "12000"],
}

# 2025 layout: Employment and `;`-separated skills columns (no space after the `;`).
SO_2025 = {
    "ResponseId": ["1", "2"],
    "MainBranch": ["I am a developer by profession", "I am learning to code"],
    "Employment": ["Employed", "Student"],
    "DevType": ["AI/ML engineer", "Student"],
    "Country": ["Canada", "Poland"],
    "WorkExp": ["4", "NA"],
    "EdLevel": ["Master’s degree (M.A., M.S., M.Eng., MBA, etc.)", "NA"],
    "OrgSize": ["Less than 20 employees", "NA"],
    "RemoteWork": [
        "Your choice (very flexible, you can come in when you want or just as needed)",
        "NA",
    ],
    "LanguageHaveWorkedWith": ["Python;Bash/Shell (all shells)", "Java"],
    "DatabaseHaveWorkedWith": ["PostgreSQL", "NA"],
    "PlatformHaveWorkedWith": ["Amazon Web Services (AWS);Docker", "NA"],
    "WebframeHaveWorkedWith": ["FastAPI", "NA"],
    "ConvertedCompYearly": ["150000", "NA"],
}


def write_csv(folder: Path, name: str, columns: dict[str, list[str]]) -> Path:
    path = folder / name
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


def test_2017_respondents_become_canonical_profiles(tmp_path: Path) -> None:
    frame = load(write_csv(tmp_path, "so-2017-partial.csv", SO_2017))

    assert list(frame.columns) == list(schema.PROFILE_COLUMNS)
    assert frame["row_number"].tolist() == [1, 2, 3]
    assert set(frame["source"]) == {"stackoverflow"}
    assert frame["year"].tolist() == [2017, 2017, 2017]
    # Multi-select titles: the ML title outranks the generic web developer one.
    assert frame["role"].tolist() == ["ml_engineer", "other", "mobile_engineer"]
    assert frame["role_raw"].tolist() == [
        "Web developer; Machine learning specialist",
        None,
        "Mobile developer",
    ]
    assert frame["country"].tolist() == ["US", "DE", None]
    assert frame["country_raw"].tolist() == ["United States", "Germany", None]
    assert frame["education"].tolist() == ["master", "high_school", None]
    assert 1 <= frame["years_experience"][0] <= 2
    assert math.isnan(frame["years_experience"][1])
    assert frame["years_experience"][2] >= 20
    assert frame["skills"][0] == ("aws", "mysql", "postgresql", "python", "sql")
    assert frame["skills"][1] == ()
    assert frame["salary_usd"].tolist()[0] == 120_000
    assert math.isnan(frame["salary_usd"][1])
    assert frame["salary_usd"][2] == pytest.approx(64516.129, abs=0.01)


def test_2017_employment_remote_and_company_size(tmp_path: Path) -> None:
    frame = load(write_csv(tmp_path, "so-2017-partial.csv", SO_2017))

    # Respondent 2 works part-time but answered Professional = "Student".
    assert frame["employment_status"].tolist() == ["employed", "student", "self_employed"]
    assert frame["employment_type"].tolist() == ["full_time", "part_time", "freelance"]
    assert frame["remote_ratio"].tolist()[:2] == [0.0, 100.0]
    assert math.isnan(frame["remote_ratio"][2])  # "It's complicated"
    assert frame["company_size"].tolist() == ["small", "large", None]


def test_2024_subset_uses_main_branch_and_falls_back_to_years_coding_pro(tmp_path: Path) -> None:
    frame = load(write_csv(tmp_path, "so-2024-subset.csv", SO_2024_SUBSET))

    assert frame["year"].tolist() == [2024, 2024, 2024]
    assert frame["role"].tolist() == ["fullstack_engineer", "data_engineer", "backend_engineer"]
    assert frame["country"].tolist() == ["GB", "IN", "BR"]
    assert frame["education"].tolist() == ["bachelor", "master", None]
    assert frame["employment_status"].tolist() == ["employed", "unknown", "student"]
    assert frame["employment_type"].isna().all()
    # WorkExp where answered, else YearsCodePro.
    assert frame["years_experience"][0] == 9
    assert frame["years_experience"][1] == 15
    assert 0 <= frame["years_experience"][2] < 1
    assert frame["remote_ratio"].tolist() == [100.0, 50.0, 0.0]
    assert frame["company_size"].tolist() == ["small", "medium", None]
    assert frame["skills"].tolist() == [(), (), ()]
    assert frame["salary_usd"].tolist() == [85925.0, 32222.0, 12000.0]


def test_2025_layout_reads_employment_and_pools_skills(tmp_path: Path) -> None:
    frame = load(write_csv(tmp_path, "so-2025-sample.csv", SO_2025))

    assert frame["role"].tolist()[0] == "ml_engineer"
    assert frame["employment_status"].tolist() == ["employed", "student"]
    assert frame["education"].tolist() == ["master", None]
    assert frame["years_experience"][0] == 4
    assert frame["remote_ratio"][0] == 50.0
    assert frame["company_size"][0] == "small"
    assert frame["skills"][0] == ("aws", "bash", "docker", "fastapi", "postgresql", "python")
    assert frame["skills"][1] == ("java",)
    assert frame["salary_usd"][0] == 150_000
    assert math.isnan(frame["salary_usd"][1])


def test_full_year_zip_is_read_like_the_bare_csv(tmp_path: Path) -> None:
    bare = write_csv(tmp_path, "survey.csv", SO_2024_SUBSET)
    archive = tmp_path / "stack-overflow-developer-survey-2024.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("README_2024.txt", "Stack Overflow 2024 survey")
        handle.writestr("survey_results_schema.csv", "qid,qname\nQID1,MainBranch\n")
        handle.write(bare, "survey_results_public.csv")

    from_zip = load(archive)
    from_csv = load(bare)

    assert from_zip["year"].tolist() == [2024, 2024, 2024]
    assert from_csv["year"].isna().all()
    pd.testing.assert_frame_equal(from_zip.drop(columns="year"), from_csv.drop(columns="year"))


def test_registry_dispatches_to_this_adapter(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "so-2025-sample.csv", SO_2025)
    assert load_profiles("stackoverflow", path)["source"].tolist() == ["stackoverflow"] * 2


def test_a_file_of_no_known_era_names_the_file_and_each_eras_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "salaries.csv", {"job_title": ["x"], "salary_in_usd": ["1"]})
    with pytest.raises(DataError) as error:
        load(path)
    message = str(error.value)
    assert str(path) in message
    for column in ("Salary", "DeveloperType", "ConvertedCompYearly", "DevType", "Country"):
        assert column in message
    assert "job_title" in message


def test_a_zip_without_the_public_results_says_what_it_expected(tmp_path: Path) -> None:
    archive = tmp_path / "survey-2024.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("survey_results_schema.csv", "qid,qname\nQID1,MainBranch\n")
    with pytest.raises(DataError, match=r"survey_results_public\.csv"):
        load(archive)


@pytest.mark.parametrize(
    ("content", "match"),
    [(None, "no such file"), (b"", "empty"), (b"not a zip at all", "not a readable zip")],
)
def test_missing_empty_or_corrupt_files_are_data_errors(
    tmp_path: Path, content: bytes | None, match: str
) -> None:
    path = tmp_path / "so-2024.zip"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=match):
        load(path)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Employed full-time", ("employed", "full_time")),
        ("Employed, part-time", ("employed", "part_time")),
        ("Employed", ("employed", None)),
        ("Independent contractor, freelancer, or self-employed", ("self_employed", "freelance")),
        # Several answers (2021+): the job outranks freelancing, study and unemployment.
        (
            "Independent contractor, freelancer, or self-employed;Employed, full-time",
            ("employed", "full_time"),
        ),
        ("Student, full-time;Employed, part-time", ("employed", "part_time")),
        ("Student, part-time;Not employed, but looking for work", ("student", None)),
        ("Not employed, and not looking for work", ("not_employed", None)),
        ("Retired", ("retired", None)),
        ("I prefer not to say", ("unknown", None)),
        ("Something new", ("unknown", None)),
        (None, ("unknown", None)),
    ],
)
def test_employment_of(answer: str | None, expected: tuple[str, str | None]) -> None:
    assert employment_of(answer) == expected


def test_survey_year_comes_from_the_file_name_only() -> None:
    assert survey_year(Path("stack-overflow-developer-survey-2024.zip")) == 2024
    assert survey_year(Path("/data/2019/so-2017-partial.zip")) == 2017
    assert survey_year(Path("survey_results_public.csv")) is None
    assert survey_year(Path("export-120245.csv")) is None


def test_split_answers_handles_both_separators() -> None:
    assert split_answers("Python; SQL") == ["Python", "SQL"]
    assert split_answers("Python;SQL;") == ["Python", "SQL"]
    assert split_answers(None) == []
