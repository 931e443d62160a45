"""Synthetic aijobs-format salary files and small training configs for the training tests.

`write_aijobs_csv` writes a file in the aijobs.net `salaries.csv` format with a known pay
structure (ML engineers and the US paid more, pay rising with seniority) and, like the real
file, many exact duplicate rows. Tests train on it through the real adapter, quality rules and
pipeline in about a second, without the real data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import yaml

from training.config import TrainConfig

TITLES: Final[dict[str, float]] = {
    "Machine Learning Engineer": 1.3,
    "Data Scientist": 1.15,
    "Data Engineer": 1.05,
    "Data Analyst": 0.75,
    "Software Engineer": 1.1,
}
COUNTRIES: Final[dict[str, float]] = {"US": 1.0, "CA": 0.8, "GB": 0.7, "DE": 0.65, "IN": 0.25}
LEVELS: Final[dict[str, float]] = {"EN": 0.7, "MI": 0.9, "SE": 1.15, "EX": 1.5}
COLUMNS: Final[tuple[str, ...]] = (
    "work_year",
    "experience_level",
    "employment_type",
    "job_title",
    "salary",
    "salary_currency",
    "salary_in_usd",
    "employee_residence",
    "remote_ratio",
    "company_location",
    "company_size",
)


def aijobs_frame(rows: int, seed: int = 0, duplicate_share: float = 0.3) -> pd.DataFrame:
    """`rows` rows in the aijobs file format; about `duplicate_share` are exact repeats."""
    rng = np.random.default_rng(seed)
    unique = max(1, int(rows * (1 - duplicate_share)))
    title = rng.choice(list(TITLES), unique)
    country = rng.choice(list(COUNTRIES), unique, p=[0.6, 0.1, 0.1, 0.1, 0.1])
    level = rng.choice(list(LEVELS), unique, p=[0.2, 0.35, 0.35, 0.1])
    pay = (
        130_000
        * np.array([TITLES[t] for t in title])
        * np.array([COUNTRIES[c] for c in country])
        * np.array([LEVELS[lv] for lv in level])
        * np.exp(rng.normal(0, 0.2, unique))
    ).round(-2)
    frame = pd.DataFrame(
        {
            "work_year": rng.choice([2022, 2023, 2024], unique, p=[0.2, 0.3, 0.5]),
            "experience_level": level,
            "employment_type": "FT",
            "job_title": title,
            "salary": pay.astype(int),
            "salary_currency": "USD",
            "salary_in_usd": pay.astype(int),
            "employee_residence": country,
            "remote_ratio": rng.choice([0, 50, 100], unique),
            "company_location": country,
            "company_size": rng.choice(["S", "M", "L"], unique),
        },
        columns=list(COLUMNS),
    )
    repeats = frame.iloc[rng.integers(0, unique, rows - unique)]
    return pd.concat([frame, repeats], ignore_index=True)


def write_aijobs_csv(path: Path, rows: int = 1500, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    aijobs_frame(rows, seed).to_csv(path, index=False)
    return path


def small_config_dict(data_path: Path | str, **overrides: Any) -> dict[str, Any]:
    """A fast training config (few small trees) for an aijobs-format file."""
    config: dict[str, Any] = {
        "sources": [{"adapter": "aijobs", "path": str(data_path)}],
        "features": ["role", "country", "seniority", "remote_ratio", "company_size", "year"],
        "lightgbm": {
            "num_boost_round": 40,
            "num_leaves": 7,
            "learning_rate": 0.2,
            "min_data_in_leaf": 10,
            "min_data_per_group": 10,
            "num_threads": 1,
        },
        "monotone_constraints": {"seniority": 1},
        "seed": 7,
        "model": {"name": "tiny-aijobs", "version": "0.1"},
    }
    config.update(overrides)
    return config


def small_config(data_path: Path | str, **overrides: Any) -> TrainConfig:
    return TrainConfig.model_validate(small_config_dict(data_path, **overrides))


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
