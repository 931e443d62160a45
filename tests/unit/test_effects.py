"""Education and skill effects beside the boosters (`mlpay_model.model.effects`)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from artifact_factory import shared_models_dir

from mlpay_model import predict_salary
from mlpay_model.errors import ArtifactError
from mlpay_model.model import SalaryModel
from mlpay_model.model.artifact import read_manifest
from mlpay_model.model.effects import (
    EffectSettings,
    FactorEffects,
    fit_effects,
    non_decreasing,
)
from mlpay_model.model.factors import factors_frame
from mlpay_model.normalise import normalise_frame

LEVEL_EFFECT = {"bachelor": 0.0, "master": 0.10, "doctorate": 0.06}
SKILL_EFFECT = {"aws": 0.15, "php": -0.10, "python": 0.0}


def survey_rows(rows: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of two sources: a survey that records education and skills with known effects
    (master above doctorate, so the order must be enforced), and one that records neither."""
    rng = np.random.default_rng(seed)
    levels = rng.choice(list(LEVEL_EFFECT), rows, p=[0.5, 0.35, 0.15])
    skills = [tuple(sorted(s for s in SKILL_EFFECT if rng.random() < 0.3)) for _ in range(rows)]
    truth = np.array(
        [
            LEVEL_EFFECT[level] + sum(SKILL_EFFECT[s] for s in listed)
            for level, listed in zip(levels, skills, strict=True)
        ]
    )
    residuals = truth - truth.mean() + rng.normal(0, 0.05, rows)
    survey = pd.DataFrame({"source": "survey", "education": levels, "skills": skills})
    postings = pd.DataFrame(
        {"source": "postings", "education": [None] * rows, "skills": [()] * rows}
    )
    return pd.concat([survey, postings], ignore_index=True), np.concatenate(
        [residuals, rng.normal(0, 0.05, rows)]
    )


def test_pool_adjacent_violators_gives_the_weighted_non_decreasing_fit() -> None:
    assert non_decreasing([1.0, 3.0, 2.0], [1, 1, 1]) == [1.0, 2.5, 2.5]
    assert non_decreasing([3.0, 1.0], [3, 1]) == [2.5, 2.5]
    assert non_decreasing([0.0, 1.0, 2.0], [1, 5, 1]) == [0.0, 1.0, 2.0]


def test_effects_recover_the_skills_and_order_the_degrees() -> None:
    profiles, residuals = survey_rows()
    effects = fit_effects(
        profiles, residuals, ["survey", "postings"], EffectSettings(ridge_alpha=1.0)
    )
    survey = effects.skills["survey"]
    # A listed skill adds its effect times the share of the people listing skills who do not
    # list it (the list is partial: the rest stay at the population's mix).
    listing = [set(s) for s in profiles.skills[profiles.source == "survey"] if s]
    for skill in ("aws", "php"):
        share = sum(skill in s for s in listing) / len(listing)
        assert survey[skill] == pytest.approx(SKILL_EFFECT[skill] * (1 - share), abs=0.015)
    assert abs(survey["python"]) < 0.02
    levels = effects.education["survey"]
    # The data has master above doctorate: the ordered levels are pooled, never decreasing.
    assert levels["bachelor"] < levels["master"]
    assert levels["master"] == pytest.approx(levels["doctorate"])
    # Centred: the survey's own mix of degrees averages to no effect.
    mix = profiles[profiles.source == "survey"].education.value_counts(normalize=True)
    assert sum(share * levels[level] for level, share in mix.items()) == pytest.approx(0, abs=1e-9)
    # A population that records neither is centred at the recording rows' mix.
    assert effects.education["postings"] == pytest.approx(dict(levels))


def test_effects_of_a_record_read_only_what_is_given() -> None:
    profiles, residuals = survey_rows()
    effects = fit_effects(profiles, residuals, ["survey", "postings"], EffectSettings())
    nothing = effects.of_record({"education": None, "skills": ()}, "survey")
    assert nothing == {"education": 0.0, "skills": 0.0}
    invented = effects.of_record({"education": None, "skills": ("aws", "zorblax")}, "survey")
    assert invented["skills"] == effects.of_record({"skills": ("aws",)}, "survey")["skills"]
    frame = pd.DataFrame(
        {"education": ["master", None], "skills": [("aws", "aws"), ()]}, index=[7, 9]
    )
    rows = effects.of_frame(frame, ["survey", "postings"])
    assert rows[0].tolist() == list(effects.of_record(frame.loc[7].to_dict(), "survey").values())
    assert rows[1].tolist() == [0.0, 0.0]


