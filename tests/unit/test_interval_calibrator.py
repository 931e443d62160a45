"""`IntervalCalibrator` (issue 23 item 3): the interval's one owner, fitted in training and
applied at run time. Unit tests on synthetic scores; the trained pipelines are in
test_calibration.py, test_population_calibration.py and test_year_ahead.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mlpay_model.errors import ArtifactError
from mlpay_model.model.interval import (
    MIN_POPULATION_ROWS,
    HeldOut,
    IntervalCalibrator,
    calibrated_interval,
    interval_coverage,
)


def cqr_quantile(scores: np.ndarray, coverage: float) -> float:
    """Split-conformal CQR: the ceil((n + 1) * coverage)-th smallest score."""
    rank = math.ceil((len(scores) + 1) * coverage)
    return float(np.sort(scores)[rank - 1])


def exact_pay(n: int, noise: float, seed: int, populations=None) -> HeldOut:
    rng = np.random.default_rng(seed)
    median = rng.normal(11, 0.3, n)
    truth = np.exp(median + rng.normal(0, noise, n))
    return HeldOut((median, median - 0.3, median + 0.3), truth, truth, populations)


def test_q_is_split_cqr_on_exact_pay():
    held_out = exact_pay(500, 0.4, seed=0)
    q = IntervalCalibrator(coverage=0.8).conformal_q(held_out)
    _median, low, high = held_out.raw
    scores = np.maximum(low - np.log(held_out.target_low), np.log(held_out.target_low) - high)
    assert q == pytest.approx(cqr_quantile(scores, 0.8), abs=1e-9)
    assert q > 0  # the raw interval was too narrow for this noise


def test_q_shrinks_too_wide_intervals():
    rng = np.random.default_rng(1)
    median = np.full(400, 11.0)
    truth = np.exp(11 + rng.normal(0, 0.1, 400))
    held_out = HeldOut((median, median - 2, median + 2), truth, truth)
    assert IntervalCalibrator(coverage=0.8).conformal_q(held_out) < -1.5


def test_a_band_counts_by_the_share_of_it_inside():
    # One row: the finite-sample level is 100%, so the interval must hold the whole band.
    held_out = HeldOut(
        (np.array([11.0]), np.array([10.9]), np.array([11.1])),
        np.array([40_000.0]),
        np.array([90_000.0]),
    )
    q = IntervalCalibrator(coverage=0.8).conformal_q(held_out)
    assert q == pytest.approx(max(10.9 - math.log(40_000), math.log(90_000) - 11.1), abs=1e-8)
    # Half of a band inside counts as half covered (log scale).
    share = interval_coverage(
        np.array([100.0]), np.array([1000.0]), np.array([10.0]), np.array([1000.0])
    )
    assert share[0] == pytest.approx(0.5)


def test_each_population_with_enough_rows_gets_its_own_q():
    n = MIN_POPULATION_ROWS
    noisy, calm = exact_pay(n, 0.6, seed=2), exact_pay(n, 0.1, seed=3)
    few = exact_pay(MIN_POPULATION_ROWS - 1, 0.3, seed=4)
    mixed = HeldOut(
        tuple(np.concatenate(parts) for parts in zip(noisy.raw, calm.raw, few.raw, strict=True)),
        np.concatenate([noisy.target_low, calm.target_low, few.target_low]),
        np.concatenate([noisy.target_high, calm.target_high, few.target_high]),
        np.array(["noisy"] * n + ["calm"] * n + ["few"] * (n - 1)),
    )
    calibrator = IntervalCalibrator(coverage=0.8).conformalize(mixed)
    assert set(calibrator.q_by_population) == {"calm", "noisy"}  # "few" takes the model-wide q
    assert calibrator.q_by_population["noisy"] == calibrator.conformal_q(noisy)
    assert calibrator.q_by_population["calm"] == calibrator.conformal_q(calm)
    assert calibrator.q == calibrator.conformal_q(
        HeldOut(mixed.raw, mixed.target_low, mixed.target_high)
    )
    assert calibrator.of("few") == calibrator.q
    # Without populations: model-wide only.
    assert (
        IntervalCalibrator()
        .conformalize(HeldOut(mixed.raw, mixed.target_low, mixed.target_low))
        .q_by_population
        == {}
    )


def test_the_year_ahead_term_is_the_drift_never_below_zero():
    n = MIN_POPULATION_ROWS
    sources = np.array(["a"] * n)
    drifted, steady = (
        exact_pay(n, 0.5, seed=5, populations=sources),
        exact_pay(n, 0.2, seed=6, populations=sources),
    )
    base = IntervalCalibrator(q=0.1, coverage=0.8)
    widened = base.with_year_ahead(drifted, steady, {"a": 2025})
    expected = base.conformal_q(drifted) - base.conformal_q(steady)
    assert expected > 0
    assert widened.year_ahead == pytest.approx(expected)
    assert widened.year_ahead_by_population == {"a": pytest.approx(expected)}
    assert widened.measured is not None and widened.measured.rows == n
    assert widened.measured.manifest_entry()["measured_on"] == {"a": 2025}
    assert widened.of("a", past=True) == pytest.approx(0.1 + expected)
    assert widened.q == 0.1  # the in-time q is kept
    assert base.with_year_ahead(steady, drifted, {"a": 2025}).year_ahead == 0.0


def test_a_drift_measured_over_several_years_counts_per_year():
    n = MIN_POPULATION_ROWS
    sources = np.array(["a"] * n + ["b"] * n)
    drifted, steady = (
        exact_pay(2 * n, 0.5, seed=5, populations=sources),
        exact_pay(2 * n, 0.2, seed=6, populations=sources),
    )
    base = IntervalCalibrator(q=0.1, coverage=0.8)
    one_year = base.with_year_ahead(drifted, steady, {"a": 2025, "b": 2025})
    b_over_four = base.with_year_ahead(drifted, steady, {"a": 2025, "b": 2025}, {"b": 4})
    drift_b = one_year.year_ahead_by_population["b"]
    assert drift_b > 0
    assert b_over_four.year_ahead_by_population == {
        "a": one_year.year_ahead_by_population["a"],
        "b": pytest.approx(drift_b / 4),
    }
    only_a = drifted.where(sources == "a"), steady.where(sources == "a")
    model_wide = base.conformal_q(only_a[0]) - base.conformal_q(only_a[1])
    assert b_over_four.year_ahead == pytest.approx(model_wide)  # the shortest step's sources
    assert b_over_four.measured is not None
    assert b_over_four.measured.manifest_entry()["step_years"] == {"a": 1, "b": 4}
    assert "step_years" not in one_year.measured.manifest_entry()


def test_predict_interval_applies_q_per_population_and_year():
    calibrator = IntervalCalibrator(
        q=0.1, year_ahead=0.05, q_by_population={"a": 0.2}, year_ahead_by_population={"b": 0.3}
    )
    raw = (np.full(3, 11.0), np.full(3, 10.8), np.full(3, 11.2))
    populations = np.array(["a", "b", "c"])
    past = np.array([True, True, False])
    q = calibrator.per_row(populations, past)
    assert list(q) == pytest.approx([0.25, 0.4, 0.1])
    for got, expected in zip(
        calibrator.predict_interval(raw, populations, past),
        calibrated_interval(*raw, q),
        strict=True,
    ):
        assert np.array_equal(got, expected)
    median, low, _high = calibrator.predict_interval(raw)  # no populations: the model-wide q
    assert np.array_equal(low, np.minimum(np.exp(10.8 - 0.1), median))


def test_the_manifest_block_round_trips():
    calibrator = IntervalCalibrator(coverage=0.8).conformalize(
        exact_pay(
            MIN_POPULATION_ROWS, 0.4, seed=7, populations=np.array(["a"] * MIN_POPULATION_ROWS)
        )
    )
    block = json.loads(json.dumps(calibrator.manifest_entry()))
    assert block["method"] == "conformal_quantile" and block["target_coverage"] == 0.8
    read = IntervalCalibrator.from_manifest({"calibration": block})
    assert (read.q, dict(read.q_by_population), read.coverage) == (
        calibrator.q,
        dict(calibrator.q_by_population),
        0.8,
    )
    assert read.year_ahead == 0.0 and read.year_ahead_by_population == {}


@pytest.mark.parametrize(
    ("calibration", "message"),
    [
        ({"adjustment": "0.1"}, "calibration.adjustment must be a finite number"),
        (
            {"adjustment": 0.1, "year_ahead": {"adjustment": -1}},
            "year_ahead.adjustment must be a finite number >= 0",
        ),
        ({"adjustment": 0.1, "by_population": []}, "calibration.by_population must be an object"),
        ({"adjustment": 0.1, "year_ahead": 3}, "year_ahead must be an object or null"),
    ],
)
def test_a_malformed_block_is_a_clear_artifact_error(calibration, message):
    with pytest.raises(ArtifactError, match=message):
        IntervalCalibrator.from_manifest({"calibration": calibration}, "m.json")


def test_rows_that_share_q_get_one_number():
    calibrator = IntervalCalibrator(q=0.1, year_ahead=0.05, q_by_population={"a": 0.2})
    assert calibrator.of_rows(None, None, "a") == 0.2
    assert calibrator.of_rows(None, np.array([False, False]), "a") == 0.2
    assert list(calibrator.of_rows(None, np.array([True, False]), "b")) == pytest.approx(
        [0.15, 0.1]
    )
    per_row = calibrator.of_rows(np.array(["a", "b"]), np.array([False, True]), "a")
    assert list(per_row) == pytest.approx([0.2, 0.15])
