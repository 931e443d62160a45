"""`SalaryRegressor`: the scikit-learn estimator, on raw aijobs.net profile columns.

scikit-learn's own estimator checks run through `parametrize_with_checks`. Most of them
generate numeric arrays as X; a profile-frame estimator refuses those by design (there are
no role or country columns in a random matrix), so they are listed in EXPECTED_FAILED with
the reason, and the properties they check that do apply (fit returns self, pickling,
idempotent fits, row-order and subset invariance, parameters left alone, n_features_in_) are
tested here on real profile frames instead.
"""

from __future__ import annotations

import pickle
from typing import Final

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlpay_model.errors import InvalidInputError
from mlpay_model.model.fitting import fit_model
from mlpay_model.normalise import normalise_frame
from training import SalaryRegressor

FAST: Final = {"n_estimators": 20, "learning_rate": 0.2, "num_leaves": 7}

_NUMERIC = (
    "feeds a numeric array as X: SalaryRegressor reads a DataFrame of profile columns "
    "(role, country, ...) and refuses anything else with one InvalidInputError; the property "
    "this check tests is tested in test_estimator.py on profile frames"
)
_NUMERIC_ONLY = (
    "feeds a numeric array as X and expects scikit-learn's own message for it (%s); "
    "SalaryRegressor refuses any array that is not a profile DataFrame, with its own message"
)
_SPARSE = (
    "feeds a sparse numeric matrix: a profile frame is never sparse; refused as not a "
    "DataFrame of profile columns"
)
EXPECTED_FAILED: Final[dict[str, str]] = {
    "check_fit_score_takes_y": _NUMERIC,
    "check_estimators_overwrite_params": _NUMERIC,
    "check_dont_overwrite_parameters": _NUMERIC,
    "check_estimators_fit_returns_self": _NUMERIC,
    "check_readonly_memmap_input": _NUMERIC,
    "check_n_features_in_after_fitting": _NUMERIC,
    "check_positive_only_tag_during_fit": _NUMERIC_ONLY % "negative X values",
    "check_estimators_dtypes": _NUMERIC_ONLY % "float32/int arrays",
    "check_complex_data": _NUMERIC_ONLY % "complex numbers",
    "check_dtype_object": _NUMERIC,
    "check_estimators_empty_data_messages": _NUMERIC_ONLY % "an array of 0 features",
    "check_pipeline_consistency": _NUMERIC,
    "check_estimator_sparse_tag": _SPARSE,
    "check_estimator_sparse_array": _SPARSE,
    "check_estimator_sparse_matrix": _SPARSE,
    "check_estimators_pickle": _NUMERIC,
    "check_f_contiguous_array_estimator": _NUMERIC_ONLY % "memory layout of arrays",
    "check_regressors_train": _NUMERIC,
    "check_regressor_data_not_an_array": _NUMERIC,
    "check_regressors_no_decision_function": _NUMERIC,
    "check_supervised_y_2d": _NUMERIC,
    "check_regressors_int": _NUMERIC,
    "check_methods_sample_order_invariance": _NUMERIC,
    "check_methods_subset_invariance": _NUMERIC,
    "check_fit2d_1sample": _NUMERIC_ONLY % "one sample",
    "check_fit2d_1feature": _NUMERIC_ONLY % "one feature",
    "check_dict_unchanged": _NUMERIC,
    "check_fit_idempotent": _NUMERIC,
    "check_fit_check_is_fitted": _NUMERIC,
    "check_n_features_in": _NUMERIC,
    "check_fit2d_predict1d": _NUMERIC_ONLY % "1-D X at predict",
}


@parametrize_with_checks([SalaryRegressor()], expected_failed_checks=lambda _e: EXPECTED_FAILED)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# --- on real profiles ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def aijobs(data_file) -> tuple[pd.DataFrame, np.ndarray]:
    """1,500 aijobs.net rows as the publisher writes them (raw titles, codes such as SE, FT,
    M), renamed to profile columns, and their base salary in USD."""
    raw = pd.read_csv(data_file("aijobs/salaries.csv"))
    raw = raw.sample(1500, random_state=3).reset_index(drop=True)
    X = pd.DataFrame(
        {
            "role": raw["job_title"],
            "country": raw["employee_residence"],
            "seniority": raw["experience_level"],
            "employment_type": raw["employment_type"],
            "remote_ratio": raw["remote_ratio"],
            "company_size": raw["company_size"],
            "year": raw["work_year"],
        }
    )
    return X, raw["salary_in_usd"].to_numpy(dtype=np.float64)


