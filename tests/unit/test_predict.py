"""predict_salary: one profile as people type it, to a salary with its range and reasons."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from artifact_factory import shared_models_dir

from mlpay_model.errors import InvalidInputError
from mlpay_model.model import DEFAULT_MODEL, SalaryModel, load_model, models_dir
from mlpay_model.normalise import normalise_frame
from mlpay_model.predict import ModelRef, SalaryPrediction, predict_salary


@pytest.fixture(scope="module")
def models_root() -> Path:
    return shared_models_dir()


@pytest.fixture(scope="module")
def full(models_root: Path) -> SalaryModel:
    """Reads every factor and context column."""
    return load_model(models_root / "tiny")


@pytest.fixture(scope="module")
def aijobs_like(models_root: Path) -> SalaryModel:
    """Reads no years of experience, education or skills, like the aijobs model."""
    return load_model(models_root / "tiny_aijobs")


@pytest.fixture
def shipped_default() -> SalaryModel:
    if not (models_dir() / DEFAULT_MODEL / "manifest.json").is_file():
        pytest.skip(f"no shipped default model: {models_dir() / DEFAULT_MODEL} is absent")
    return load_model("default")


def test_a_prediction_is_a_typed_calibrated_interval(full):
    prediction = predict_salary(
        "Senior ML Engineer", "Germany", 6, "MSc", ["Python", "PyTorch"], model=full
    )
    assert isinstance(prediction, SalaryPrediction)
    assert 0 < prediction.low <= prediction.median <= prediction.high
    assert prediction.currency == "USD"
    assert prediction.model == ModelRef("tiny", "0.0.test")
    assert prediction.warnings == ()
    assert prediction.profile["role"] == "ml_engineer"
    assert prediction.profile["seniority"] == "senior"
    assert prediction.profile["skills"] == ("python", "pytorch")


def test_contributions_are_the_persons_factors_largest_first(full):
    prediction = predict_salary("Data Scientist", "US", 3, model=full)
    # education and skills not given: priced at the population's mix, in the baseline
    assert set(prediction.contributions) == {"role", "location", "experience"}
    sizes = [abs(percent) for percent in prediction.contributions.values()]
    assert sizes == sorted(sizes, reverse=True)
    rebuilt = prediction.baseline * math.prod(
        1 + percent / 100 for percent in prediction.contributions.values()
    )
    assert rebuilt == pytest.approx(prediction.median, rel=1e-9)


def test_every_factor_given_is_in_the_explanation_and_nothing_else(full):
    prediction = predict_salary(
        "Senior ML Engineer",
        "DE",
        6,
        "MSc",
        ["python", "pytorch"],
        model=full,
        employment_type="contract",
        year=2023,
    )
    factors = [item.factor for item in prediction.explanation]
    assert set(factors) == {
        "role",
        "location",
        "experience",
        "education",
        "skills",
        "employment_type",
    }  # the population (source) and the pay year are in the baseline
    labels = {item.factor: item.label for item in prediction.explanation}
    assert labels["role"] == "role (Senior ML Engineer)"
    assert labels["location"] == "location (Germany)"
    assert labels["experience"] == (
        "experience (6 years, senior title) vs the population's average"
    )
    assert labels["education"] == "education (master)"
    assert labels["skills"] == "skills (python, pytorch)"  # the trees read them together
    assert labels["employment_type"] == "employment type (contract)"
    assert dict(prediction.contributions) == {
        item.factor: item.percent for item in prediction.explanation
    }
    rebuilt = prediction.baseline * math.prod(
        1 + item.percent / 100 for item in prediction.explanation
    )
    assert rebuilt == pytest.approx(prediction.median, rel=1e-9)


def test_the_baseline_is_the_populations_whoever_the_person(full):
    """Against the same baseline whatever the role, country or experience: what the population
    is paid before the person's factors (the fields not given priced as not given)."""
    one = predict_salary("ML Engineer", "US", 10, model=full)
    other = predict_salary("Data Analyst", "India", 1, model=full)
    assert one.baseline == pytest.approx(other.baseline, rel=1e-12)
    assert one.baseline != pytest.approx(
        predict_salary("ML Engineer", "US", model=full).baseline, rel=1e-6
    )  # no years: the baseline prices experience as not given
    to_dict = one.to_dict()
    assert to_dict["baseline"] == one.baseline
    assert to_dict["explanation"] == [item.to_dict() for item in one.explanation]


