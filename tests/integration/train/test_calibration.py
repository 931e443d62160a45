"""Cross-conformal calibration (issue 9, item 5) and the quantile heads built on the median.

A synthetic aijobs-format file with known log-normal pay noise (and, like the real file,
repeated submissions) is trained through the real pipeline twice: with the default
cross-conformal calibration and with the old split method. Fresh rows drawn from the same
generator, never seen by either model, check the promised 80% coverage.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from training_factory import aijobs_frame, small_config, small_config_dict, write_config

from mlpay_model.data.split import group_keys
from mlpay_model.errors import ConfigError, DataError
from mlpay_model.model import load_model
from mlpay_model.model.artifact import ALL_ROWS, boosters_fitted_on_all_rows, read_manifest
from mlpay_model.model.interval import calibrated_interval
from training.calibrate import CalibrationPlan, fit_model, out_of_fold_predictions
from training.config import CalibrationConfig, load_config
from training.data import load_training_data, log_target
from training.evaluate import interval_coverage
from training.split import fold_rows
from training.train import prepare_split, train

ROWS = 3000


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "salaries.csv"
    aijobs_frame(ROWS, seed=0).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fresh_rows(tmp_path_factory) -> pd.DataFrame:
    """New profiles from the same pay structure, read by the same adapter and rules."""
    path = tmp_path_factory.mktemp("fresh") / "salaries.csv"
    aijobs_frame(20_000, seed=99, duplicate_share=0.0).to_csv(path, index=False)
    return load_training_data(small_config(path)).profiles


@pytest.fixture(scope="module")
def cross(data_path, tmp_path_factory):
    return train(small_config(data_path), staging_dir=tmp_path_factory.mktemp("cross"))


@pytest.fixture(scope="module")
def split(data_path, tmp_path_factory):
    config = small_config(data_path, calibration={"method": "split"})
    return train(config, staging_dir=tmp_path_factory.mktemp("split"))


def _fresh_coverage(result, rows: pd.DataFrame) -> float:
    predicted = load_model(result.artifact_dir).predict(rows)
    pay = rows["salary_usd"].to_numpy()
    return float(np.mean((predicted["low"] <= pay) & (pay <= predicted["high"])))


def test_cross_conformal_with_quantile_heads_on_the_median_is_the_default():
    config = CalibrationConfig()
    assert (config.method, config.folds, config.quantile_heads) == (
        "cross_conformal",
        5,
        "from_median",
    )


@pytest.mark.slow
def test_folds_never_split_identical_rows_and_are_balanced(cross):
    config = cross.config
    profiles = cross.data.profiles
    folds = fold_rows(profiles, config.split, features=config.features, folds=5, seed=3)
    keys = group_keys(profiles, config.features)
    per_group = pd.Series(folds).groupby(keys).nunique()
    assert (per_group == 1).all()
    assert per_group.index.size < len(profiles)  # the file does repeat rows
    sizes = np.bincount(folds, minlength=5)
    assert sizes.min() >= 0.8 * len(profiles) / 5
    again = fold_rows(profiles, config.split, features=config.features, folds=5, seed=3)
    assert np.array_equal(folds, again)
    other = fold_rows(profiles, config.split, features=config.features, folds=5, seed=4)
    assert not np.array_equal(folds, other)


@pytest.mark.slow
def test_q_is_the_conformal_quantile_of_the_out_of_fold_scores(cross, split):
    config = cross.config
    prepared = prepare_split(config, cross.data.profiles)
    non_test = np.sort(np.concatenate([prepared.split.train, prepared.split.calibration]))
    rows = cross.data.profiles.iloc[non_test]
    folds = fold_rows(
        rows, config.split, features=config.features, folds=config.calibration.folds, seed=7
    )
    _, low, high = out_of_fold_predictions(CalibrationPlan.of_config(config), rows, folds)
    # Each held-out fold is predicted by a model that never saw it: refit one fold by hand.
    held_out = folds == 0
    by_hand = fit_model(CalibrationPlan.of_config(config), rows.iloc[np.flatnonzero(~held_out)])
    np.testing.assert_allclose(by_hand.raw(rows.iloc[np.flatnonzero(held_out)])[2], high[held_out])
    # Exact pay: q is split-conformal CQR's quantile of max(low - y, y - high).
    log_pay = log_target(rows)
    scores = np.sort(np.maximum(low - log_pay, log_pay - high))
    rank = math.ceil((len(scores) + 1) * config.calibration.target_coverage)
    q = cross.calibration["adjustment"]
    assert scores[rank - 2] < q <= scores[rank - 1] + 1e-9
    assert abs(q - split.calibration["adjustment"]) > 1e-3
    assert cross.calibration["rows"] == len(rows) > split.calibration["rows"]


@pytest.mark.slow
def test_the_interval_holds_80_percent_of_new_profiles(cross, split, fresh_rows):
    # 20,000 fresh rows: the sampling error of a coverage is about 0.3 points.
    assert 0.78 <= _fresh_coverage(cross, fresh_rows) <= 0.84
    assert 0.76 <= _fresh_coverage(split, fresh_rows) <= 0.84
    assert 0.74 <= cross.metrics["test_coverage"] <= 0.86  # ~600 test rows


@pytest.mark.slow
def test_in_sample_scores_would_under_cover_where_out_of_fold_ones_do_not(cross, fresh_rows):
    # Why out-of-fold: the refitted model's scores on its own rows are too small (it has seen
    # those answers), so a q taken from them leaves the interval short on new profiles.
    config = cross.config
    shipped = fit_model(CalibrationPlan.of_config(config), cross.data.profiles)
    _, low, high = shipped.raw(cross.data.profiles)
    log_pay = log_target(cross.data.profiles)
    scores = np.sort(np.maximum(low - log_pay, log_pay - high))
    in_sample_q = scores[math.ceil((len(scores) + 1) * 0.8) - 1]
    assert in_sample_q < cross.calibration["adjustment"]
    _, fresh_low, fresh_high = calibrated_interval(*shipped.raw(fresh_rows), in_sample_q)
    pay = fresh_rows["salary_usd"].to_numpy()
    in_sample_coverage = interval_coverage(fresh_low, fresh_high, pay, pay).mean()
    assert in_sample_coverage < _fresh_coverage(cross, fresh_rows) - 0.005


@pytest.mark.slow
def test_the_shipped_boosters_saw_every_row(cross):
    manifest = read_manifest(cross.artifact_dir)
    calibration = manifest["calibration"]
    rows = len(cross.data.profiles)
    assert calibration["fitted_on"] == ALL_ROWS and boosters_fitted_on_all_rows(manifest)
    assert calibration["fitted_rows"] == rows == sum(cross.split_sizes.values())
    assert calibration["scheme"] == "cross_conformal" and calibration["folds"] == 5
    assert manifest["metrics"]["shipped_rows"] == rows
    sizes = cross.split_sizes
    assert manifest["metrics"]["train_rows"] == sizes["train"] + sizes["calibration"]
    # The files are the boosters of every row (not the evaluated ones), with the same q.
    refit = fit_model(CalibrationPlan.of_config(cross.config), cross.data.profiles)
    test = cross.test_predictions
    expected = calibrated_interval(*refit.raw(test), calibration["adjustment"])
    runtime = load_model(cross.artifact_dir).predict(test)
    for column, values in zip(("median", "low", "high"), expected, strict=True):
        np.testing.assert_allclose(runtime[column], values, rtol=1e-12)
    assert not np.allclose(runtime["median"], test["pred_median"], rtol=1e-6)
    card = (cross.artifact_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert f"all {rows:,} rows (train, calibration and test)" in card
    assert "refitted on the" in card and "non-test rows only" in card


@pytest.mark.slow
def test_the_split_method_ships_the_evaluated_boosters(split):
    manifest = read_manifest(split.artifact_dir)
    assert manifest["calibration"]["fitted_on"] == "train part"
    assert not boosters_fitted_on_all_rows(manifest)
    assert manifest["calibration"]["fitted_rows"] == split.split_sizes["train"]
    frame = split.test_predictions
    runtime = load_model(split.artifact_dir).predict(frame)
    for column in ("median", "low", "high"):
        np.testing.assert_allclose(runtime[column], frame[f"pred_{column}"], rtol=1e-12)


@pytest.mark.slow
def test_cross_conformal_training_is_byte_for_byte_reproducible(data_path, tmp_path):
    config = small_config(data_path, calibration={"method": "cross_conformal", "folds": 3})
    first = train(config, staging_dir=tmp_path / "one")
    second = train(config, staging_dir=tmp_path / "two")
    for name in ("median.txt", "low.txt", "high.txt", "manifest.json", "MODEL_CARD.md"):
        assert (first.artifact_dir / name).read_bytes() == (second.artifact_dir / name).read_bytes()
    assert first.calibration["folds"] == 3


@pytest.mark.slow
def test_quantile_heads_on_the_median_never_collapse_onto_it(cross, fresh_rows, tmp_path):
    # Independent quantile heads start at the whole file's quantile and creep towards each
    # profile's: too wide for many profiles, so q turns negative and, for the profiles whose
    # raw range was right, the high end falls onto the median. Started on the median shifted
    # by the residual quantile, they keep every high end above 1.1 x the median.
    config = cross.config
    calibration = config.calibration.model_copy(update={"quantile_heads": "independent"})
    independent = train(
        config.model_copy(update={"calibration": calibration}), staging_dir=tmp_path
    )
    collapsed = {}
    for name, result in (("from_median", cross), ("independent", independent)):
        predicted = load_model(result.artifact_dir).predict(fresh_rows)
        collapsed[name] = float(np.mean(predicted["high"] <= 1.1 * predicted["median"]))
        test = result.test_predictions
        share = np.mean(test["pred_high"] <= 1.1 * test["pred_median"])
        assert result.metrics["test_collapsed_share"] == pytest.approx(share)
    assert collapsed["from_median"] == 0.0
    assert collapsed["independent"] > 0.005
    assert independent.calibration["adjustment"] < 0 < cross.calibration["adjustment"]
    # The median booster is the same either way.
    median = (cross.artifact_dir / "median.txt").read_bytes()
    assert median == (independent.artifact_dir / "median.txt").read_bytes()


def _config_error(tmp_path, **calibration) -> str:
    path = write_config(
        tmp_path / "bad.yaml", small_config_dict(tmp_path / "x.csv", calibration=calibration)
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    return str(error.value)


def test_bad_calibration_settings_are_one_line_errors(tmp_path):
    message = _config_error(tmp_path, method="jackknife")
    assert "calibration.method" in message and "cross_conformal" in message
    assert "'split'" in message and "jackknife" in message and "\n" not in message
    assert "calibration.folds" in _config_error(tmp_path, folds=1)
    assert "calibration.folds" in _config_error(tmp_path, folds=50)
    message = _config_error(tmp_path, method="split", folds=3)
    assert "'folds' applies to method: cross_conformal only" in message
    message = _config_error(tmp_path, quantile_heads="offsets")
    assert "calibration.quantile_heads" in message and "from_median" in message
    message = _config_error(tmp_path, fold=3)
    assert "unknown key 'fold' in calibration (did you mean folds?)" in message


def test_too_few_rows_for_the_folds_is_a_clear_error(tmp_path):
    path = tmp_path / "salaries.csv"
    aijobs_frame(200, seed=1).to_csv(path, index=False)
    config = small_config(path, calibration={"folds": 20})
    with pytest.raises(DataError, match=r"calibration\.folds 20: a fold holds \d+ row"):
        train(config, staging_dir=tmp_path / "out")