@pytest.fixture(scope="module")
def fitted(aijobs) -> SalaryRegressor:
    X, y = aijobs
    return SalaryRegressor(**FAST).fit(X, y)


def test_fit_on_raw_columns_predicts_the_median_and_a_calibrated_interval(aijobs, fitted):
    X, y = aijobs
    assert fitted.features_ == (
        "role",
        "country",
        "seniority",
        "employment_type",
        "remote_ratio",
        "company_size",
        "year",
    )
    assert fitted.n_features_in_ == 7 and list(fitted.feature_names_in_) == list(X.columns)
    median = fitted.predict(X)
    low, high = fitted.predict_interval(X)
    assert median.shape == low.shape == high.shape == (len(X),)
    assert (low <= median).all() and (median <= high).all()
    assert 0.7 < np.mean((low <= y) & (y <= high)) < 0.9  # about the 80% asked for
    assert fitted.score(X, y) > 0.2  # R² of pay: role, country and seniority explain a part
    assert fitted.n_calibration_rows_ >= 20


def test_canonical_columns_give_the_same_model_as_raw_ones(aijobs, fitted):
    X, y = aijobs
    canonical = normalise_frame(X).profiles.loc[:, list(X.columns)]
    again = SalaryRegressor(**FAST).fit(canonical, y)
    np.testing.assert_allclose(again.predict(X), fitted.predict(X), rtol=1e-12)


def test_params_are_the_hyperparameters(fitted):
    params = fitted.get_params()
    assert {"n_estimators", "learning_rate", "num_leaves", "coverage", "features"} <= set(params)
    assert params["n_estimators"] == 20 and params["features"] is None
    copy = clone(fitted).set_params(num_leaves=3, coverage=0.9)
    assert copy.get_params()["num_leaves"] == 3 and copy.coverage == 0.9
    assert not hasattr(copy, "boosters_")  # clone is unfitted


def test_a_wider_coverage_gives_a_wider_interval(aijobs, fitted):
    X, y = aijobs
    wide = clone(fitted).set_params(coverage=0.95).fit(X, y)
    low, high = fitted.predict_interval(X)
    wide_low, wide_high = wide.predict_interval(X)
    assert np.mean(wide_high - wide_low) > np.mean(high - low)
    assert np.mean((wide_low <= y) & (y <= wide_high)) > 0.9


def _continues(median, head) -> bool:
    """True when `head` holds more trees than `median` and, after the first (which carries
    the shift to the head's quantile), the median's trees as they are (LightGBM's dump)."""
    trees = median.dump_model()["tree_info"]
    own = head.dump_model()["tree_info"]
    return len(own) > len(trees) and all(
        a["tree_structure"] == b["tree_structure"]
        for a, b in zip(trees[1:], own[1 : len(trees)], strict=True)
    )


def test_quantile_heads_continue_the_median_as_mlpay_train_does(aijobs, fitted):
    X, y = aijobs
    assert _continues(fitted.boosters_["median"], fitted.boosters_["high"])
    assert fitted.quantile_heads == "from_median"
    independent = clone(fitted).set_params(quantile_heads="independent").fit(X, y)
    assert not _continues(independent.boosters_["median"], independent.boosters_["high"])
    median = fitted.predict(X)
    _, from_median_high = fitted.predict_interval(X)
    _, independent_high = independent.predict_interval(X)
    np.testing.assert_array_equal(independent.predict(X), median)  # same median booster
    # Continued heads keep every high end clear of the median; independent ones may not.
    assert np.mean(from_median_high <= 1.1 * median) <= np.mean(independent_high <= 1.1 * median)
    with pytest.raises(ValueError, match=r"quantile_heads='offsets'.*'from_median' or"):
        SalaryRegressor(quantile_heads="offsets").fit(X, y)