def test_the_trees_expectations_are_the_models_base_value_and_prediction(full, aijobs_like):
    """Nothing known: the model's expected value (its SHAP base value); everything known: its
    prediction. The Shapley values of the groups split the difference exactly."""
    import numpy as np

    from mlpay_model._conditional import ConditionalTrees, group_shapley

    for model in (full, aijobs_like):
        trees = ConditionalTrees(model._boosters["median"].dump_model())
        for person in (("ML Engineer", "US", 10), ("Data Analyst", "India", None)):
            result = model.predict_record(
                normalise_frame(
                    pd.DataFrame([person], columns=["role", "country", "years_experience"])
                )
                .profiles.iloc[0]
                .to_dict()
            )
            row = result._row.reshape(-1)
            groups = np.arange(len(model.encoder.feature_names)) % 3
            values = trees.values(row, groups, range(8))
            assert math.exp(values[0]) == pytest.approx(model.baseline, rel=1e-9)
            assert values[-1] == pytest.approx(math.log(result.median), rel=1e-12)
            assert group_shapley(values, 3).sum() == pytest.approx(values[-1] - values[0])
            for players in range(4):
                mapping = np.arange(len(model.encoder.feature_names)) % (players + 1) - 1
                every = trees.values(row, mapping, range(1 << players))
                baseline, shapley = trees.shapley(row, mapping, players)
                assert baseline == pytest.approx(every[0], abs=1e-12)
                assert shapley == pytest.approx(group_shapley(every, players), abs=1e-12)
    # a game where each player adds its own amount: its Shapley values are those amounts
    additive = np.array([float(mask & 1) * 2 + float(mask >> 1 & 1) * 5 for mask in range(4)])
    assert group_shapley(additive, 2).tolist() == pytest.approx([2.0, 5.0])


def test_it_agrees_with_predicting_the_normalised_frame(full):
    raw = pd.DataFrame(
        {
            "role": ["Lead Data Engineer", "data analyst"],
            "country": ["Canada", "BRA"],
            "years_experience": [12, "1-2 years"],
            "education": ["PhD", None],
            "skills": ["aws,docker", None],
        }
    )
    expected = full.predict(normalise_frame(raw).profiles)
    for (_, row), (_, want) in zip(raw.iterrows(), expected.iterrows(), strict=True):
        got = predict_salary(**row.where(row.notna(), None).to_dict(), model=full)
        assert (got.median, got.low, got.high) == pytest.approx(
            (want["median"], want["low"], want["high"]), rel=1e-12
        )


def test_the_data_structure_shows_through(full):
    """The inline training data pays ML engineers in the US far more than analysts in India."""
    high = predict_salary("ML Engineer", "US", 10, model=full)
    low = predict_salary("Data Analyst", "India", 10, model=full)
    assert high.median > 2 * low.median
    assert high.contributions["location"] > 0 > low.contributions["location"]


def test_the_title_seniority_is_used_unless_one_is_given(aijobs_like):
    from_title = predict_salary("Senior ML Engineer", "US", model=aijobs_like)
    stated = predict_salary("ML Engineer", "US", model=aijobs_like, seniority="senior")
    overridden = predict_salary("Senior ML Engineer", "US", model=aijobs_like, seniority="entry")
    entry = predict_salary("ML Engineer", "US", model=aijobs_like, seniority="entry")
    assert from_title.median == stated.median
    assert overridden.median == entry.median


def test_factors_the_model_does_not_use_are_named_in_warnings(aijobs_like):
    prediction = predict_salary(
        "Data Scientist",
        "US",
        years_experience=5,
        education="PhD",
        model=aijobs_like,
        seniority="mid",
    )
    assert len(prediction.warnings) == 2
    assert prediction.warnings[0].startswith("years_experience is ignored: model tiny_aijobs")
    assert prediction.warnings[1].startswith("education is ignored")
    assert "skills" not in " ".join(prediction.warnings)  # not given, so not mentioned


