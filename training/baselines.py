"""Simple models every mlpay model must beat, fitted on the same train rows, scored on test.

group_median  the median log pay of the row's role x country cell in train, falling back to
              its role, then to every train row, when the cell has fewer than MIN_CELL_ROWS.
ridge         ridge regression on log pay over one-hot encoded features: categorical and
              ordinal features one-hot (missing is its own category), numeric features
              standardised with a missing indicator (missing -> train median), skills as
              0/1 columns. The penalty is chosen by efficient leave-one-out CV (RidgeCV).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from mlpay_model.model.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    ORDINAL_FEATURES,
    SKILL_COUNT,
    SKILL_PREFIX,
    FeatureSpec,
)

MIN_CELL_ROWS: Final = 5
RIDGE_ALPHAS: Final = tuple(float(a) for a in np.logspace(-3, 3, 13))


class GroupMedianBaseline:
    """Median log pay by role x country, then role, then overall (see module docstring)."""

    def fit(self, profiles: pd.DataFrame, log_pay: np.ndarray) -> GroupMedianBaseline:
        frame = pd.DataFrame(
            {
                "role": _keys(profiles["role"]),
                "country": _keys(profiles["country"]),
                "log_pay": log_pay,
            }
        )
        self.cells_ = _medians(frame, ["role", "country"])
        self.roles_ = _medians(frame, ["role"])
        self.overall_ = float(np.median(log_pay))
        return self

    def predict(self, profiles: pd.DataFrame) -> np.ndarray:
        """Predicted log pay per row."""
        roles, countries = _keys(profiles["role"]), _keys(profiles["country"])
        cell = pd.Series(
            [self.cells_.get((r, c), np.nan) for r, c in zip(roles, countries, strict=True)],
            dtype="float64",
        )
        role = roles.map(self.roles_).astype("float64").reset_index(drop=True)
        return cell.fillna(role).fillna(self.overall_).to_numpy()


def ridge_pipeline(spec: FeatureSpec) -> Pipeline:
    """The ridge baseline over the FeatureEncoder matrix of `spec` (column positions)."""
    names = spec.feature_names
    one_hot = [i for i, n in enumerate(names) if n in CATEGORICAL_FEATURES or n in ORDINAL_FEATURES]
    numeric = [i for i, n in enumerate(names) if n in NUMERIC_FEATURES or n == SKILL_COUNT]
    skills = [i for i, n in enumerate(names) if n.startswith(SKILL_PREFIX)]
    columns = ColumnTransformer(
        [
            ("one_hot", OneHotEncoder(handle_unknown="ignore"), one_hot),
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                numeric,
            ),
            # no skills listed is missing (NaN) in the matrix: for ridge, none of them
            ("skills", SimpleImputer(strategy="constant", fill_value=0.0), skills),
        ]
    )
    return make_pipeline(columns, RidgeCV(alphas=RIDGE_ALPHAS))


def fit_predict_baselines(
    spec: FeatureSpec,
    train_profiles: pd.DataFrame,
    train_matrix: np.ndarray,
    train_log_pay: np.ndarray,
    test_profiles: pd.DataFrame,
    test_matrix: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each baseline's predicted log pay on the test rows, by name."""
    group_median = GroupMedianBaseline().fit(train_profiles, train_log_pay)
    # One BLAS thread: RidgeCV's decomposition summed by several threads changes in the last
    # bits with the load, and the manifest's baseline metrics must repeat byte for byte.
    with threadpool_limits(limits=1, user_api="blas"):
        ridge = ridge_pipeline(spec).fit(train_matrix, train_log_pay)
    return {
        "group_median": group_median.predict(test_profiles),
        "ridge": np.asarray(ridge.predict(test_matrix), dtype="float64"),
    }


def _keys(values: pd.Series) -> pd.Series:
    """Group keys: the value as text, missing as its own key."""
    return values.map(lambda value: "<missing>" if pd.isna(value) else str(value)).reset_index(
        drop=True
    )


def _medians(frame: pd.DataFrame, by: list[str]) -> dict[object, float]:
    grouped = frame.groupby(by, sort=True)["log_pay"]
    stats = pd.DataFrame({"median": grouped.median(), "rows": grouped.size()})
    stats = stats[stats["rows"] >= MIN_CELL_ROWS]
    return {key: float(value) for key, value in stats["median"].items()}
