"""The publisher's raw columns for the out-of-time benchmark's peers (bench_out_of_time.py).

Each kept canonical row is read again from its file, as a user building a model on the
published data would see it: categoricals as written, numbers parsed, every option of a
multi-select question as a 0/1 column (options chosen by at least MIN_OPTION_ROWS training
rows). `peer_frames` turns them into the train/test frames the peers fit on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from mlpay_model.data.sources import kaggle as kaggle_adapter
from mlpay_model.data.sources._io import read_header_rows, read_table
from mlpay_model.errors import MlpayError

MISSING: Final = "<missing>"
HGB_MAX_CATEGORIES: Final = 254  # + one bin for missing = HistGradientBoosting's 255 bins
MIN_OPTION_ROWS: Final = 10  # a multi-select option becomes a 0/1 column with this many rows


@dataclass(frozen=True)
class RawFrame:
    """The raw columns of every kept row (index = the profiles' index), by kind."""

    frame: pd.DataFrame
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    multi: dict[str, list[list[str]]]  # question -> per row, the options chosen (raw text)
    title: str  # the raw title column (replaced by the role family in a diagnostic)


def raw_columns(
    source: str,
    files: Sequence[tuple[Path, int]],
    profiles: pd.DataFrame,
) -> RawFrame:
    """The publisher's columns for each kept canonical row, read again from its file.

    `files`: (path, kept rows) per configured file, in the order `load_training_data` joins
    them; a kept row's `row_number` is its 1-based data row in its file.
    """
    builders = {"aijobs": _aijobs_raw, "kaggle": _kaggle_raw, "stackoverflow": _stackoverflow_raw}
    parts: list[pd.DataFrame] = []
    multi_parts: list[dict[str, list[list[str]]]] = []
    start = 0
    for path, kept in files:
        rows = profiles.iloc[start : start + kept]
        start += kept
        frame, multi = builders[source](path)
        positions = rows["row_number"].to_numpy(dtype="int64") - 1
        parts.append(frame.iloc[positions].set_index(rows.index))
        multi_parts.append({q: [answers[p] for p in positions] for q, answers in multi.items()})
    if start != len(profiles):
        raise MlpayError(f"{source}: the files' kept rows do not add up to the profiles")
    frame = pd.concat(parts)
    questions = sorted({q for part in multi_parts for q in part})
    multi: dict[str, list[list[str]]] = {q: [] for q in questions}
    for part, rows in zip(multi_parts, parts, strict=True):
        for q in questions:
            multi[q].extend(part.get(q, [[] for _ in range(len(rows))]))
    numeric = tuple(c.removeprefix("num:") for c in frame.columns if c.startswith("num:"))
    categorical = tuple(c for c in frame.columns if not c.startswith("num:"))
    frame = frame.rename(columns=lambda c: c.removeprefix("num:"))
    return RawFrame(frame, categorical, numeric, multi, TITLE_COLUMN[source])


TITLE_COLUMN: Final = {"aijobs": "job_title", "kaggle": "title", "stackoverflow": "title"}


def _clean(values: pd.Series) -> pd.Series:
    """Raw answers as text, with blank and the surveys' "NA" as missing."""
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    return text.where(~text.isin(["", "NA"]), None)


def _years(values: pd.Series) -> pd.Series:
    """A years answer as a number: "7" -> 7, a band "2 to 3 years"/"3-5 years" -> its lower
    edge, "Less than 1 year"/"< 1 years"/"never" -> 0, "More than 50 years" -> 50."""

    def parse(value: object) -> float:
        if not isinstance(value, str):
            return math.nan
        text = value.lower()
        if text.startswith(("less than", "<")) or "never" in text:
            return 0.0
        match = re.search(r"\d+(\.\d+)?", text)
        return float(match.group()) if match else math.nan

    return _clean(values).map(parse).astype("float64")


def _aijobs_raw(path: Path) -> tuple[pd.DataFrame, dict[str, list[list[str]]]]:
    raw = read_table(path)
    frame = pd.DataFrame(
        {
            name: _clean(raw[name])
            for name in (
                "job_title",
                "experience_level",
                "employment_type",
                "employee_residence",
                "company_location",
                "company_size",
            )
        }
    )
    frame["num:remote_ratio"] = pd.to_numeric(raw["remote_ratio"], errors="coerce")
    frame["num:work_year"] = pd.to_numeric(raw["work_year"], errors="coerce")
    return frame, {}


KAGGLE_FIELDS: Final = ("title", "country", "education", "company_size")


def _kaggle_raw(path: Path) -> tuple[pd.DataFrame, dict[str, list[list[str]]]]:
    members = kaggle_adapter._responses_member(path)
    codes, texts = read_header_rows(path, members=members)
    columns = kaggle_adapter._find_questions(codes, texts, path)
    skills = kaggle_adapter._find_skill_columns(codes, texts)
    wanted = [columns[f] for f in (*KAGGLE_FIELDS, "years_code") if f in columns]
    raw = read_table(path, members=members, header_rows=2, columns=[*wanted, *skills])
    frame = pd.DataFrame(
        {
            f: _clean(raw[columns[f]]) if f in columns else pd.Series(None, index=raw.index)
            for f in KAGGLE_FIELDS
        }
    )
    frame["num:years_code"] = _years(raw[columns["years_code"]])
    chosen = raw[list(skills)].notna().to_numpy()
    options = list(skills.values())
    multi = {
        "skills": [
            [option for option, pick in zip(options, row, strict=True) if pick] for row in chosen
        ]
    }
    return frame, multi


SO_COLUMNS: Final = {  # our name -> (2017 column, 2021+ column)
    "title": ("DeveloperType", "DevType"),
    "country": ("Country", "Country"),
    "education": ("FormalEducation", "EdLevel"),
    "company_size": ("CompanySize", "OrgSize"),
    "remote": ("HomeRemote", "RemoteWork"),
}
SO_SKILLS: Final = {  # question -> (2017 column, 2021+ column)
    "language": ("HaveWorkedLanguage", "LanguageHaveWorkedWith"),
    "database": ("HaveWorkedDatabase", "DatabaseHaveWorkedWith"),
    "platform": ("HaveWorkedPlatform", "PlatformHaveWorkedWith"),
    "framework": ("HaveWorkedFramework", "WebframeHaveWorkedWith"),
}


def _stackoverflow_raw(path: Path) -> tuple[pd.DataFrame, dict[str, list[list[str]]]]:
    raw = read_table(path, members=("survey_results_public.csv",))
    era = 0 if "Salary" in raw.columns and "DeveloperType" in raw.columns else 1

    def column(name: str | None) -> pd.Series:
        if name is None or name not in raw.columns:
            return pd.Series(None, index=raw.index, dtype=object)
        return _clean(raw[name])

    frame = pd.DataFrame({ours: column(names[era]) for ours, names in SO_COLUMNS.items()})
    frame["num:work_exp"] = _years(column(None if era == 0 else "WorkExp"))
    frame["num:years_code_pro"] = _years(column("YearsCodedJob" if era == 0 else "YearsCodePro"))
    year = re.search(r"(?<!\d)(?:19|20)\d{2}(?!\d)", path.name)
    frame["num:year"] = float(year.group()) if year else math.nan
    multi = {
        question: [
            [part.strip() for part in answer.split(";") if part.strip()]
            if isinstance(answer, str)
            else []
            for answer in column(names[era])
        ]
        for question, names in SO_SKILLS.items()
    }
    return frame, multi


# --- feature frames for the peers -----------------------------------------------------------


@dataclass(frozen=True)
class PeerData:
    """Raw feature frames of the training-year rows and the test-year rows."""

    train: pd.DataFrame
    test: pd.DataFrame
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    binary: tuple[str, ...]


def peer_frames(raw: RawFrame, train_index: pd.Index, test_index: pd.Index) -> PeerData:
    """Categoricals with the training rows' categories (unseen -> missing), numbers, and one 0/1
    column per multi-select option chosen by at least MIN_OPTION_ROWS training rows."""
    train = pd.DataFrame(index=train_index)
    test = pd.DataFrame(index=test_index)
    for name in raw.categorical:
        categories = sorted(raw.frame.loc[train_index, name].dropna().unique())
        train[name] = _categorical(raw.frame.loc[train_index, name], categories)
        test[name] = _categorical(raw.frame.loc[test_index, name], categories)
    for name in raw.numeric:
        train[name] = raw.frame.loc[train_index, name].astype("float64")
        test[name] = raw.frame.loc[test_index, name].astype("float64")
    position = pd.Series(np.arange(len(raw.frame)), index=raw.frame.index)
    binary: list[str] = []
    for question, answers in raw.multi.items():
        train_rows = [answers[p] for p in position[train_index]]
        test_rows = [answers[p] for p in position[test_index]]
        counts = pd.Series([o for row in train_rows for o in row], dtype=object).value_counts()
        options = sorted(counts[counts >= MIN_OPTION_ROWS].index)
        for option in options:
            name = f"{question}={option}"
            train[name] = np.array([option in row for row in train_rows], dtype="float64")
            test[name] = np.array([option in row for row in test_rows], dtype="float64")
            binary.append(name)
    return PeerData(train, test, raw.categorical, raw.numeric, tuple(binary))


def _categorical(values: pd.Series, categories: Sequence[object]) -> pd.Categorical:
    """`values` as a categorical of `categories`; any other value becomes missing."""
    values = values.astype(object)
    return pd.Categorical(values.where(values.isin(categories)), categories=categories)


def as_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for name in columns:
        out[name] = out[name].astype(object).where(out[name].notna(), MISSING).astype(str)
    return out


def capped_categories(data: PeerData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """HistGradientBoosting allows at most 255 bins: rare categories beyond 254 -> missing."""
    train, test = data.train.copy(), data.test.copy()
    for name in data.categorical:
        counts = train[name].value_counts()
        if len(counts) <= HGB_MAX_CATEGORIES:
            continue
        keep = sorted(counts.index[:HGB_MAX_CATEGORIES])
        train[name] = _categorical(train[name], keep)
        test[name] = _categorical(test[name], keep)
    return train, test
