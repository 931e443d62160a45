"""Tiny, real model artifacts for tests: no data files, built in about a second.

`build_artifact(directory, kind)` trains the three LightGBM boosters (median, low, high) on an
inline canonical frame (`canonical_frame`), calibrates the interval the CQR way on held-out
rows, and writes a complete artifact folder with `training.export.write_artifact`, so the
runtime reads exactly what training ships. Kinds:

    "full"    every factor and context column (role, country, years_experience, education,
              skills, seniority, employment_type, remote_ratio, company_size, year)
    "aijobs"  the aijobs model's features: no years, education or skills

`build_models_dir(root)` writes both kinds as `root/tiny` and `root/tiny_aijobs`, ready for
MLPAY_MODELS_DIR; `shared_models_dir()` builds that once per test process (treat it as
read-only: copy a model before changing it). Any test module may import this file
(`from artifact_factory import ...`).

The inline data has a known structure (ML engineers and the US paid more, pay rising with
years and seniority) so tests can check directions, and values that are deliberately rare
(country "NZ", skill "cobol", role "qa_engineer") so that folding into __other__ and
out-of-vocabulary skills can be tested.
"""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.schema import conform
from training.export import write_artifact

FULL_FEATURES: Final[tuple[str, ...]] = (
    "role",
    "country",
    "years_experience",
    "education",
    "skills",
    "seniority",
    "employment_type",
    "remote_ratio",
    "company_size",
    "year",
)
AIJOBS_FEATURES: Final[tuple[str, ...]] = (
    "role",
    "country",
    "seniority",
    "employment_type",
    "remote_ratio",
    "company_size",
    "year",
)
KINDS: Final[dict[str, tuple[str, ...]]] = {"full": FULL_FEATURES, "aijobs": AIJOBS_FEATURES}
MODEL_NAMES: Final[dict[str, str]] = {"full": "tiny", "aijobs": "tiny_aijobs"}
TARGET_COVERAGE: Final = 0.8

ROLE_PAY: Final[dict[str, float]] = {
    "ml_engineer": 1.35,
    "data_scientist": 1.2,
    "data_engineer": 1.15,
    "software_engineer": 1.1,
    "data_analyst": 0.8,
    "manager": 1.3,
}
COUNTRY_PAY: Final[dict[str, float]] = {
    "US": 1.6,
    "GB": 1.1,
    "DE": 1.05,
    "CA": 1.1,
    "FR": 0.95,
    "IN": 0.35,
    "BR": 0.45,
}
SKILL_PAY: Final[dict[str, float]] = {
    "python": 1.05,
    "sql": 1.0,
    "pytorch": 1.12,
    "aws": 1.06,
    "docker": 1.03,
    "excel": 0.95,
}
EDUCATION_PAY: Final[dict[str, float]] = {
    "bachelor": 1.0,
    "master": 1.06,
    "doctorate": 1.12,
    "high_school": 0.9,
}
SENIORITY_BY_YEARS: Final[tuple[tuple[float, str], ...]] = (
    (2.0, "entry"),
    (6.0, "mid"),
    (15.0, "senior"),
    (math.inf, "executive"),
)


