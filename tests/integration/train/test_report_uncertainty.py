"""The model's own uncertainty: the runtime's refits (`mlpay_model.compare.model_refits`), shared
by `mlpay compare` and the report, and the interval joining them with the people bootstrap.

A tiny aijobs-format file with a known pay structure (ML engineers x1.3, software engineers
x1.1) is trained through the real pipeline (`training.train.train`, about a second), so the
refits run on a real manifest config exactly as they do for the shipped models.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from training_factory import TITLES, small_config, write_aijobs_csv

from mlpay_model import compare
from mlpay_model.compare._refits import _training_part
from mlpay_model.data.split import group_keys
from mlpay_model.model import fitting
from mlpay_model.model.artifact import boosters_fitted_on_all_rows
from mlpay_model.model.features import FeatureEncoder
from training.report.analysis import Settings, analyse
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


def _unresampled_part(model, profiles):
    """The runtime's training part and fit settings."""
    config = model.manifest["config"]
    settings = fitting.FitSettings.from_config(config)
    part = _training_part(
        profiles,
        group_keys(profiles, config["features"]),
        model.spec,
        config["split"],
        config["features"],
        settings.seed,
        all_rows=boosters_fitted_on_all_rows(model.manifest),
    )
    return part, settings


def _unresampled_median(model, profiles):
    """The runtime's training part and fit, without resampling."""
    part, settings = _unresampled_part(model, profiles)
    return fitting.fit_boosters(settings, model.spec, part.matrix, part.log_pay, heads=("median",))[
        "median"
    ]


@pytest.mark.slow
def test_the_runtime_refit_is_the_pipelines_median_booster(trained) -> None:
    # Without resampling, the runtime's refit (no `training` import) reproduces the trained
    # median model: the spread of the refits is then the model-fit uncertainty alone.
    config, model, reference = trained
    booster = _unresampled_median(model, reference.profiles)
    people = prepare_split(config, reference.profiles).parts["test"]
    refit = np.exp(booster.predict(FeatureEncoder(model.spec).encode_frame(people)))
    np.testing.assert_allclose(refit, model.predict(people)["median"], rtol=1e-12)


@pytest.mark.slow
def test_refits_vary_around_the_shipped_premium_and_are_reproducible(trained, tmp_path) -> None:
    _, model, reference = trained
    people = compare.sample_people(reference.profiles, 400)
    as_ml = compare.with_role(people, "ml_engineer")
    as_swe = compare.with_role(people, "software_engineer")
    first = compare.model_refits(
        model, reference.profiles, refits=4, seed=3, cache=False, workers=1
    )
    again = compare.model_refits(
        model, reference.profiles, refits=4, seed=3, cache=tmp_path, workers=2
    )
    # Fitted two at a time, the refits are the same boosters as one at a time.
    assert [b.model_to_string() for b in first.boosters] == [
        b.model_to_string() for b in again.boosters
    ]
    premiums = first.premiums(as_ml, as_swe)
    assert premiums == again.premiums(as_ml, as_swe)
    assert len(premiums) == 4 and len(set(premiums)) == 4
    assert all(0 < premium < 2 * TRUE_PREMIUM for premium in premiums)
    shipped = compare.ratio_premium(
        compare.predicted_pay(model, as_ml), compare.predicted_pay(model, as_swe)
    )
    assert abs(shipped.premium - np.mean(premiums)) < 3 * np.std(premiums, ddof=1)


@pytest.mark.slow
def test_refits_are_cached_as_text_models_outside_the_models_folder(trained, tmp_path) -> None:
    _, model, reference = trained
    fitted = compare.model_refits(model, reference.profiles, refits=4, cache=tmp_path)
    assert fitted.from_cache == 0
    files = sorted(tmp_path.rglob("median-*.txt"))
    assert len(files) == 4 and all(f.read_text().startswith("tree") for f in files)
    assert not any(tmp_path.rglob("*.pkl"))
    cached = compare.model_refits(model, reference.profiles, refits=4, cache=tmp_path)
    assert cached.from_cache == 4
    people = reference.profiles.head(50)
    np.testing.assert_array_equal(cached.log_pay(people), fitted.log_pay(people))
    # A corrupt cache entry is refitted, not trusted.
    files[0].write_text("garbage")
    assert compare.model_refits(model, reference.profiles, refits=4, cache=tmp_path).from_cache == 3
    # Never inside (or beside) the model folders.
    inside = Path(model.path).parent / "cache"
    compare.model_refits(model, reference.profiles, refits=4, cache=inside)
    assert not inside.exists()