def test_features_choose_the_columns(aijobs):
    X, y = aijobs
    model = SalaryRegressor(features=("role", "country"), **FAST).fit(X, y)
    assert model.spec_.features == ("role", "country")
    with pytest.raises(ValueError, match="unknown or none"):
        SalaryRegressor(features=("gender",)).fit(X, y)


def test_estimator_properties_on_profile_frames(aijobs, fitted):
    """What the numeric-array checks test, on profile frames."""
    X, y = aijobs
    params = fitted.get_params()
    before = dict(fitted.__dict__)
    median = fitted.predict(X)
    assert fitted.__dict__.keys() == before.keys()  # predict changes nothing
    assert fitted.get_params() == params  # fit left the parameters alone
    again = SalaryRegressor(**FAST)
    assert again.fit(X, y) is again  # fit returns self
    np.testing.assert_array_equal(again.predict(X), median)  # fitting is idempotent
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(fitted.predict(X.iloc[order]), median[order])
    np.testing.assert_array_equal(fitted.predict(X.iloc[:10]), median[:10])
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), median)
    np.testing.assert_array_equal(
        SalaryRegressor(**FAST).fit(X, y.reshape(-1, 1)).predict(X), median
    )  # y as one column


def test_unfitted_and_bad_inputs_are_refused(aijobs):
    X, y = aijobs
    with pytest.raises(NotFittedError):
        SalaryRegressor().predict(X)
    with pytest.raises(InvalidInputError, match="DataFrame of profile columns"):
        SalaryRegressor().fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="positive"):
        SalaryRegressor().fit(X, -y)
    with pytest.raises(ValueError, match="one annual pay"):
        SalaryRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="target y is None"):
        SalaryRegressor().fit(X, None)
    with pytest.raises(ValueError, match="at least 20 rows"):
        SalaryRegressor().fit(X.head(30), y[:30])
    with pytest.raises(ValueError, match="coverage"):
        SalaryRegressor(coverage=1.5).fit(X, y)


def test_a_row_that_cannot_be_read_names_its_row_field_and_value(aijobs, fitted):
    X, y = aijobs
    bad = X.copy()
    bad.loc[7, "country"] = "Atlantis"
    with pytest.raises(InvalidInputError) as caught:
        fitted.predict(bad)
    assert caught.value.field == "country" and caught.value.value == "Atlantis"
    assert "row 7" in str(caught.value)
    with pytest.raises(InvalidInputError, match="row 7"):
        SalaryRegressor(**FAST).fit(bad, y)
    with pytest.raises(InvalidInputError, match="missing required column"):
        fitted.predict(X.drop(columns="country"))


def _from_hr_export(frame: pd.DataFrame) -> pd.DataFrame:
    """An HR export's column names as profile columns (a pipeline's first step)."""
    return frame.rename(columns={"job_title": "role", "residence": "country"})


def test_in_a_pipeline(aijobs):
    X, y = aijobs
    export = X.rename(columns={"role": "job_title", "country": "residence"})
    pipeline = Pipeline(
        [
            ("columns", FunctionTransformer(_from_hr_export)),
            ("pay", SalaryRegressor(**FAST)),
        ]
    ).fit(export, y)
    direct = SalaryRegressor(**FAST).fit(X, y)
    np.testing.assert_allclose(pipeline.predict(export), direct.predict(X), rtol=1e-12)
    assert pipeline.get_params()["pay__num_leaves"] == 7


def test_cross_val_score(aijobs):
    X, y = aijobs
    scores = cross_val_score(
        SalaryRegressor(**FAST),
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    )
    assert scores.shape == (3,) and (scores < 0).all() and (-scores < 80_000).all()


