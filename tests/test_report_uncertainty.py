"""The model-refit check of the report's headline premiums (training.report.uncertainty).

A tiny aijobs-format file with a known pay structure (ML engineers x1.3, software engineers
x1.1) is trained through the real pipeline (`training.train.train`, about a second), so the
refits run on a real manifest config exactly as they do for the shipped models.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from training_factory import TITLES, small_config, write_aijobs_csv

from mlpay_model import compare
from mlpay_model.model.features import FeatureEncoder
from training.data import log_target
from training.report.analysis import FOCUS_ROLE, HEADLINE_PEERS, Settings, analyse
from training.report.uncertainty import (
    RefitPremiums,
    combined_interval,
    fit_median_booster,
    refit_premiums,
)
from training.train import prepare_split, train

TRUE_PREMIUM = TITLES["Machine Learning Engineer"] / TITLES["Software Engineer"] - 1  # +18.2%


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """(config, model, reference) of a model trained on the tiny file by the real pipeline."""
    from mlpay_model.model import load_model

    root = tmp_path_factory.mktemp("refit")
    config = small_config(write_aijobs_csv(root / "salaries.csv", rows=1500))
    result = train(config, staging_dir=root / "models")
    model = load_model(result.artifact_dir)
    return config, model, compare.load_reference(model.manifest)


def test_the_refit_booster_is_the_pipelines_median_booster(trained) -> None:
    # Without resampling, the refit reproduces the shipped median model: the spread of the
    # refits is then the model-fit uncertainty and nothing else.
    config, model, reference = trained
    prepared = prepare_split(config, reference.profiles)
    booster = fit_median_booster(
        config, prepared.spec, prepared.matrices["train"], log_target(prepared.parts["train"])
    )
    people = reference.profiles.head(300)
    refit = np.exp(booster.predict(FeatureEncoder(prepared.spec).encode_frame(people)))
    np.testing.assert_allclose(refit, model.predict(people)["median"], rtol=1e-12)


def test_refits_vary_around_the_shipped_premium_and_are_reproducible(trained) -> None:
    config, model, reference = trained
    people = compare.sample_people(reference.profiles, 400)
    [shipped] = compare.compare_roles(
        model, reference.profiles, FOCUS_ROLE, ["software_engineer"], max_people=400
    )
    options = {"refits": 4, "seed": 3}
    first = refit_premiums(
        config, reference.profiles, people, FOCUS_ROLE, ["software_engineer"], **options
    )
    again = refit_premiums(
        config, reference.profiles, people, FOCUS_ROLE, ["software_engineer"], **options
    )
    refits = first["software_engineer"]
    assert refits == again["software_engineer"]
    assert len(refits.premiums) == 4 and len(set(refits.premiums)) == 4
    # Every refit sees the same structure (ML engineers paid more) and the shipped model's
    # premium sits within the refits' spread.
    assert all(0 < premium < 2 * TRUE_PREMIUM for premium in refits.premiums)
    assert shipped.premium is not None
    assert abs(shipped.premium - np.mean(refits.premiums)) < 3 * refits.sd


def test_combined_interval_adds_the_refit_spread_to_the_people_interval() -> None:
    people_ci = (0.09, 0.11)
    refits = RefitPremiums("ml_engineer", "software_engineer", (0.07, 0.10, 0.13))
    low, high = combined_interval(0.10, people_ci, refits)
    assert math.isclose(refits.sd, 0.03)
    # Student's t, 95% quantile, 2 degrees of freedom: 2.919986 (tables).
    assert math.isclose(refits.half_width, 2.919986 * 0.03, rel_tol=1e-5)
    assert math.isclose(high - 0.10, math.hypot(0.01, refits.half_width))
    assert math.isclose(0.10 - low, high - 0.10)
    assert low < people_ci[0] and high > people_ci[1]
    # A zero-width people interval (the aijobs case) gets the refit interval alone.
    assert combined_interval(0.10, (0.10, 0.10), refits) == pytest.approx(
        (0.10 - refits.half_width, 0.10 + refits.half_width)
    )
    # Refits that land away from the estimate: the middle 90% of them stays inside.
    shifted = RefitPremiums("ml_engineer", "software_engineer", (0.030, 0.031, 0.032))
    low, high = combined_interval(0.10, people_ci, shifted)
    assert math.isclose(low, 0.0301)  # 5th percentile of 3.0%, 3.1%, 3.2%, interpolated
    assert math.isclose(high, 0.10 + math.hypot(0.01, shifted.half_width))
    # One refit has no spread: nothing to add.
    assert combined_interval(0.10, people_ci, RefitPremiums("a", "b", (0.2,))) == people_ci


def test_analysis_refits_the_headline_premiums_only(trained) -> None:
    _, model, reference = trained
    settings = Settings(min_rows=20, max_people=300, resamples=100, refits=3)
    analysis = analyse(model, reference, settings)
    assert set(analysis.refits) == {
        c.vs for c in analysis.peers if c.vs in HEADLINE_PEERS and c.premium is not None
    }
    assert "software_engineer" in analysis.refits and not analysis.refit_note
    vs_software = analysis.headline("software_engineer")
    assert vs_software is not None and vs_software.ci is not None
    combined = analysis.interval(vs_software)
    assert combined is not None
    assert combined[0] <= vs_software.ci[0] and combined[1] >= vs_software.ci[1]
    others = [c for c in analysis.peers if c.vs not in HEADLINE_PEERS and c.premium is not None]
    assert all(analysis.interval(c) == c.ci for c in others)


def test_analysis_says_why_it_did_not_refit(trained) -> None:
    _, model, reference = trained
    analysis = analyse(model, reference, Settings(min_rows=20, max_people=200, refits=0))
    assert not analysis.refits and "0 refits" in analysis.refit_note
    vs_software = analysis.headline("software_engineer")
    assert vs_software is not None and analysis.interval(vs_software) == vs_software.ci


@pytest.mark.data
@pytest.mark.parametrize("name", ["aijobs", "kaggle", "stackoverflow"])
def test_refits_start_from_each_shipped_models_own_training(data_dir, name: str) -> None:
    # The shipped model's config, split and fit reproduce its median booster exactly, so its
    # refits differ from it by the resampling alone.
    from mlpay_model.model import load_model, models_dir, shipped_models
    from training.config import TrainConfig

    if name not in shipped_models():
        pytest.skip(f"shipped model {name!r} is not in {models_dir()}")
    model = load_model(name)
    reference = compare.load_reference(model.manifest)
    config = TrainConfig.model_validate(model.manifest["config"])
    prepared = prepare_split(config, reference.profiles)
    assert prepared.spec.to_dict() == model.spec.to_dict()
    booster = fit_median_booster(
        config, prepared.spec, prepared.matrices["train"], log_target(prepared.parts["train"])
    )
    people = prepared.parts["test"].head(500)
    refit = np.exp(booster.predict(FeatureEncoder(prepared.spec).encode_frame(people)))
    np.testing.assert_allclose(refit, model.predict(people)["median"], rtol=1e-12)