@pytest.mark.parametrize(
    ("years", "level"), [(1, "entry"), ("3", "mid"), (5, "senior"), (30, "senior")]
)
def test_a_model_without_years_derives_the_seniority_from_them(aijobs_like, years, level):
    derived = predict_salary("ML engineer", "DE", years_experience=years, model=aijobs_like)
    stated = predict_salary("ML engineer", "DE", seniority=level, model=aijobs_like)
    assert (derived.median, derived.low, derived.high) == (stated.median, stated.low, stated.high)
    assert dict(derived.contributions) == dict(stated.contributions)
    assert derived.profile["seniority"] == level
    assert derived.warnings == (
        f"seniority {level!r} derived from years_experience={float(years):g} (model tiny_aijobs "
        "has no years; rule: <2 entry, <5 mid, else senior)",
    )


def test_a_given_or_title_seniority_wins_over_the_years(aijobs_like):
    from_title = predict_salary("Junior ML Engineer", "DE", years_experience=12, model=aijobs_like)
    given = predict_salary(
        "ML Engineer", "DE", years_experience=12, seniority="mid", model=aijobs_like
    )
    assert from_title.profile["seniority"] == "entry" and given.profile["seniority"] == "mid"
    for prediction in (from_title, given):
        assert prediction.warnings[0].startswith("years_experience is ignored")


def test_a_model_with_years_derives_no_seniority(full):
    prediction = predict_salary("ML Engineer", "DE", years_experience=12, model=full)
    assert prediction.profile["seniority"] is None
    assert not any("seniority" in text or "experience" in text for text in prediction.warnings)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, ["experience", "education", "skills"]),
        ({"years_experience": 3}, ["education", "skills"]),
        ({"seniority": "senior"}, ["education", "skills"]),
        ({"role": "Senior ML Engineer"}, ["education", "skills"]),  # the title's level
        ({"education": "PhD", "skills": "python"}, ["experience"]),
    ],
)
def test_a_factor_not_given_is_said_to_be_priced_at_the_populations_mix(full, given, missing):
    arguments = {"role": "ML Engineer", "country": "DE", **given}
    prediction = predict_salary(**arguments, model=full)
    notes = [text for text in prediction.warnings if "not given" in text]
    assert [text.split()[0] for text in notes] == missing
    for factor, text in zip(missing, notes, strict=True):
        mix = "experience" if factor == "experience" else factor
        assert text.startswith(f"{factor} not given: priced at the population's mix of {mix}")


def test_no_not_given_note_for_a_factor_the_model_does_not_price(aijobs_like):
    prediction = predict_salary("ML Engineer", "DE", model=aijobs_like)
    notes = [text for text in prediction.warnings if "not given" in text]
    assert notes == [
        "experience not given: priced at the population's mix of experience "
        "(give years of experience or a seniority to price it)"
    ]  # the aijobs-like model prices seniority, not education or skills


def test_batch_scoring_derives_the_seniority_like_predict_salary(aijobs_like, tmp_path):
    from mlpay_model.scoring import score_file

    raw = pd.DataFrame(
        {
            "role": ["ML Engineer", "Data Scientist", "Junior Data Analyst", "Data Engineer"],
            "country": ["US", "DE", "GB", "CA"],
            "years_experience": [1, 3, 12, 8],
            "seniority": [None, None, None, "entry"],
        }
    )
    raw.to_csv(tmp_path / "profiles.csv", index=False)
    score_file(
        tmp_path / "profiles.csv",
        tmp_path / "scored.parquet",
        model=str(aijobs_like.path),
        progress=False,
    )
    scored = pd.read_parquet(tmp_path / "scored.parquet")
    for arguments, median in zip(raw.to_dict("records"), scored["pred_median"], strict=True):
        given = {name: value for name, value in arguments.items() if value is not None}
        assert median == pytest.approx(predict_salary(**given, model=aijobs_like).median, rel=1e-12)


def test_unknown_inputs_are_named_in_warnings(full):
    prediction = predict_salary("Wizard", "New Zealand", skills=["python", "cobol"], model=full)
    warnings = " | ".join(prediction.warnings)
    assert "role 'Wizard' is not a job title mlpay recognises" in warnings
    assert "country NZ (New Zealand) is rare or unseen" in warnings
    assert "vocabulary" in warnings and "cobol" in warnings and "python" not in warnings