def test_a_frame_prices_each_row_as_its_record_whatever_repeats() -> None:
    """`of_frame` prices each distinct (value, population) pair once: every row still gets
    what `of_record` gives it, in its own population, for repeated, missing and list values;
    a population read as NaN (a frame without sources) finds the table fitted under NaN."""
    profiles, residuals = survey_rows(rows=2000, seed=1)
    effects = fit_effects(profiles, residuals, ["survey", "postings"], EffectSettings())
    rng = np.random.default_rng(2)
    rows = 400
    frame = pd.DataFrame(
        {
            "education": rng.choice(["bachelor", "master", "doctorate", None], rows),
            "skills": [("aws", "php")[: i % 3] for i in range(rows)],
        }
    )
    lists = frame.assign(skills=[list(v) if i % 7 else v for i, v in enumerate(frame.skills)])
    populations = rng.choice(["survey", "postings"], rows).tolist()
    for given in (frame, lists):  # tuples (priced once each), lists (row by row)
        records = given.to_dict("records")
        expected = [
            list(effects.of_record(record, population).values())
            for record, population in zip(records, populations, strict=True)
        ]
        np.testing.assert_array_equal(effects.of_frame(given, populations), expected)
        one = [list(effects.of_record(record, "survey").values()) for record in records]
        np.testing.assert_array_equal(effects.of_frame(given, "survey"), one)
    unnamed = FactorEffects(factors=("education",), education={np.nan: {"master": 0.1}})
    masters = pd.DataFrame({"education": ["master"] * 3})
    assert unnamed.of_frame(masters, [np.nan] * 3).tolist() == [[0.1]] * 3


def test_effects_round_trip_and_refuse_malformed_tables() -> None:
    profiles, residuals = survey_rows(600)
    effects = fit_effects(profiles, residuals, ["survey"], EffectSettings(min_skill_rows=5))
    assert FactorEffects.from_dict(json.loads(json.dumps(effects.to_dict()))) == effects
    with pytest.raises(ValueError, match=r"effects\.skills\.survey"):
        FactorEffects.from_dict({**effects.to_dict(), "skills": {"survey": {"aws": "x"}}})
    with pytest.raises(ValueError, match="choose from"):
        FactorEffects.from_dict({**effects.to_dict(), "factors": ["gender"]})


def model_with_effects(tmp_path: Path, effects: dict[str, object]) -> Path:
    """The tiny aijobs-like artifact (no education, no skills) with `effects` in its manifest."""
    folder = tmp_path / "with_effects"
    shutil.copytree(shared_models_dir() / "tiny_aijobs", folder)
    manifest = read_manifest(folder)
    manifest["effects"] = effects
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_a_model_adds_its_effects_on_every_path(tmp_path: Path) -> None:
    population = SalaryModel(
        shared_models_dir() / "tiny_aijobs", read_manifest(shared_models_dir() / "tiny_aijobs")
    ).default_population
    effects = {
        "factors": ["education", "skills"],
        "education": {population: {"bachelor": -0.05, "master": 0.05}},
        "skills": {population: {"aws": 0.1, "php": -0.04}},
    }
    folder = model_with_effects(tmp_path, effects)
    plain = predict_salary("Data Scientist", "US", model=str(folder))
    listed = predict_salary(
        "Data Scientist", "US", education="master", skills=["aws"], model=str(folder)
    )
    assert listed.median == pytest.approx(plain.median * math.exp(0.15), rel=1e-12)
    assert listed.high / listed.low == pytest.approx(plain.high / plain.low, rel=1e-12)
    # the explanation says each skill's effect apart (exact: the effects are additive)
    assert listed.contributions["skills: aws"] == pytest.approx(100 * math.expm1(0.1))
    assert listed.contributions["education"] == pytest.approx(100 * math.expm1(0.05))
    product = math.prod(1 + p / 100 for p in listed.contributions.values())
    assert listed.baseline * product == pytest.approx(listed.median, rel=1e-9)
    invented = predict_salary(
        "Data Scientist", "US", education="master", skills=["aws", "zorblax"], model=str(folder)
    )
    assert invented.median == listed.median
    model = SalaryModel(folder, read_manifest(folder))
    frame = pd.DataFrame(
        {
            "role": ["Data Scientist", "Data Scientist"],
            "country": ["US", "US"],
            "education": ["master", None],
            "skills": ["aws", None],
        }
    )
    predicted = model.predict(frame)
    assert predicted["median"].tolist() == pytest.approx([listed.median, plain.median], rel=1e-12)
    contributions = factors_frame(model, normalise_frame(frame).profiles)  # batch scoring's
    assert contributions.loc[0, "education"] == pytest.approx(100 * math.expm1(0.05))
    assert contributions.loc[0, "skills"] == pytest.approx(100 * math.expm1(0.1))
    assert contributions.loc[1, ["education", "skills"]].isna().all()  # not given
    assert "aws" in model.skills


def test_a_malformed_effects_entry_refuses_the_model(tmp_path: Path) -> None:
    folder = model_with_effects(tmp_path, {"factors": ["skills"], "skills": {"x": {"aws": None}}})
    with pytest.raises(ArtifactError, match="effects malformed"):
        SalaryModel(folder, read_manifest(folder))
