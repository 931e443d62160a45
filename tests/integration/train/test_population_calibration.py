"""Calibration per population (Mondrian conformal): a model of several sources gives each
source's people an interval that covers 80% of them, not only 80% of the sources mixed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from training_factory import aijobs_frame, small_config

from mlpay_model import load_model, predict_salary
from mlpay_model.model.artifact import read_manifest
from mlpay_model.normalise import normalise_frame
from training.evaluate import interval_coverage
from training.train import train

pytestmark = pytest.mark.slow  # every test trains two models of two sources

NOISE = {"aijobs": 0.15, "csv": 0.6}  # log-pay noise: the csv source's pay is far less certain
MAPPING = """\
source_name: hr
columns:
  role: job_title
  country: company_location
  seniority: experience_level
  remote_ratio: remote_ratio
  company_size: company_size
  year: work_year
  salary_usd: salary_in_usd
"""


def _with_noise(frame: pd.DataFrame, sigma: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    noise = np.exp(rng.normal(0.0, sigma, len(frame)))
    pay = (frame["salary_in_usd"] * noise).round(-2).astype(int)
    return frame.assign(salary=pay, salary_in_usd=pay)


def _train(folder: Path, **calibration: object):
    aijobs = folder / "salaries.csv"
    _with_noise(aijobs_frame(3000, seed=3, duplicate_share=0.0), NOISE["aijobs"], 1).to_csv(
        aijobs, index=False
    )
    hr = folder / "hr.csv"
    _with_noise(aijobs_frame(3000, seed=4, duplicate_share=0.0), NOISE["csv"], 2).to_csv(
        hr, index=False
    )
    (folder / "hr.yaml").write_text(MAPPING, encoding="utf-8")
    config = small_config(
        aijobs,
        sources=[
            {"adapter": "aijobs", "path": str(aijobs)},
            {"adapter": "csv", "path": str(hr), "mapping": str(folder / "hr.yaml")},
        ],
        features=["source", "role", "country", "seniority", "remote_ratio", "company_size"],
        population="aijobs",
        calibration=calibration,
    )
    return train(config, staging_dir=folder / "out")


@pytest.fixture(scope="module")
def per_population(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("mondrian"))


@pytest.fixture(scope="module")
def model_wide(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("model-wide"), per_population=False)


def _coverage_by_source(result) -> dict[str, float]:
    test = result.test_predictions
    shares = interval_coverage(
        test["pred_low"].to_numpy(),
        test["pred_high"].to_numpy(),
        test["target_low"].to_numpy(),
        test["target_high"].to_numpy(),
    )
    return pd.Series(shares, index=test.index).groupby(test["source"].to_numpy()).mean().to_dict()


def test_each_source_gets_its_own_q_recorded_in_the_manifest(per_population, model_wide):
    calibration = read_manifest(per_population.artifact_dir)["calibration"]
    q = calibration["by_population"]
    assert set(q) == {"aijobs", "csv"}
    assert q["csv"] > calibration["adjustment"] > q["aijobs"]  # the noisier source, wider
    assert "by_population" not in read_manifest(model_wide.artifact_dir)["calibration"]


def test_the_interval_covers_80_percent_of_each_source_not_only_of_both(per_population, model_wide):
    mixed = _coverage_by_source(model_wide)
    # One q for both: the certain source's interval is too wide, the other's too narrow.
    # (the quantile heads read `source`, so they learn part of the gap themselves)
    assert mixed["aijobs"] - mixed["csv"] > 0.06, mixed
    own = _coverage_by_source(per_population)
    assert abs(own["aijobs"] - own["csv"]) < (mixed["aijobs"] - mixed["csv"]) / 1.5, (mixed, own)
    for source, coverage in own.items():  # about 600 test rows each: +-1.6 points of noise
        assert 0.76 <= coverage <= 0.84, (source, own)


def test_a_prediction_uses_its_populations_q(per_population):
    model = load_model(per_population.artifact_dir)
    q = read_manifest(per_population.artifact_dir)["calibration"]["by_population"]
    assert model.adjustments.of("csv") == q["csv"] and model.adjustments.of("aijobs") == q["aijobs"]
    profile = {"role": "Data Scientist", "country": "US", "seniority": "senior"}
    aijobs = predict_salary(**profile, model=model)
    hr = predict_salary(**profile, population="csv", model=model)
    # Per person the same: the single call and a canonical frame of both populations agree.
    canonical = normalise_frame(pd.DataFrame([profile, profile])).profiles
    frame = model.predict(canonical.assign(source=["aijobs", "csv"]))
    assert frame["high"].tolist() == pytest.approx([aijobs.high, hr.high], rel=1e-12)
    assert frame["low"].tolist() == pytest.approx([aijobs.low, hr.low], rel=1e-12)
    assert hr.high / hr.low > aijobs.high / aijobs.low * 1.5
    by_source = {entry.source: entry for entry in aijobs.by_source}
    assert by_source["csv"].median == pytest.approx(hr.median, rel=1e-12)