def test_a_rare_role_family_is_named_in_warnings(full):
    prediction = predict_salary("QA Engineer", "US", model=full)
    assert prediction.profile["role"] == "qa_engineer"
    assert any("role family 'qa_engineer' is rare or unseen" in w for w in prediction.warnings)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"role": "ML Engineer", "country": "Atlantis"}, "country"),
        ({"role": "", "country": "US"}, "role"),
        ({"role": "ML Engineer", "country": "US", "years_experience": -2}, "years_experience"),
        ({"role": "ML Engineer", "country": "US", "years_experience": 75}, "years_experience"),
        ({"role": "ML Engineer", "country": "US", "years_experience": "five"}, "years_experience"),
        ({"role": "ML Engineer", "country": "US", "skills": 5}, "skills"),
        ({"role": "ML Engineer", "country": "US", "education": "wizardry"}, "education"),
        ({"role": "ML Engineer", "country": "US", "bonus": 3}, "bonus"),
    ],
)
def test_invalid_input_raises_a_value_error_naming_the_field(full, arguments, field):
    with pytest.raises(ValueError) as caught:
        predict_salary(**arguments, model=full)
    assert isinstance(caught.value, InvalidInputError)
    assert caught.value.field == field
    assert f"{field}=" in str(caught.value)


def test_an_unknown_keyword_lists_the_accepted_ones(full):
    with pytest.raises(InvalidInputError) as caught:
        predict_salary("ML Engineer", "US", remote=100, model=full)
    message = str(caught.value)
    assert "remote=100" in message and "remote_ratio" in message and "year" in message


def test_the_model_argument_takes_a_name_a_path_or_a_model(full, models_root, monkeypatch):
    monkeypatch.setenv("MLPAY_MODELS_DIR", str(models_root))
    by_name = predict_salary("ML Engineer", "US", model="tiny")
    by_path = predict_salary("ML Engineer", "US", model=models_root / "tiny")
    by_model = predict_salary("ML Engineer", "US", model=full)
    assert by_name == by_path == by_model
    with pytest.raises(InvalidInputError, match="model"):
        predict_salary("ML Engineer", "US", model=3)  # type: ignore[arg-type]


def test_to_dict_is_strict_json(full):
    prediction = predict_salary("Data Engineer", "FR", model=full)
    data = json.loads(json.dumps(prediction.to_dict(), allow_nan=False))
    assert {"median", "low", "high", "currency", "model", "contributions", "warnings"} <= set(data)
    assert data["model"] == {"name": "tiny", "version": "0.0.test"}
    assert data["profile"]["years_experience"] is None
    assert data["median"] == prediction.median


def test_predictions_are_hashable_values(full):
    one = predict_salary("Data Engineer", "FR", model=full)
    other = predict_salary("data engineer", "France", model=full)
    assert dict(one.contributions)  # read on one of them only: equality does not depend on it
    assert one == other and hash(one) == hash(other)
    assert one != predict_salary("Data Engineer", "DE", model=full)


def test_the_explanation_multiplies_out_to_the_median(full, aijobs_like):
    """With and without years, education and skills, on both kinds of model."""
    raw = pd.DataFrame(
        {
            "role": ["Senior ML Engineer", "data analyst", "Research Scientist"],
            "country": ["US", "India", "FR"],
            "years_experience": [6, None, 2],
            "education": ["MSc", None, "PhD"],
            "skills": ["python,pytorch", None, "aws"],
        }
    )
    for model in (full, aijobs_like):
        for label, row in raw.iterrows():
            prediction = predict_salary(**row.where(row.notna(), None).to_dict(), model=model)
            rebuilt = prediction.baseline * math.prod(
                1 + percent / 100 for percent in prediction.contributions.values()
            )
            assert rebuilt == pytest.approx(prediction.median, rel=1e-9), label


def test_the_shipped_default_model(shipped_default):
    prediction = predict_salary("Senior ML Engineer", "United States", education="MSc")
    assert prediction.model.name == DEFAULT_MODEL
    assert np.isfinite([prediction.low, prediction.median, prediction.high]).all()
    assert 10_000 < prediction.low <= prediction.median <= prediction.high < 2_000_000
    if not shipped_default.uses("education"):
        assert any(w.startswith("education is ignored") for w in prediction.warnings)
    junior = predict_salary("ML Engineer", "US", seniority="entry")
    assert junior.median < prediction.median or not shipped_default.uses("seniority")


