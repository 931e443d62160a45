"""mlpay_model.model.fitting: the missing-value copy and the second stage of a pooled model."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from mlpay_model.model.features import FeatureSpec
from mlpay_model.model.fitting import (
    FitSettings,
    SecondStage,
    fit_boosters,
    observed_rows,
    with_missing_copy,
)

SPEC = FeatureSpec(
    features=("source", "role", "education", "skills"),
    categories={"source": ("a", "b", "__other__"), "role": ("x", "y", "__other__")},
    skills=("go", "sql"),
)
# source a (codes 0) never reports education or skills and is paid e^1 more; in source b a
# doctorate adds 0.4 and `go` adds 0.3 to log pay.
GAP, DOCTORATE, GO = 1.0, 0.4, 0.3


def _rows(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    source = rng.integers(0, 2, n).astype(float)
    role = rng.integers(0, 2, n).astype(float)
    in_b = source == 1
    doctorate = rng.random(n) < 0.3
    go = rng.random(n) < 0.5
    sql = rng.random(n) < 0.5
    matrix = np.full((n, len(SPEC.feature_names)), np.nan)
    matrix[:, 0], matrix[:, 1] = source, role
    matrix[in_b, 2] = np.where(doctorate[in_b], 5.0, 3.0)  # EDUCATION_LEVELS indices
    matrix[in_b, 3], matrix[in_b, 4] = go[in_b], sql[in_b]
    matrix[in_b, 5] = go[in_b].astype(float) + sql[in_b]
    log_pay = (
        11.0
        + 0.2 * role
        + np.where(in_b, 0.0, GAP)
        + np.where(in_b & doctorate, DOCTORATE, 0.0)
        + np.where(in_b & go, GO, 0.0)
        + rng.normal(0, 0.05, n)
    )
    return matrix, log_pay


def _settings(second_stage: SecondStage | None) -> FitSettings:
    return FitSettings(
        lightgbm={
            "learning_rate": 0.1,
            "num_leaves": 7,
            "min_data_in_leaf": 20,
            "max_bin": 63,
            "num_threads": 1,
            "min_data_per_group": 20,
        },
        num_boost_round=60,
        median_objective="regression",
        quantiles={"low": 0.1, "median": 0.5, "high": 0.9},
        seed=3,
        missing_augmentation=0.3,
        interactions=(("source", "role"), ("role", "education", "skills")),
        second_stage=second_stage,
    )


def test_the_missing_copy_blanks_a_rows_skills_together():
    matrix, log_pay = _rows(500)
    observed = observed_rows(matrix, SPEC, ("skills",))
    copy, _ = with_missing_copy(matrix, log_pay, SPEC, 0.5, np.random.default_rng(0))
    skills = copy[500:][observed][:, 3:]
    blank = np.isnan(skills)
    assert blank.any() and not blank.all()
    assert (blank.all(axis=1) | ~blank.any(axis=1)).all()  # all or none of a row's columns
    assert not np.isnan(copy[500:, :2]).any()  # source and role are always given


def _tree_features(booster: lgb.Booster, first: int, last: int) -> set[str]:
    names = booster.feature_name()
    used: set[str] = set()
    for tree in booster.dump_model()["tree_info"][first:last]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_feature" in node:
                used.add(names[node["split_feature"]])
                stack += [node["left_child"], node["right_child"]]
    return used


@pytest.fixture(scope="module")
def two_stage() -> lgb.Booster:
    matrix, log_pay = _rows()
    return fit_boosters(
        _settings(SecondStage(features=("education", "skills"), rounds=40)),
        SPEC,
        matrix,
        log_pay,
        heads=("median", "high"),
    )


def test_the_first_stage_never_splits_on_the_second_stages_features(two_stage):
    for booster in two_stage.values():
        assert booster.num_trees() == 100
        first = _tree_features(booster, 0, 60)
        second = _tree_features(booster, 60, 100)
        assert "source" in first and not first & {"education", "skill=go", "n_skills"}
        assert "source" not in second and "skill=go" in second and "education" in second


def _predict(booster: lgb.Booster, **values: float) -> float:
    row = np.full((1, len(SPEC.feature_names)), np.nan)
    row[0, 0], row[0, 1] = 0.0, 0.0  # source a, role x
    for position, name in enumerate(SPEC.feature_names):
        key = name.replace("skill=", "")
        if key in values:
            row[0, position] = values[key]
    return float(booster.predict(row)[0])


def test_a_sources_gap_is_not_read_as_the_effect_of_what_it_did_not_ask(two_stage):
    median = two_stage["median"]
    unsaid = _predict(median)
    with_go = _predict(median, go=1.0, sql=0.0, n_skills=1.0)
    without_go = _predict(median, go=0.0, sql=1.0, n_skills=1.0)
    doctorate = _predict(median, education=5.0)
    master = _predict(median, education=3.0)
    # The effects learned in source b carry over to a source a profile ...
    assert with_go - without_go == pytest.approx(GO, abs=0.1)
    assert doctorate - master == pytest.approx(DOCTORATE, abs=0.12)
    # ... around source a's own level when nothing is said, not by the gap between the
    # sources (trees beside `source` would read "no skills" as "source a").
    assert unsaid == pytest.approx(11.0 + GAP, abs=0.1)
    assert abs(with_go - unsaid) < 0.25 and abs(without_go - unsaid) < 0.25