def canonical_frame(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A canonical profile frame with exact pay and every factor filled (plus rare values)."""
    rng = np.random.default_rng(seed)
    roles = rng.choice(list(ROLE_PAY), size=rows)
    countries = rng.choice(list(COUNTRY_PAY), size=rows)
    years = np.round(rng.uniform(0, 25, size=rows), 1)
    educations = rng.choice(list(EDUCATION_PAY), size=rows)
    skill_names = list(SKILL_PAY)
    skills = [
        tuple(sorted(rng.choice(skill_names, size=rng.integers(0, 4), replace=False)))
        for _ in range(rows)
    ]
    # A handful of rare values, below FeatureSpec.fit's min_count of 5.
    roles[:2] = "qa_engineer"
    countries[2:4] = "NZ"
    skills[4] = ("cobol", "python")
    seniority = [next(level for limit, level in SENIORITY_BY_YEARS if y < limit) for y in years]
    pay = (
        60_000
        * np.array([ROLE_PAY.get(role, 1.0) for role in roles])
        * np.array([COUNTRY_PAY.get(country, 1.0) for country in countries])
        * (1 + 0.05 * years)
        * np.array([EDUCATION_PAY[level] for level in educations])
        * np.array([math.prod(SKILL_PAY.get(s, 1.0) for s in row) for row in skills])
        * np.exp(rng.normal(0, 0.15, size=rows))
    )
    frame = pd.DataFrame(
        {
            "role": roles,
            "role_raw": roles,
            "country": countries,
            "years_experience": years,
            "education": educations,
            "skills": pd.Series(skills, dtype=object),
            "seniority": seniority,
            "employment_type": rng.choice(["full_time", "contract"], size=rows, p=[0.9, 0.1]),
            "remote_ratio": rng.choice([0.0, 50.0, 100.0], size=rows),
            "company_size": rng.choice(["small", "medium", "large"], size=rows),
            "year": rng.choice([2022, 2023, 2024], size=rows),
            "source": "inline",
            "row_number": np.arange(1, rows + 1),
            "employment_status": "employed",
            "salary_usd": np.round(pay),
        }
    )
    return conform(frame)


def build_artifact(
    directory: Path,
    kind: str = "full",
    *,
    rows: int = 600,
    seed: int = 0,
    rounds: int = 40,
    version: str = "0.0.test",
) -> Path:
    """Train the three boosters on `canonical_frame` and write a real artifact folder."""
    features = KINDS[kind]
    profiles = canonical_frame(rows, seed)
    train = profiles.iloc[: rows * 3 // 4]
    calibration = profiles.iloc[rows * 3 // 4 :]
    spec = FeatureSpec.fit(train, features)
    encoder = FeatureEncoder(spec)
    train_matrix = encoder.encode_frame(train)
    target = np.log(train["salary_usd"].to_numpy())
    quantiles = {"median": 0.5, "low": 0.1, "high": 0.9}
    boosters = {
        head: _fit(train_matrix, target, spec, quantile, rounds, seed)
        for head, quantile in quantiles.items()
    }
    calibration_matrix = encoder.encode_frame(calibration)
    calibration_target = np.log(calibration["salary_usd"].to_numpy())
    low = boosters["low"].predict(calibration_matrix)
    high = boosters["high"].predict(calibration_matrix)
    adjustment = _conformal_adjustment(low, high, calibration_target)
    median = np.exp(boosters["median"].predict(calibration_matrix))
    truth = np.exp(calibration_target)
    covered = (low - adjustment <= calibration_target) & (calibration_target <= high + adjustment)
    return write_artifact(
        Path(directory),
        name=MODEL_NAMES[kind],
        version=version,
        spec=spec,
        boosters=boosters,
        quantiles=quantiles,
        calibration={
            "method": "conformal_quantile",
            "target_coverage": TARGET_COVERAGE,
            "adjustment": adjustment,
            "rows": len(calibration),
        },
        metrics={
            "test_rows": float(len(calibration)),
            "test_mae_usd": float(np.abs(median - truth).mean()),
            "test_coverage": float(covered.mean()),
        },
        data=[
            {
                "source": "inline",
                "file": "tests/artifact_factory.py",
                "sha256": "",
                "rows_read": rows,
                "rows_kept": rows,
            }
        ],
        config={"model": {"name": MODEL_NAMES[kind], "version": version}, "features": features},
        extra_files={"MODEL_CARD.md": f"# {MODEL_NAMES[kind]}\n\nA tiny test model.\n"},
    )


def build_models_dir(root: Path) -> Path:
    """`root/tiny` and `root/tiny_aijobs`: a models folder to point MLPAY_MODELS_DIR at."""
    for kind, name in MODEL_NAMES.items():
        build_artifact(Path(root) / name, kind)
    return Path(root)


@cache
def shared_models_dir() -> Path:
    """`build_models_dir` in a temporary folder, built once per process and removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="mlpay-tiny-models-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return build_models_dir(root)


def _fit(
    matrix: np.ndarray,
    target: np.ndarray,
    spec: FeatureSpec,
    quantile: float,
    rounds: int,
    seed: int,
) -> lgb.Booster:
    params = {
        "objective": "quantile",
        "alpha": quantile,
        "learning_rate": 0.1,
        "num_leaves": 7,
        "min_data_in_leaf": 10,
        "min_data_per_group": 5,
        "cat_smooth": 1.0,
        "num_threads": 1,
        "deterministic": True,
        "force_col_wise": True,
        "seed": seed,
        "verbose": -1,
    }
    dataset = lgb.Dataset(
        matrix,
        label=target,
        feature_name=spec.feature_names,
        categorical_feature=spec.categorical_feature_names,
        params={"verbose": -1},
        free_raw_data=False,
    )
    return lgb.train(params, dataset, num_boost_round=rounds)


def _conformal_adjustment(low: np.ndarray, high: np.ndarray, truth: np.ndarray) -> float:
    """The CQR adjustment: the finite-sample (1 - alpha) quantile of the conformity scores."""
    scores = np.maximum(low - truth, truth - high)
    level = min(1.0, math.ceil((len(scores) + 1) * TARGET_COVERAGE) / len(scores))
    return float(np.quantile(scores, level, method="higher"))