def test_prediction_names_the_pay_concept_of_the_models_data() -> None:
    from mlpay_model.predict import predict_salary

    prediction = predict_salary("ML Engineer", "US", model="aijobs")
    assert prediction.pay_concept == "base salary"
    assert prediction.to_dict()["pay_concept"] == "base salary"


POOLED_PROFILES: tuple[dict[str, object], ...] = (
    {"role": "Senior ML Engineer", "country": "US"},  # everything else missing
    {
        "role": "Data Scientist",
        "country": "India",
        "years_experience": 3,
        "education": "MSc",
        "skills": "python, sql",
    },
    {
        "role": "Data Engineer",
        "country": "Germany",
        "seniority": "mid",
        "remote_ratio": 100,
        "company_size": "L",
        "year": 2021,
    },
    {
        "role": "Research Scientist",
        "country": "FR",
        "education": "PhD",
        "employment_type": "FT",
        "skills": "pytorch",
        "year": 2025,
    },
)


def test_one_profile_is_priced_as_a_batch_prices_it_in_every_population():
    """predict_salary's one-row path (three boosters, then the median alone re-encoded per
    population for by_source) against the frame path, on the shipped pooled model."""
    if not (models_dir() / "pooled" / "manifest.json").is_file():
        pytest.skip(f"no shipped pooled model in {models_dir()}")
    pooled = load_model("pooled")
    normalised = normalise_frame(pd.DataFrame(list(POOLED_PROFILES))).profiles
    batches = {name: pooled.predict(normalised.assign(source=name)) for name in pooled.populations}
    assert len(batches) > 1
    for position, kwargs in enumerate(POOLED_PROFILES):
        for population, batch in batches.items():
            got = predict_salary(**kwargs, model=pooled, population=population)  # type: ignore[arg-type]
            want = batch.iloc[position]
            assert (got.median, got.low, got.high) == pytest.approx(
                (want["median"], want["low"], want["high"]), rel=1e-12
            )
            for figure in got.by_source:  # each population's median, the year as given
                expected = batches[figure.source]["median"].iloc[position]
                assert figure.median == pytest.approx(expected, rel=1e-12), figure.source


def test_weighed_by_a_populations_rows_nothing_known_is_that_populations_mean():
    """With one population's rows per leaf, the expectation with no column known is the mean
    prediction over that population's rows (a split above its `source` split weighs the
    branches as its rows go, not as every population's rows go)."""
    import lightgbm as lgb
    import numpy as np

    from mlpay_model._conditional import ConditionalTrees

    rng = np.random.default_rng(0)
    source = rng.integers(0, 2, 2000).astype(float)  # 0 and 1: two populations
    country = np.where(source == 1, rng.random(2000) < 0.9, rng.random(2000) < 0.2).astype(float)
    pay = 11 + 0.8 * country + 0.3 * source + rng.normal(0, 0.1, 2000)
    matrix = np.column_stack([country, source])
    booster = lgb.train(
        {"objective": "regression", "num_leaves": 4, "verbose": -1, "seed": 0},
        lgb.Dataset(matrix, pay),
        num_boost_round=20,
    )
    dump = booster.dump_model()
    leaves = booster.predict(matrix, pred_leaf=True)
    nothing_known = np.zeros(2, dtype=np.int64)  # both columns are players; coalition 0
    for population in (0.0, 1.0):
        rows = source == population
        counts = [
            np.bincount(leaves[rows, tree], minlength=info["num_leaves"]).tolist()
            for tree, info in enumerate(dump["tree_info"])
        ]
        expected = booster.predict(matrix[rows]).mean()
        weighed = ConditionalTrees(dump, counts).values(matrix[0], nothing_known, [0])[0]
        assert weighed == pytest.approx(expected, rel=1e-12)
    everyone = ConditionalTrees(dump).values(matrix[0], nothing_known, [0])[0]
    assert everyone == pytest.approx(booster.predict(matrix).mean(), rel=1e-9)
    with pytest.raises(ValueError, match="leaf_counts"):
        ConditionalTrees(dump, counts[:-1])