def test_grid_search(aijobs):
    X, y = aijobs
    search = GridSearchCV(
        SalaryRegressor(**FAST),
        {"num_leaves": [3, 7], "learning_rate": [0.1, 0.3]},
        cv=KFold(2, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    ).fit(X, y)
    assert set(search.best_params_) == {"num_leaves", "learning_rate"}
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.best_estimator_.predict(X.head(5)).shape == (5,)


def test_effects_are_fitted_by_the_one_fit_training_runs(aijobs):
    """With `effects`, education is an effect beside the boosters (as in `mlpay train`'s
    default model), fitted by `mlpay_model.model.fitting.fit_model` as training fits it."""
    X, y = aijobs
    levels = np.array(["bachelor", "master", "phd"])[np.arange(len(X)) % 3]
    X = X.assign(education=levels)
    y = y * np.where(levels == "phd", 1.3, 1.0)  # a PhD earns 30% more, all else alike
    model = SalaryRegressor(effects=("education",), **FAST).fit(X, y)
    assert model.effects_ is not None and "education" not in model.spec_.features
    phd = model.predict(X.assign(education="phd"))
    bachelor = model.predict(X.assign(education="bachelor"))
    assert np.all(phd > bachelor)
    assert 1.1 < float(np.median(phd / bachelor)) < 1.5

    settings = model._settings(list(model.features_))
    assert settings.effects is not None and settings.effects.factors == ("education",)
    with pytest.raises(ValueError, match="both list"):
        SalaryRegressor(features=("role", "education"), effects=("education",)).fit(X, y)
    with pytest.raises(ValueError, match="choose from"):
        SalaryRegressor(effects=("gender",)).fit(X, y)


def test_the_estimator_and_training_share_one_fit(aijobs, fitted):
    """`fitted.model_` is `mlpay_model.model.fitting.fit_model` (the fit `mlpay train` runs)
    of the estimator's settings on its fitting rows, the normalised profiles."""
    X, y = aijobs
    profiles = normalise_frame(X).profiles
    assert profiles.index.equals(X.index)
    rows = profiles.assign(salary_usd=y, salary_usd_low=np.nan, salary_usd_high=np.nan)
    from mlpay_model.data.split import deal_groups, group_keys

    parts = deal_groups(
        group_keys(rows, list(fitted.features_)), 0.0, 0.2, np.random.default_rng(0)
    )
    again = fit_model(
        fitted._settings(list(fitted.features_)), profiles.loc[parts == 0], np.log(y[parts == 0])
    )
    assert again.spec == fitted.model_.spec and again.effects is None
    for head, booster in again.boosters.items():
        assert booster.model_to_string() == fitted.boosters_[head].model_to_string()


def test_cross_conformal_calibrates_as_mlpay_train_does(aijobs):
    """calibration="cross_conformal": the boosters learn from every row and q comes from the
    out-of-fold scores of grouped folds, through `training.calibrate.calibrate`, the stage
    `mlpay train` runs; split and cross-conformal estimators give different, valid intervals."""
    from training.calibrate import calibrate

    X, y = aijobs
    model = SalaryRegressor(calibration="cross_conformal", folds=3, **FAST).fit(X, y)
    assert model.n_calibration_rows_ == len(X)  # every row scored out of fold
    rows = normalise_frame(X).profiles.assign(
        salary_usd=y, salary_usd_low=np.nan, salary_usd_high=np.nan
    )
    by_stage = calibrate(model._plan(list(model.features_)), rows)
    assert by_stage.calibrator.q == model.adjustment_
    for head, booster in by_stage.evaluated.boosters.items():
        assert booster.model_to_string() == model.boosters_[head].model_to_string()
    low, high = model.predict_interval(X)
    inside = float(np.mean((y >= low) & (y <= high)))
    assert 0.7 < inside < 0.95  # in-sample, of boosters that saw every row
    with pytest.raises(ValueError, match="calibration='nested'"):
        SalaryRegressor(calibration="nested").fit(X, y)
    with pytest.raises(ValueError, match="folds=1"):
        SalaryRegressor(calibration="cross_conformal", folds=1).fit(X, y)
    with pytest.raises(ValueError, match="rows per fold"):
        SalaryRegressor(calibration="cross_conformal", folds=20, **FAST).fit(X[:300], y[:300])
