"""The peers of the out-of-time benchmark (bench_out_of_time.py), as users would build them:
library defaults on the raw columns (`oot_raw.PeerData`), ridge's alpha by grouped CV on the
training years only, and group medians of the canonical role family x country x experience.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from catboost import CatBoostRegressor
from lightgbm import LGBMRegressor
from oot_raw import MISSING, PeerData, as_text, capped_categories
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from training.baselines import RIDGE_ALPHAS

THREADS: Final = 2
MIN_CELL_ROWS: Final = 5
CV_FOLDS: Final = 5


def fit_lightgbm(data: PeerData, y: np.ndarray, seed: int, **params: object) -> LGBMRegressor:
    model = LGBMRegressor(random_state=seed, n_jobs=THREADS, verbose=-1, **params)
    return model.fit(data.train, y)


def fit_catboost(data: PeerData, y: np.ndarray, seed: int) -> np.ndarray:
    train = as_text(data.train, data.categorical)
    test = as_text(data.test, data.categorical)
    model = CatBoostRegressor(
        random_seed=seed, thread_count=THREADS, verbose=0, allow_writing_files=False
    )
    model.fit(train, y, cat_features=list(data.categorical))
    return np.asarray(model.predict(test), dtype="float64")


def fit_hgb(data: PeerData, y: np.ndarray, seed: int) -> np.ndarray:
    train, test = capped_categories(data)
    model = HistGradientBoostingRegressor(random_state=seed, categorical_features="from_dtype")
    model.fit(train, y)
    return np.asarray(model.predict(test), dtype="float64")


def fit_ridge(data: PeerData, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    categorical = list(data.categorical)
    columns = ColumnTransformer(
        [
            ("one_hot", OneHotEncoder(handle_unknown="ignore"), categorical),
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                list(data.numeric),
            ),
            ("binary", "passthrough", list(data.binary)),
        ]
    )
    train = as_text(data.train, categorical)
    test = as_text(data.test, categorical)
    folds = list(GroupKFold(n_splits=CV_FOLDS).split(train, y, groups))
    model = make_pipeline(columns, RidgeCV(alphas=RIDGE_ALPHAS, cv=folds))
    # BLAS on one thread: OpenBLAS's two threads wait busily, and on the shared 2-core machine
    # they made ridge 4-5x slower (Stack Overflow: 18.3 s against 3.3 s; aijobs 20.5 s, 4.5 s).
    with threadpool_limits(1, user_api="blas"):
        model.fit(train, y)
        return np.asarray(model.predict(test), dtype="float64")


def experience_band(profiles: pd.DataFrame, source: str) -> pd.Series:
    """The group median's third key: seniority (aijobs) or a years band (0-2, 2-5, 5-10, 10+)."""
    if source == "aijobs":
        return profiles["seniority"].astype(object)
    years = pd.to_numeric(profiles["years_experience"], errors="coerce")
    return pd.cut(years, [-np.inf, 2, 5, 10, np.inf], right=False, labels=False).astype(object)


def group_median(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, source: str) -> np.ndarray:
    """Median log pay of role x country x band, falling back to coarser cells (module doc)."""

    def keys(profiles: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "role": profiles["role"].astype(object),
                "country": profiles["country"].astype(object),
                "band": experience_band(profiles, source),
            },
            index=profiles.index,
        )
        return frame.where(frame.notna(), MISSING).astype(str)

    train_keys, test_keys = keys(train), keys(test)
    train_keys["y"] = y
    predicted = pd.Series(np.nan, index=test.index)
    for by in (["role", "country", "band"], ["role", "country"], ["role"]):
        grouped = train_keys.groupby(by)["y"]
        stats = pd.DataFrame({"median": grouped.median(), "n": grouped.size()})
        stats = stats[stats["n"] >= MIN_CELL_ROWS]
        looked_up = test_keys[by].merge(stats["median"], left_on=by, right_index=True, how="left")[
            "median"
        ]
        predicted = predicted.fillna(pd.Series(looked_up.to_numpy(), index=test.index))
    return predicted.fillna(float(np.median(y))).to_numpy()