def _with_effects(model, folder: Path, effects: dict) -> object:
    """A copy of `model`'s artifact with education and skill effects (and their settings)."""
    import json
    import shutil

    from mlpay_model.model import load_model
    from mlpay_model.model.artifact import read_manifest

    shutil.copytree(model.path, folder)
    manifest = read_manifest(folder)
    manifest["effects"] = effects
    manifest["config"]["effects"] = {
        "factors": ["education", "skills"],
        "ridge_alpha": 100.0,
        "min_skill_rows": 30,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return load_model(folder)


@pytest.mark.slow
def test_skill_and_education_premiums_come_from_refitted_effects(trained, tmp_path) -> None:
    # A premium the model prices through its effects gets each refit's own effects; refits of
    # the boosters alone are refused for it (they would give every refit a 0% premium).
    import dataclasses

    from mlpay_model.model.effects import FactorEffects

    _, model, reference = trained
    population = model.default_population
    shipped = {
        "factors": ["education", "skills"],
        "education": {population: {"bachelor": -0.05, "master": 0.05}},
        "skills": {population: {"aws": 0.1}},
    }
    priced = _with_effects(model, tmp_path / "with_effects", shipped)
    people = compare.sample_people(reference.profiles, 200)
    boosters = compare.model_refits(priced, reference.profiles, refits=4, cache=False)
    assert boosters.effects is None and not boosters.prices("skills")
    with pytest.raises(ValueError, match="with_effects=True"):
        compare.skill_premiums(priced, people, ["aws"], resamples=50, refits=boosters)
    with pytest.raises(ValueError, match="with_effects=True"):
        compare.factor_premium(
            priced, people, "education", "master", "bachelor", resamples=50, refits=boosters
        )
    # Each refit's effects price the skill: its premium is that refit's own effect.
    tables = tuple(
        FactorEffects(("education", "skills"), {}, {population: {"aws": 0.1 * (i + 1)}})
        for i in range(4)
    )
    refitted = dataclasses.replace(boosters, effects=tables, default_population=population)
    assert refitted.prices("skills") and refitted.prices("education")
    [effect] = compare.skill_premiums(priced, people, ["aws"], resamples=50, refits=refitted)
    assert effect.premium == pytest.approx(math.expm1(0.1))
    assert effect.refits == 4 and effect.ci_refits is not None
    expected = [math.expm1(0.1 * (i + 1)) for i in range(4)]
    as_listed = compare.with_skill(people, "aws", True)
    assert refitted.premiums(as_listed, compare.with_skill(people, "aws", False)) == (
        pytest.approx(tuple(expected))
    )


def test_effect_offsets_are_each_refits_own_effects_of_the_people() -> None:
    import pandas as pd

    from mlpay_model.compare._refits import effect_offsets
    from mlpay_model.model.effects import FactorEffects

    factors = ("education", "skills")
    tables = (
        FactorEffects(
            factors,
            {"a": {"master": 0.1, "bachelor": -0.02}, "b": {"master": 0.3}},
            {"a": {"aws": 0.2, "php": -0.1}, "b": {"aws": 0.05}},
        ),
        FactorEffects(factors, {"a": {"master": 0.07}}, {"b": {"aws": 0.01, "sql": 0.02}}),
    )
    people = pd.DataFrame(
        {
            "education": ["master", None, "bachelor", float("nan"), "doctorate", "master"],
            "skills": [("aws", "php"), (), None, ("aws", "sql"), ("zzz", "aws"), ("php",)],
        }
    )
    for populations in (["a", "b", "a", "b", "a", "b"], "a", "c"):
        got = effect_offsets(tables, people, populations)
        for row, table in enumerate(tables):
            expected = table.of_frame(people, populations).sum(axis=1)
            np.testing.assert_allclose(got[row], expected, rtol=0, atol=1e-15)
    assert effect_offsets(tables, people.iloc[:0], "a").shape == (2, 0)


@pytest.mark.slow
def test_refitted_effects_are_fitted_once_and_cached_as_json(trained, tmp_path) -> None:
    _, model, reference = trained
    empty = {"factors": ["education", "skills"], "education": {}, "skills": {}}
    priced = _with_effects(model, tmp_path / "models" / "with_effects", empty)
    cache = tmp_path / "cache"
    fitted = compare.model_refits(
        priced, reference.profiles, refits=4, cache=cache, with_effects=True
    )
    assert fitted.effects is not None and len(fitted.effects) == 4
    assert len(sorted(cache.rglob("effects-v1-*.json"))) == 4
    assert not any(cache.rglob("*.pkl"))
    # The boosters' cache serves compare (no effects); the effects are read back beside them.
    boosters_only = compare.model_refits(priced, reference.profiles, refits=4, cache=cache)
    assert boosters_only.from_cache == 4 and boosters_only.effects is None
    again = compare.model_refits(
        priced, reference.profiles, refits=4, cache=cache, with_effects=True
    )
    assert again.from_cache == 4 and again.effects == fitted.effects
    # A model without effects ignores the request.
    plain = compare.model_refits(
        model, reference.profiles, refits=4, cache=False, with_effects=True
    )
    assert plain.effects is None


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(compare.CACHE_VARIABLE, str(tmp_path))
    assert compare.cache_dir() == tmp_path
    monkeypatch.setenv(compare.CACHE_VARIABLE, "off")
    assert compare.cache_dir() is None
    monkeypatch.delenv(compare.CACHE_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compare.cache_dir() == tmp_path / "mlpay"


def test_t_quantile_matches_students_t() -> None:
    for dof, expected in ((3, 2.353363), (4, 2.131847), (19, 1.729133), (50, 1.675905)):
        assert math.isclose(compare.t_quantile(0.95, dof), expected, abs_tol=2e-3)


def test_combined_interval_adds_the_refit_spread_to_the_people_interval() -> None:
    people_ci = (0.09, 0.11)
    refits = compare.RefitPremiums((0.07, 0.10, 0.13, 0.10))
    low, high = compare.combined_interval(0.10, people_ci, refits)
    assert math.isclose(high - 0.10, math.hypot(0.01, refits.half_width))
    assert math.isclose(0.10 - low, math.hypot(0.01, refits.half_width))
    # A zero-width people interval (the aijobs case) gets the refit interval alone.
    assert compare.combined_interval(0.10, (0.10, 0.10), refits) == pytest.approx(
        (0.10 - refits.half_width, 0.10 + refits.half_width)
    )
    # Refits that land away from the estimate: the middle 90% of them stays inside.
    shifted = compare.RefitPremiums((0.030, 0.031, 0.032))
    low, high = compare.combined_interval(0.10, people_ci, shifted)
    assert math.isclose(low, 0.0301)
    assert compare.combined_interval(0.10, people_ci, compare.RefitPremiums((0.2,))) == people_ci


@pytest.mark.slow
def test_analysis_refits_every_comparison(trained, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(compare.CACHE_VARIABLE, str(tmp_path))
    _, model, reference = trained
    settings = Settings(min_rows=20, max_people=300, resamples=100, refits=4)
    analysis = analyse(model, reference, settings)
    assert analysis.refits == 4 and not analysis.refit_note
    compared = [c for c in analysis.peers if c.premium is not None]
    compared += [c for s in analysis.slices.values() for i in s for c in i.comparisons if c.ci]
    assert compared and all(c.refits == 4 and c.interval == "model + people" for c in compared)
    for c in compared:
        assert c.ci is not None and c.ci_people is not None
        assert c.ci[0] <= c.ci_people[0] and c.ci[1] >= c.ci_people[1]
        assert c.ci[1] - c.ci[0] > 0
    assert analysis.pay_concept == "base salary"


@pytest.mark.slow
def test_analysis_says_why_it_did_not_refit(trained) -> None:
    _, model, reference = trained
    analysis = analyse(model, reference, Settings(min_rows=20, max_people=200, refits=0))
    assert not analysis.refits and "0 refits" in analysis.refit_note
    vs_software = analysis.headline("software_engineer")
    assert vs_software is not None and vs_software.ci == vs_software.ci_people
    assert vs_software.interval == "people only"


@pytest.mark.data
@pytest.mark.parametrize("name", ["default", "aijobs", "kaggle", "stackoverflow"])
@pytest.mark.slow
def test_refits_start_from_each_shipped_models_own_training(data_dir, name: str) -> None:
    # The shipped model's manifest config, the runtime's split and fit reproduce its median
    # booster exactly (and the default's education and skill effects beside it), so its
    # refits differ from it by the resampling alone.
    from mlpay_model.compare._refits import _fit_effects
    from mlpay_model.model import load_model, models_dir, shipped_models
    from mlpay_model.model.fitting import FitSettings

    if name != "default" and name not in shipped_models():
        pytest.skip(f"shipped model {name!r} is not in {models_dir()}")
    model = load_model(name)
    reference = compare.load_reference(model.manifest)
    part, settings = _unresampled_part(model, reference.profiles)
    booster = fitting.fit_boosters(
        settings, model.spec, part.matrix, part.log_pay, heads=("median",)
    )["median"]
    people = reference.profiles.sample(500, random_state=0)
    log_pay = booster.predict(FeatureEncoder(model.spec).encode_frame(people))
    if model.effects is not None:
        effect_settings = FitSettings.from_config(model.manifest["config"]).effects
        assert effect_settings is not None
        effects = _fit_effects(booster, part, np.arange(len(part.rows)), effect_settings)
        assert effects == model.effects
        log_pay = log_pay + effects.of_frame(people, people["source"].tolist()).sum(axis=1)
    np.testing.assert_allclose(np.exp(log_pay), model.predict(people)["median"], rtol=1e-12)
