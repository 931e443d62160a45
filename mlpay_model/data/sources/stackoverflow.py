"""Stack Overflow Developer Survey: `survey_results_public.csv` (bare or in the yearly zip).

The schema era is detected from the columns, never from the file name:

    2017 era    Salary, DeveloperType, Country (+ YearsCodedJob, FormalEducation, CompanySize,
                HomeRemote, EmploymentStatus, Professional, HaveWorked{Language,Framework,
                Platform,Database})
    2021+ era   ConvertedCompYearly, DevType, Country (+ WorkExp, YearsCodePro, EdLevel, OrgSize,
                RemoteWork, Employment, MainBranch, {Language,Database,Platform,Webframe,
                MiscTech}HaveWorkedWith); read the same way for 2021 to 2025 and for subsets

Rules shared by both eras (the why of each is in the named function or table):
- Every row is kept; `row_number` is the 1-based data row. SO writes missing answers as the
  text "NA"; it is read as missing.
- Multi-select answers are `;`-separated ("; " in 2017); titles go to the role taxonomy as a
  list, skills from all skills columns are pooled, then canonicalised.
- years_experience: 2017 `YearsCodedJob` bands; later `WorkExp` (years of work), falling back
  to `YearsCodePro` (years coding professionally) where WorkExp is missing or absent.
- employment: see `employment_of` and `_student_or_unknown`.
- company_size and remote_ratio: `mlpay_model.taxonomy.workplace` (one rule for all sources).
- year: the survey year found in the file name (`so-2024-subset.csv`,
  `stack-overflow-developer-survey-2024.zip`), else missing.
- Age, gender and race columns are never read into the profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from mlpay_model import schema
from mlpay_model.data.sources._io import map_distinct, read_table
from mlpay_model.errors import DataError
from mlpay_model.taxonomy import (
    canonical_skills,
    company_size,
    country_code,
    education_level,
    experience_years,
    remote_ratio,
    role_family_of_list,
)

SOURCE: Final = "stackoverflow"
MEMBER: Final = "survey_results_public.csv"
WHAT: Final = f"a Stack Overflow survey {MEMBER}, or the yearly zip holding it"
MISSING_ANSWERS: Final = frozenset({"", "NA"})


@dataclass(frozen=True)
class Era:
    """Where one generation of the survey keeps each field (absent columns read as missing)."""

    name: str
    salary: str
    pay_concept: str  # what `salary` asked for (the registry states it per pay year)
    role: str
    country: str
    experience: tuple[str, ...]  # first non-missing answer wins
    education: str
    company_size: str
    remote: str
    employment: str
    skills: tuple[str, ...]

    @property
    def required(self) -> tuple[str, str, str]:
        return (self.salary, self.role, self.country)


ERAS: Final[tuple[Era, ...]] = (
    Era(
        name="2017",
        salary="Salary",
        # "What is your current annual base salary, before taxes, and excluding bonuses,
        # grants, or other compensation?"
        pay_concept="base_salary",
        role="DeveloperType",
        country="Country",
        experience=("YearsCodedJob",),
        education="FormalEducation",
        company_size="CompanySize",
        remote="HomeRemote",
        employment="EmploymentStatus",
        skills=(
            "HaveWorkedLanguage",
            "HaveWorkedFramework",
            "HaveWorkedPlatform",
            "HaveWorkedDatabase",
        ),
    ),
    Era(
        name="2021+",
        salary="ConvertedCompYearly",
        # "What is your current total annual compensation (salary, bonuses, and perks,
        # before taxes and deductions)?" (CompTotal, converted to USD a year)
        pay_concept="total_compensation",
        role="DevType",
        country="Country",
        experience=("WorkExp", "YearsCodePro"),
        education="EdLevel",
        company_size="OrgSize",
        remote="RemoteWork",
        employment="Employment",
        skills=(
            "LanguageHaveWorkedWith",
            "DatabaseHaveWorkedWith",
            "PlatformHaveWorkedWith",
            "WebframeHaveWorkedWith",
            "MiscTechHaveWorkedWith",
        ),
    ),
)

# Employment answers of every year, normalised by `_answer_key`, in priority order: a respondent
# who picked several (2021+ allows it) gets the first one listed here, so pay reported next to
# "Employed, full-time;Independent contractor..." is read as the full-time job's.
EMPLOYMENT_ANSWERS: Final[dict[str, tuple[str, str | None]]] = {
    "employed full-time": ("employed", "full_time"),
    "employed part-time": ("employed", "part_time"),
    "employed": ("employed", None),  # 2025 no longer says full or part time
    # Self-employed people set their own rates: canonical "freelance" (aijobs FL), not "contract"
    # (aijobs CT, a fixed-term contract with one employer).
    "independent contractor freelancer or self-employed": ("self_employed", "freelance"),
    "student full-time": ("student", None),
    "student part-time": ("student", None),
    "student": ("student", None),
    "not employed but looking for work": ("not_employed", None),
    "not employed and not looking for work": ("not_employed", None),
    "not employed": ("not_employed", None),
    "retired": ("retired", None),
    "i prefer not to say": ("unknown", None),
}

# 2017 HomeRemote, read with aijobs' definitions of remote_ratio (0: less than 20 % remote,
# 50: partly remote, 100: more than 80 % remote) so that sources agree.
YEAR_IN_NAME: Final = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def load(path: Path) -> pd.DataFrame:
    """A canonical profile frame with one row per survey respondent in `path`."""
    path = Path(path)
    raw = read_table(path, members=(MEMBER,), what=WHAT)
    era = detect_era(raw.columns, path)
    answers = {name: _answers(raw, name) for name in _used_columns(era) if name in raw.columns}

    def column(name: str) -> pd.Series:
        return answers.get(name, pd.Series(None, index=raw.index, dtype=object))

    roles_raw = column(era.role)
    countries_raw = column(era.country)
    status, employment_type = _employment(era, column)
    profiles = pd.DataFrame(
        {
            "role": map_distinct(roles_raw, _role_of_answer),
            "role_raw": roles_raw,
            "country": map_distinct(countries_raw, country_code),
            "country_raw": countries_raw,
            "years_experience": _experience(era, column),
            "education": map_distinct(column(era.education), education_level),
            "skills": _skills([column(name) for name in era.skills]),
            "employment_type": employment_type,
            "employment_status": status,
            "remote_ratio": map_distinct(column(era.remote), remote_ratio),
            "company_size": map_distinct(column(era.company_size), company_size),
            "year": survey_year(path),
            "source": SOURCE,
            "row_number": range(1, len(raw) + 1),
            "salary_usd": pd.to_numeric(column(era.salary), errors="coerce"),
        },
        index=raw.index,
    )
    return schema.conform(profiles.reset_index(drop=True))


def detect_era(columns: pd.Index, path: Path) -> Era:
    """The survey generation whose pay, role and country columns are all in `columns`."""
    present = set(columns)
    for era in ERAS:
        if present.issuperset(era.required):
            return era
    expected = "; ".join(f"{era.name}: {', '.join(era.required)}" for era in ERAS)
    found = ", ".join(list(columns)[:8]) + (", ..." if len(columns) > 8 else "")
    raise DataError(
        f"{path}: not a Stack Overflow survey results file; expected the columns of one "
        f"survey era ({expected}); found {found}"
    )


def survey_year(path: Path) -> int | None:
    """The four-digit year in the file name, or None when it has none."""
    match = YEAR_IN_NAME.search(Path(path).name)
    return int(match.group()) if match else None


def split_answers(text: object) -> list[str]:
    """A multi-select answer as its choices ("A; B" in 2017, "A;B" later); [] when missing."""
    if not isinstance(text, str):
        return []
    return [part.strip() for part in text.split(";") if part.strip()]


def employment_of(answer: object) -> tuple[str, str | None]:
    """(employment_status, employment_type) of an employment answer, possibly multi-select."""
    keys = [_answer_key(choice) for choice in split_answers(answer)]
    known = [key for key in keys if key in EMPLOYMENT_ANSWERS]
    if not known:
        return ("unknown", None)
    priority = list(EMPLOYMENT_ANSWERS)
    return EMPLOYMENT_ANSWERS[min(known, key=priority.index)]


def _role_of_answer(answer: object) -> str:
    """One family for a possibly multi-select title answer (the taxonomy ranks the choices)."""
    return role_family_of_list(answer if isinstance(answer, str) else None)


def _answers(frame: pd.DataFrame, name: str) -> pd.Series:
    """A survey column as stripped text with None for blank and "NA" answers."""
    cleaned = [_clean_answer(value) for value in frame[name]]
    return pd.Series(cleaned, index=frame.index, dtype=object)


def _clean_answer(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return None if text in MISSING_ANSWERS else text


def _used_columns(era: Era) -> tuple[str, ...]:
    return (
        era.salary,
        era.role,
        era.country,
        *era.experience,
        era.education,
        era.company_size,
        era.remote,
        era.employment,
        *era.skills,
        "Professional",
        "MainBranch",
    )


def _experience(era: Era, column: Callable[[str], pd.Series]) -> pd.Series:
    years: pd.Series | None = None
    for name in era.experience:
        answer_years = pd.to_numeric(map_distinct(column(name), experience_years), errors="coerce")
        years = answer_years if years is None else years.fillna(answer_years)
    assert years is not None
    return years


def _employment(era: Era, column: Callable[[str], pd.Series]) -> tuple[pd.Series, pd.Series]:
    answers = column(era.employment)
    pairs = map_distinct(answers, employment_of)
    status = pairs.map(lambda pair: pair[0])
    employment_type = pairs.map(lambda pair: pair[1])
    if era.name == "2017":
        # 2017 asked "Professional" separately; students are students whatever their job.
        status = status.where(column("Professional") != "Student", "student")
    else:
        # Where Employment is missing or absent (the 2024 subset), MainBranch is all there is.
        fallback = map_distinct(column("MainBranch"), _student_or_unknown)
        status = status.where(answers.notna(), fallback)
    return status, employment_type


def _student_or_unknown(main_branch: object) -> str:
    """employment_status from MainBranch: only professional developers are known employed."""
    if not isinstance(main_branch, str):
        return "unknown"
    text = main_branch.lower()
    if text == "i am a developer by profession":
        return "employed"
    if "student" in text or "learning to code" in text:
        return "student"
    return "unknown"


def _skills(columns: list[pd.Series]) -> pd.Series:
    per_column = [map_distinct(column, _skills_of_answer) for column in columns]
    pooled = [tuple(sorted(set().union(*row))) for row in zip(*per_column, strict=True)]
    return pd.Series(pooled, index=columns[0].index, dtype=object)


def _skills_of_answer(text: object) -> tuple[str, ...]:
    return canonical_skills(split_answers(text))


def _answer_key(choice: str) -> str:
    return " ".join(choice.lower().replace(",", " ").split())
