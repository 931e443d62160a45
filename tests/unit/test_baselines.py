from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.schema import conform
from training.baselines import MIN_CELL_ROWS, GroupMedianBaseline, fit_predict_baselines


def frame(rows: list[tuple[str, str | None, float]]) -> pd.DataFrame:
    return conform(
        pd.DataFrame(rows, columns=["role", "country", "salary_usd"]).astype({"country": object})
    )


def test_group_median_uses_the_cell_then_the_role_then_everyone():
    us_ml = [("ml_engineer", "US", 200.0 + i) for i in range(MIN_CELL_ROWS)]
    de_ml = [("ml_engineer", "DE", 100.0)] * (MIN_CELL_ROWS - 1)  # too small a cell
    analysts = [("data_analyst", "US", 50.0)] * MIN_CELL_ROWS
    train = frame(us_ml + de_ml + analysts)
    log_pay = np.log(train["salary_usd"].to_numpy())
    model = GroupMedianBaseline().fit(train, log_pay)

    test = frame([("ml_engineer", "US", 0.0), ("ml_engineer", "DE", 0.0), ("manager", "FR", 0.0)])
    cell, role, overall = np.exp(model.predict(test))
    assert cell == pytest.approx(202.0)  # median of 200..204
    ml_rows = [200.0 + i for i in range(MIN_CELL_ROWS)] + [100.0] * (MIN_CELL_ROWS - 1)
    assert role == pytest.approx(np.exp(np.median(np.log(ml_rows))))
    assert overall == pytest.approx(np.exp(np.median(log_pay)))


def test_group_median_treats_missing_country_as_its_own_cell():
    train = frame([("ml_engineer", None, 300.0)] * MIN_CELL_ROWS)
    model = GroupMedianBaseline().fit(train, np.log(train["salary_usd"].to_numpy()))
    assert np.exp(model.predict(frame([("ml_engineer", None, 0.0)])))[0] == pytest.approx(300.0)


def test_ridge_learns_additive_effects_and_handles_missing_values():
    rng = np.random.default_rng(0)
    n = 600
    role = rng.choice(["ml_engineer", "data_analyst"], n)
    years = rng.uniform(0, 20, n)
    years[::10] = np.nan
    log_pay = 11 + 0.4 * (role == "ml_engineer") + 0.03 * np.nan_to_num(years, nan=10)
    profiles = conform(
        pd.DataFrame({"role": role, "years_experience": years, "salary_usd": np.exp(log_pay)})
    )
    spec = FeatureSpec.fit(profiles, ["role", "years_experience"], min_count=1)
    matrix = FeatureEncoder(spec).encode_frame(profiles)
    predicted = fit_predict_baselines(spec, profiles, matrix, log_pay, profiles, matrix)
    assert np.abs(predicted["ridge"] - log_pay).max() < 0.05
    assert set(predicted) == {"group_median", "ridge"}
    assert all(math.isfinite(v) for v in predicted["group_median"])
