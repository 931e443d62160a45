"""The interval of a pay year past the training years (`calibration.year_ahead`, issue 9).

Pay drifts year to year and a model cannot see next year's drift, so an interval calibrated on
the training years under-covers the year after them. Training measures how much wider it must
be: each source's latest year, predicted by a model of the earlier years, against as many of
its rows drawn at random from all its years, predicted by a model of the rest. Synthetic
aijobs-format files with a known jump in the last year check that the measurement sees the
jump, that prediction widens only the intervals of profiles past the training years, and that
the widened interval covers a year that drifts again.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from training_factory import aijobs_frame, small_config, small_config_dict, write_config

from mlpay_model import predict_salary
from mlpay_model.errors import ConfigError
from mlpay_model.model import load_model
from mlpay_model.model.artifact import calibration_adjustments, read_manifest
from training.calibrate import latest_year_rows
from training.config import load_config
from training.data import load_training_data
from training.train import train

JUMP = 1.3  # pay of the latest year vs the years before, unseen by a model of those years


def _drifting_frame(rows: int, seed: int, jump_from: int = 2024, years=None) -> pd.DataFrame:
    """aijobs rows whose pay is JUMP times higher from `jump_from` on (and JUMP again per
    later year)."""
    frame = aijobs_frame(rows, seed=seed, duplicate_share=0.0 if years else 0.3)
    if years is not None:
        frame["work_year"] = years
    steps = np.clip(frame["work_year"].to_numpy() - jump_from + 1, 0, None)
    for column in ("salary", "salary_in_usd"):
        frame[column] = (frame[column] * JUMP**steps).round().astype(int)
    return frame


@pytest.fixture(scope="module")
def drifting(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "salaries.csv"
    _drifting_frame(3000, seed=0).to_csv(path, index=False)
    return train(small_config(path), staging_dir=tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def steady(tmp_path_factory):
    """Every row from 2023: no year follows another, nothing to measure."""
    path = tmp_path_factory.mktemp("steady") / "salaries.csv"
    frame = aijobs_frame(3000, seed=1)
    frame["work_year"] = 2023
    frame.to_csv(path, index=False)
    return train(small_config(path), staging_dir=tmp_path_factory.mktemp("steady-model"))


def test_the_latest_year_of_each_source_with_an_earlier_one_is_held_out_with_its_step():
    rows = pd.DataFrame(
        {
            "source": ["aijobs"] * 4 + ["stackoverflow"] * 3 + ["kaggle"] * 2,
            "year": [2022, 2023, 2023, 2021, 2017, 2024, 2024, 2019, 2019],
        }
    )
    held_out, measured_on, steps = latest_year_rows(rows)
    assert measured_on == {"aijobs": 2023, "stackoverflow": 2024}  # kaggle: 2019 alone
    assert steps == {"aijobs": 1, "stackoverflow": 7}
    assert held_out.tolist() == [False, True, True, False, False, True, True, False, False]


@pytest.mark.slow
def test_a_jump_in_the_latest_year_is_measured_and_recorded(drifting):
    calibration = read_manifest(drifting.artifact_dir)["calibration"]
    ahead = calibration["year_ahead"]
    assert ahead["measured_on"] == {"aijobs": 2024}
    held_out = int((drifting.data.profiles["year"] < 2025).sum())
    assert 0 < ahead["rows"] < held_out  # the 2024 rows only
    # The model of 2022-2023 predicts 2024 about log(1.3) = 0.26 too low; one that lacks as
    # many rows drawn from every year does not.
    assert ahead["ahead_q"] - ahead["in_time_q"] == pytest.approx(ahead["adjustment"])
    assert 0.1 < ahead["adjustment"] < 0.5
    assert drifting.metrics["calibration_year_ahead"] == ahead["adjustment"]


@pytest.mark.slow
def test_only_a_year_past_the_training_years_gets_the_wider_interval(drifting):
    model = load_model(drifting.artifact_dir)
    extra = calibration_adjustments(model.manifest).year_ahead_of(model.default_population)
    profile = {"role": "Data Scientist", "country": "US", "seniority": "senior"}
    latest, ahead = (
        predict_salary(**profile, year=year, model=drifting.artifact_dir) for year in (2024, 2026)
    )
    default = predict_salary(**profile, model=drifting.artifact_dir)
    assert (default.low, default.high) == (latest.low, latest.high)  # defaults to 2024
    assert ahead.median == latest.median  # the trees hold the 2024 level
    assert ahead.high / latest.high == pytest.approx(math.exp(extra), rel=1e-9)
    assert latest.low / ahead.low == pytest.approx(math.exp(extra), rel=1e-9)
    widened = f"its range is {math.exp(extra) - 1:.1%} wider each way"
    assert any(widened in warning for warning in ahead.warnings)
    assert not any("wider" in warning for warning in latest.warnings)
    # Batch scoring prices every row alike.
    frame = pd.DataFrame([{**profile, "year": 2024}, {**profile, "year": 2026}, profile])
    batch = model.predict(frame)
    assert batch["high"].tolist() == pytest.approx([latest.high, ahead.high, latest.high])
    assert batch["low"].tolist() == pytest.approx([latest.low, ahead.low, latest.low])


@pytest.mark.slow
def test_the_wider_interval_covers_a_year_that_drifts_again(drifting, tmp_path):
    fresh = tmp_path / "fresh.csv"
    _drifting_frame(20_000, seed=5, years=2025).to_csv(fresh, index=False)
    rows = load_training_data(small_config(fresh)).profiles
    pay = rows["salary_usd"].to_numpy()
    model = load_model(drifting.artifact_dir)
    widened = model.predict(rows)
    plain = model.predict(rows.assign(year=2024))  # the same trees, the in-time q
    assert np.array_equal(widened["median"], plain["median"])

    def coverage(predicted: pd.DataFrame) -> float:
        return float(np.mean((predicted["low"] <= pay) & (pay <= predicted["high"])))

    assert coverage(plain) < 0.7  # pay jumped 30% again
    assert coverage(widened) > coverage(plain) + 0.05


@pytest.mark.slow
def test_no_consecutive_years_means_nothing_to_add(steady):
    calibration = read_manifest(steady.artifact_dir)["calibration"]
    assert calibration["year_ahead"] is None
    assert "calibration_year_ahead" not in steady.metrics
    profile = {"role": "Data Scientist", "country": "US", "seniority": "senior"}
    now, later = (
        predict_salary(**profile, year=year, model=steady.artifact_dir) for year in (2023, 2026)
    )
    assert (now.low, now.median, now.high) == (later.low, later.median, later.high)


def test_year_ahead_belongs_to_cross_conformal(tmp_path):
    config = small_config_dict(
        tmp_path / "x.csv", calibration={"method": "split", "year_ahead": False}
    )
    with pytest.raises(ConfigError, match="'year_ahead' applies to method: cross_conformal"):
        load_config(write_config(tmp_path / "bad.yaml", config))


def test_a_pooled_model_prices_a_later_year_at_the_populations_latest():
    # The pooled trees also split on other sources' years (Stack Overflow has 2025 pay), so a
    # year past aijobs.net's 2024 must be read as 2024, as the warning says, not as a 2025 row.
    profile = {"role": "ML Engineer", "country": "Germany", "years_experience": 5}
    latest, later = (predict_salary(**profile, year=year) for year in (2024, 2026))
    assert later.median == latest.median and later.high > latest.high
    by_source = {entry.source: entry for entry in later.by_source}
    overflow = predict_salary(**profile, population="stackoverflow", year=2025)
    assert by_source["stackoverflow"].median == pytest.approx(overflow.median, rel=1e-12)
    frame = pd.DataFrame([{**profile, "year": 2024}, {**profile, "year": 2026}])
    batch = load_model("default").predict(frame)
    assert batch["median"].tolist() == pytest.approx([latest.median] * 2, rel=1e-12)
    assert batch["high"].tolist() == pytest.approx([latest.high, later.high], rel=1e-12)
