"""Kaggle Machine Learning & Data Science Survey (official zip or its responses CSV) to profiles.

The file has two header rows: question codes (Q5, Q18_Part_1, ...), then question texts.
Question numbers change every year, so columns are found by their question TEXT (regexes in
`QUESTIONS` and `SKILL_QUESTIONS`); another year that asks the same questions loads unchanged.

Choices documented here (they shape the data every model sees):
- Pay is a band ("10,000-14,999", "$0-999", "> $500,000", ">$1,000,000"): the edges as written
  become `salary_usd_low`/`salary_usd_high` and `salary_usd` stays NaN. An open top band ("> X",
  "X+") gets the upper edge `OPEN_BAND_FACTOR` x X = 2X: the 2021 survey split 2019's
  "> $500,000" into "$500,000-999,999" and ">$1,000,000", i.e. exactly at 2X.
- `years_experience` is the years-writing-code answer (2019: "writing code to analyze data",
  2021: "writing code and/or programming"). Kaggle has no professional-experience question, so
  this overstates experience for people who coded as students.
- `employment_status` comes from the title answer: "Student" -> student, "(Currently) not
  employed" -> not_employed, no answer -> unknown, any other title -> employed.
- `company_size` maps the headcount band onto aijobs' sizes (small < 50 <= medium < 250 <= large)
  using the band's lower edge.
- `year` comes from the file name ("kaggle-survey-2019.zip", "kaggle_survey_2021_responses.csv"),
  the CSV's name inside the zip, or the folder name; otherwise missing.
- Gender and age columns are never read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from mlpay_model.data.sources._io import map_distinct, read_header_rows, read_table, zip_members
from mlpay_model.errors import DataError
from mlpay_model.schema import conform
from mlpay_model.taxonomy import (
    canonical_skills,
    company_size,
    country_code,
    education_level,
    experience_years,
    role_family,
)

SOURCE: Final = "kaggle"
WHAT: Final = "a Kaggle ML & DS Survey zip or its responses CSV (two header rows)"


@dataclass(frozen=True)
class Question:
    """A single-answer survey question, found by a regex over its text."""

    field: str
    pattern: str
    required: bool


QUESTIONS: Final[tuple[Question, ...]] = (
    Question("title", r"select the title most similar to your current role", True),
    Question("country", r"in which country do you currently reside", True),
    Question("pay", r"what is your current yearly compensation", True),
    Question("education", r"highest level of formal education", False),
    Question("years_code", r"writing code", False),
    Question("company_size", r"size of the company where you are employed", False),
)

# Multi-select questions: one column per option, text "<question> - Selected Choice - <option>".
SKILL_QUESTIONS: Final[tuple[str, ...]] = (
    r"programming languages do you use on a regular basis",
    r"machine learning frameworks do you use on a regular basis",
    r"cloud computing platforms do you use on a regular basis",
)
SELECTED_CHOICE: Final = " - Selected Choice - "
NON_SKILL_OPTIONS: Final[frozenset[str]] = frozenset({"none", "other"})

OPEN_BAND_FACTOR: Final = 2.0
_BAND = re.compile(r"^\$?\s*([\d,]+)\s*-\s*\$?\s*([\d,]+)$")
_OPEN_BAND = re.compile(r"^(?:>\s*\$?\s*([\d,]+)|\$?\s*([\d,]+)\s*\+)$")
_YEAR_IN_NAME = re.compile(r"kaggle[-_ ]?survey[-_ ]?(\d{4})", re.IGNORECASE)


def load(path: Path) -> pd.DataFrame:
    """Every respondent of a Kaggle survey file as a canonical profile frame."""
    path = Path(path)
    members = _responses_member(path)
    codes, texts = read_header_rows(path, members=members)
    columns = _find_questions(codes, texts, path)
    skill_columns = _find_skill_columns(codes, texts)
    wanted = list(dict.fromkeys([*columns.values(), *skill_columns]))
    raw = read_table(path, members=members, header_rows=2, what=WHAT, columns=wanted)

    def answers(field: str) -> pd.Series:
        if field in columns:
            return raw[columns[field]]
        return pd.Series(None, index=raw.index, dtype=object)

    low, high = _pay_edges(answers("pay"))
    profiles = pd.DataFrame(
        {
            "role": map_distinct(answers("title"), role_family),
            "role_raw": answers("title"),
            "country": map_distinct(answers("country"), country_code),
            "country_raw": answers("country"),
            "years_experience": map_distinct(answers("years_code"), experience_years),
            "education": map_distinct(answers("education"), education_level),
            "skills": _skills(raw, skill_columns),
            "company_size": map_distinct(answers("company_size"), company_size),
            "year": _survey_year(path, members),
            "source": SOURCE,
            "row_number": range(1, len(raw) + 1),
            "employment_status": map_distinct(answers("title"), employment_status_from_title),
            "salary_usd_low": low,
            "salary_usd_high": high,
        },
        index=raw.index,
    )
    return conform(profiles)


def pay_band(text: object) -> tuple[float, float]:
    """(low, high) USD edges of a Kaggle pay answer; (NaN, NaN) when missing or not a band."""
    if not isinstance(text, str):
        return math.nan, math.nan
    answer = text.strip()
    band = _BAND.match(answer)
    if band:
        return _number(band.group(1)), _number(band.group(2))
    open_band = _OPEN_BAND.match(answer)
    if open_band:
        low = _number(open_band.group(1) or open_band.group(2))
        return low, OPEN_BAND_FACTOR * low
    return math.nan, math.nan


def employment_status_from_title(title: object) -> str:
    """Employment status implied by the title answer (Kaggle asks no separate question)."""
    if not isinstance(title, str) or not title.strip():
        return "unknown"
    answer = title.strip().lower()
    if answer == "student":
        return "student"
    if "not employed" in answer:
        return "not_employed"
    return "employed"


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _responses_member(path: Path) -> tuple[str, ...]:
    """For a zip, the one responses CSV inside it (the 2019 zip also holds schema CSVs)."""
    if path.suffix.lower() != ".zip":
        return ()
    csvs = [name for name in zip_members(path, WHAT) if name.lower().endswith(".csv")]
    responses = [
        name
        for name in csvs
        if "response" in name.lower()
        and not any(skip in name.lower() for skip in ("other_text", "freeform", "free_form"))
    ]
    chosen = responses if len(responses) == 1 else csvs
    if len(chosen) != 1:
        raise DataError(
            f"{path}: the zip holds {', '.join(csvs) or 'no CSV file'}; expected one survey "
            "responses CSV (e.g. multiple_choice_responses.csv)"
        )
    return (chosen[0],)


def _find_questions(codes: list[str], texts: list[str], path: Path) -> dict[str, str]:
    """Field name -> column code, for each question in `QUESTIONS` found in the header."""
    found: dict[str, str] = {}
    for question in QUESTIONS:
        pattern = re.compile(question.pattern, re.IGNORECASE)
        matches = [
            code
            for code, text in zip(codes, texts, strict=True)
            if pattern.search(text) and not text.rstrip().endswith("- Text")
        ]
        if matches:
            found[question.field] = matches[0]
        elif question.required:
            raise DataError(
                f"{path}: no column whose question text matches {question.pattern!r} "
                f"(the {question.field} question); expected {WHAT}"
            )
    return found


def _find_skill_columns(codes: list[str], texts: list[str]) -> dict[str, str]:
    """Column code -> raw skill option, for every option column of the skill questions."""
    patterns = [re.compile(p, re.IGNORECASE) for p in SKILL_QUESTIONS]
    options: dict[str, str] = {}
    for code, text in zip(codes, texts, strict=True):
        if SELECTED_CHOICE not in text or not any(p.search(text) for p in patterns):
            continue
        option = text.rsplit(SELECTED_CHOICE, 1)[1].strip()
        if option and option.lower() not in NON_SKILL_OPTIONS:
            options[code] = option
    return options


def _skills(raw: pd.DataFrame, skill_columns: dict[str, str]) -> pd.Series:
    """Per respondent, the canonical skills of every option they selected."""
    if not skill_columns:  # no skill question in this file
        return pd.Series([()] * len(raw), index=raw.index, dtype=object)
    skills = np.empty(len(raw), dtype=object)
    options = list(skill_columns.values())
    selected = raw[list(skill_columns)].notna().to_numpy()
    by_pattern: dict[bytes, tuple[str, ...]] = {}
    for position, row in enumerate(selected):
        key = np.packbits(row).tobytes()
        if key not in by_pattern:
            by_pattern[key] = canonical_skills(
                option for option, chosen in zip(options, row, strict=True) if chosen
            )
        skills[position] = by_pattern[key]
    return pd.Series(skills, index=raw.index, dtype=object)


def _survey_year(path: Path, members: tuple[str, ...]) -> float:
    for name in (path.name, *(Path(m).name for m in members), path.parent.name):
        match = _YEAR_IN_NAME.search(name)
        if match:
            return float(match.group(1))
    return math.nan


def _pay_edges(answers: pd.Series) -> tuple[pd.Series, pd.Series]:
    edges = map_distinct(answers, pay_band)
    low = edges.map(lambda pair: pair[0]).astype("float64")
    high = edges.map(lambda pair: pair[1]).astype("float64")
    return low, high
