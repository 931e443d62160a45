"""A tiny trained model and a stand-in training result for the MLflow tests.

Three small LightGBM boosters trained on inline profiles are written with the real
`training.export.write_artifact`, so the pyfunc and tracking code see a genuine artifact folder
without running the training pipeline.
"""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.schema import conform
from training.config import TrainConfig
from training.data import TrainingData, dataset_digest
from training.evaluate import evaluate
from training.export import write_artifact
from training.train import TrainResult

ROLES = ("ml_engineer", "data_scientist", "data_analyst", "software_engineer")
COUNTRIES = ("US", "DE", "IN", "GB")
ROLE_PAY = {"ml_engineer": 1.25, "data_scientist": 1.1, "data_analyst": 0.8}
COUNTRY_PAY = {"US": 1.0, "GB": 0.7, "DE": 0.65, "IN": 0.2}
QUANTILES = {"low": 0.1, "median": 0.5, "high": 0.9}
# Two raw titles per role family, the second paid TITLE_PAY times the first (`titled` profiles).
TITLES = {
    "ml_engineer": ("Machine Learning Engineer", "Research Engineer"),
    "data_scientist": ("Data Scientist", "Applied Scientist"),
    "data_analyst": ("Data Analyst", "Analytics Engineer"),
    "software_engineer": ("Software Engineer", "Platform Engineer"),
}
TITLE_PAY = 1.6


def tiny_profiles(n: int = 240, seed: int = 0, *, titled: bool = False) -> pd.DataFrame:
    """Canonical profiles whose pay depends on role, country and experience, plus noise; with
    `titled`, each has a raw title (`role_raw`, one of TITLES) that moves pay too."""
    rng = np.random.default_rng(seed)
    role = rng.choice(ROLES, n)
    country = rng.choice(COUNTRIES, n)
    years = rng.uniform(0, 20, n).round(1)
    skills = [
        tuple(sorted(rng.choice(["python", "sql", "pytorch"], rng.integers(0, 3), False)))
        for _ in range(n)
    ]
    base = np.array(
        [ROLE_PAY.get(r, 1.0) * COUNTRY_PAY[c] for r, c in zip(role, country, strict=True)]
    )
    salary = 90_000 * base * (1 + 0.04 * years) * np.exp(rng.normal(0, 0.15, n))
    second_title = rng.random(n) < 0.5
    if titled:
        salary = np.where(second_title, TITLE_PAY * salary, salary)
    titles = [TITLES[r][int(s)] for r, s in zip(role, second_title, strict=True)]
    return conform(
        pd.DataFrame(
            {
                "role": role,
                **({"role_raw": titles} if titled else {}),
                "country": country,
                "years_experience": years,
                "education": rng.choice(["bachelor", "master", None], n),
                "skills": skills,
                "source": "aijobs",
                "row_number": np.arange(1, n + 1),
                "salary_usd": salary.round(0),
            }
        )
    )


TINY_FEATURES = ("role", "country", "years_experience", "education", "skills")


def write_tiny_artifact(
    directory: Path,
    profiles: pd.DataFrame,
    *,
    version: str = "0.0.1",
    features: tuple[str, ...] = TINY_FEATURES,
) -> Path:
    """Train three 20-tree quantile boosters on `profiles` and write them as an artifact
    (with `features`: add "source" for a pooled model of the profiles' sources, "title" for
    one that reads their raw titles)."""
    spec = FeatureSpec.fit(profiles, list(features), min_count=3, title_min_count=3)
    matrix = FeatureEncoder(spec).encode_frame(profiles)
    target = np.log(profiles["salary_usd"].to_numpy())
    boosters = {}
    for head, alpha in QUANTILES.items():
        data = lgb.Dataset(
            matrix,
            target,
            feature_name=spec.feature_names,
            categorical_feature=spec.categorical_feature_names,
            free_raw_data=False,
        )
        params = {
            "objective": "quantile",
            "alpha": alpha,
            "num_leaves": 7,
            "min_data_in_leaf": 5,
            "min_data_per_group": 5,
            "cat_smooth": 1.0,
            "learning_rate": 0.2,
            "verbose": -1,
            "seed": 0,
            "num_threads": 1,
        }
        boosters[head] = lgb.train(params, data, num_boost_round=20)
    return write_artifact(
        directory,
        name="tiny",
        version=version,
        spec=spec,
        boosters=boosters,
        quantiles=QUANTILES,
        calibration={"method": "conformal_quantile", "target_coverage": 0.8, "adjustment": 0.05},
        metrics={"mae_usd": 1.0},
        data=[
            {
                "source": "aijobs",
                "file": "inline",
                "sha256": "0" * 64,
                "rows_read": len(profiles),
                "rows_kept": len(profiles),
            }
        ],
        config={"name": "tiny", "data": [{"source": "aijobs", "path": "${MLPAY_DATA_DIR}/x.csv"}]},
        extra_files={"MODEL_CARD.md": "# tiny\n\nA test model.\n"},
    )


def tiny_config(**mlflow: str) -> TrainConfig:
    """A valid training config; `mlflow` sets fields of its mlflow section."""
    return TrainConfig.model_validate(
        {
            "sources": [{"adapter": "aijobs", "path": "${MLPAY_DATA_DIR}/aijobs/salaries.csv"}],
            "features": ["role", "country", "years_experience", "education", "skills"],
            "model": {"name": "tiny", "version": "0.0.1"},
            "lightgbm": {"num_leaves": 7, "learning_rate": 0.2, "num_boost_round": 20},
            "mlflow": mlflow,
        }
    )


def tiny_result(
    directory: Path, config: TrainConfig, *, shuffled: bool = False, titled: bool = False
) -> TrainResult:
    """A trained tiny artifact in `directory` and the TrainResult describing it.

    The test rows are the same on every call. With `shuffled`, the model learns from training
    pay shuffled across rows, so it is clearly worse on the test rows than the normal one. With
    `titled`, the profiles have raw titles that move pay and the model reads them (`title`).
    """
    from mlpay_model.model import load_model

    profiles = tiny_profiles(titled=titled)
    train, test = profiles.iloc[:180], profiles.iloc[180:].reset_index(drop=True)
    if shuffled:
        pay = np.random.default_rng(1).permutation(train["salary_usd"].to_numpy())
        train = train.assign(salary_usd=pay)
    features = (*TINY_FEATURES, "title") if titled else TINY_FEATURES
    artifact = write_tiny_artifact(
        directory, train, version="0.0.2" if shuffled else "0.0.1", features=features
    )
    predictions = load_model(artifact).predict(test)
    test_predictions = test.assign(
        pred_median=predictions["median"].to_numpy(),
        pred_low=predictions["low"].to_numpy(),
        pred_high=predictions["high"].to_numpy(),
        target_low=test["salary_usd"].to_numpy(),
        target_high=test["salary_usd"].to_numpy(),
    )
    metrics, breakdowns = evaluate(test_predictions)
    booster = lgb.Booster(model_file=str(artifact / "median.txt"))
    gains = booster.feature_importance("gain").astype(float)
    return TrainResult(
        config=config,
        artifact_dir=artifact,
        metrics=metrics,
        breakdowns=breakdowns,
        baselines={"global_median": {"test_mae_usd": 2 * metrics["test_mae_usd"]}},
        test_predictions=test_predictions,
        feature_importance=dict(zip(booster.feature_name(), gains, strict=True)),
        data=TrainingData(profiles=train, reports=()),
        dataset_digest=dataset_digest(train),
    )
