"""`mlpay compare` end to end: user errors as one line, and real comparisons on shipped models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mlpay_model.cli import USER_ERROR_EXIT, main

SHIPPED = ("aijobs", "kaggle", "stackoverflow")
REQUIRED_KEYS = ("role", "vs", "premium", "ci", "n", "raw_median_role", "raw_median_vs")


def compare(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["compare", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "Beekeeper", "--vs", "Software Engineer"], "role='Beekeeper'"),
        (["--role", "ML Engineer", "--vs", "ML Engineer"], "compare a role against a different"),
        (["--role", "ML Engineer", "--vs", "SWE", "--country", "Atlantis"], "country='Atlantis'"),
        (["--role", "ML Engineer", "--vs", "Data Scientist", "--years", "-3"], "years=-3"),
        (["--role", "ML Engineer", "--vs", "Data Scientist", "--education", "wizard"], "wizard"),
    ],
)
def test_user_mistakes_are_one_line_errors(capsys, args: list[str], message: str) -> None:
    code, out, err = compare(capsys, *args, "--model", "no-such-model")
    assert code == USER_ERROR_EXIT
    assert out == ""
    assert err.startswith("mlpay compare: error:") and message in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_model_is_a_one_line_error(capsys) -> None:
    code, _, err = compare(
        capsys, "--role", "ML Engineer", "--vs", "Data Scientist", "--model", "no-such-model"
    )
    assert code == USER_ERROR_EXIT
    assert "no-such-model" in err and len(err.strip().splitlines()) == 1


# --- shipped models on the real data -----------------------------------------------------------


@pytest.fixture
def shipped(data_dir: Path):
    """A function: shipped("aijobs") -> the name, skipping when the model is not in models/."""

    from mlpay_model.model import models_dir, shipped_models

    def find(name: str) -> str:
        if name not in shipped_models():
            pytest.skip(f"shipped model {name!r} is not in {models_dir()}; train it first")
        return name

    return find


@pytest.mark.data
@pytest.mark.parametrize("model", SHIPPED)
@pytest.mark.slow  # 20 refits of each shipped model
def test_each_shipped_model_compares_ml_engineers(capsys, shipped, model: str) -> None:
    code, out, _ = compare(
        capsys,
        "--role", "Machine Learning Engineer", "--vs", "Software Engineer",
        "--vs", "Data Scientist", "--model", shipped(model), "--json",
    )  # fmt: skip
    assert code == 0
    results = json.loads(out)
    assert [r["vs"] for r in results] == ["software_engineer", "data_scientist"]
    for result in results:
        assert all(key in result for key in REQUIRED_KEYS)
        assert result["role"] == "ml_engineer" and result["model"] == model
        assert result["model_version"]
        if result["status"] != "ok":
            assert result["premium"] is None and result["note"]
            continue
        low, high = result["ci"]
        assert low <= result["premium"] <= high
        # The interval covers the model (refits) and the people; never zero wide.
        assert result["interval"] == "model + people" and result["refits"] == 20
        assert high - low > 0.001
        people_low, people_high = result["ci_people"]
        assert low <= people_low and people_high <= high
        assert result["ci_refits"] is not None
        assert result["pay_concept"] in (
            "base salary",
            "total compensation (2024-2025) and base salary (2017)",  # stackoverflow
            "yearly compensation band",
        )
        assert -0.9 < result["premium"] < 5.0
        assert result["n"] == min(5_000, result["n_matching"])
        assert result["n_role"] >= 30 and result["n_vs"] >= 30
        assert result["raw_median_role"] > 0 and result["raw_median_vs"] > 0


@pytest.mark.data
@pytest.mark.slow  # three sources' people, ~20 s at load 5
def test_the_pooled_default_compares_within_each_source_in_its_own_pay(capsys, shipped) -> None:
    from mlpay_model.data.sources.registry import find_source
    from mlpay_model.model import load_model

    model = load_model(shipped("pooled"))
    args = ("--role", "ML Engineer", "--vs", "Data Scientist", "--model", "pooled", "--refits", "0")
    code, out, _ = compare(capsys, *args, "--json")
    assert code == 0
    results = json.loads(out)
    assert [r["population"] for r in results] == list(model.populations)
    assert [r["pay_concept"] for r in results] == [
        model.population_pay_texts[name] for name in model.populations
    ]
    assert all(
        r["status"] == "ok" and r["filters"] == {"population": r["population"]} for r in results
    )
    # Each source's people only: its raw medians are those of one population, so they differ.
    assert len({r["raw_median_role"] for r in results}) == len(results)
    # --population picks one: the same numbers as that population's block.
    kaggle = next(r for r in results if r["population"] == "kaggle")
    code, out, _ = compare(capsys, *args, "--population", "kaggle", "--json")
    assert json.loads(out) == [kaggle]
    code, text, _ = compare(capsys, *args)
    for name in model.populations:
        label = find_source(name).label
        assert f"== {label}: pay: {model.population_pay_texts[name]};" in text


@pytest.mark.data
@pytest.mark.slow  # 20 refits (cold cache)
def test_raw_medians_are_the_observed_pay_of_each_role(capsys, shipped) -> None:
    from mlpay_model.compare import load_reference
    from mlpay_model.data.quality import pay_point
    from mlpay_model.model import load_model

    code, out, _ = compare(
        capsys, "--role", "ml_engineer", "--vs", "data_engineer", "--model", shipped("aijobs"),
        "--country", "US", "--json",
    )  # fmt: skip
    assert code == 0
    [result] = json.loads(out)
    profiles = load_reference(load_model("aijobs").manifest).profiles
    us = profiles[profiles["country"] == "US"]
    for role, key, count in (
        ("ml_engineer", "raw_median_role", "n_role"),
        ("data_engineer", "raw_median_vs", "n_vs"),
    ):
        pay = pay_point(us[us["role"] == role])
        assert result[count] == len(pay)
        assert math.isclose(result[key], float(np.median(pay)))
    assert result["n_matching"] == len(us)
    assert result["filters"] == {"country": "US"}


@pytest.mark.data
@pytest.mark.slow  # 20 refits (cold cache)
def test_text_output_shows_premium_interval_and_raw_medians(capsys, shipped) -> None:
    code, out, _ = compare(
        capsys, "--role", "Machine Learning Engineer", "--vs", "Software Engineer",
        "--model", shipped("aijobs"), "--seniority", "senior",
    )  # fmt: skip
    assert code == 0
    assert "seniority=senior" in out
    assert "ml_engineer vs software_engineer: " in out
    assert "90% interval, model + people: " in out and "over people only" in out
    assert "pay: base salary" in out
    assert "raw median base salary: ml_engineer $" in out


@pytest.mark.data
@pytest.mark.slow  # 20 refits (cold cache)
def test_rare_roles_are_flagged_rows(capsys, shipped) -> None:
    code, out, _ = compare(
        capsys, "--role", "ML Engineer", "--vs", "Data Scientist", "--vs", "QA Engineer",
        "--model", shipped("aijobs"), "--json",
    )  # fmt: skip
    assert code == 0
    data_scientist, qa = json.loads(out)
    assert data_scientist["status"] == "ok"
    assert qa["status"] in ("too_rare", "not_in_model") and qa["premium"] is None
    assert qa["note"]


@pytest.mark.data
@pytest.mark.slow  # reads the aijobs data (~4.7 s at load 2.5)
def test_filtering_on_a_factor_the_model_data_lacks_is_refused(capsys, shipped) -> None:
    code, out, err = compare(
        capsys, "--role", "ML Engineer", "--vs", "Data Scientist", "--model", shipped("aijobs"),
        "--years", "5",
    )  # fmt: skip
    assert code == USER_ERROR_EXIT and out == ""
    assert "years_experience" in err and "aijobs" in err


@pytest.mark.data
@pytest.mark.slow  # 20 refits (cold cache)
def test_same_command_gives_the_same_numbers(capsys, shipped) -> None:
    args = ["--role", "ML Engineer", "--vs", "Data Analyst", "--model", shipped("aijobs"), "--json"]
    first = compare(capsys, *args)[1]
    assert compare(capsys, *args)[1] == first


@pytest.mark.data
@pytest.mark.slow  # reads the aijobs data
def test_people_only_interval_is_named_and_never_zero_wide(capsys, shipped) -> None:
    code, out, _ = compare(
        capsys, "--role", "Machine Learning Engineer", "--vs", "Software Engineer",
        "--model", shipped("aijobs"), "--refits", "0",
    )  # fmt: skip
    assert code == 0
    assert "over people only" in out and "model fixed" in out
    # aijobs' people interval has no width: it is said, not printed as "x to x".
    line = next(x for x in out.splitlines() if x.startswith("ml_engineer vs software_engineer"))
    premium = line.split(": ", 1)[1].split(" ", 1)[0]
    assert f"{premium} to {premium}" not in line


def test_refits_below_the_minimum_are_refused(capsys) -> None:
    code, _, err = compare(
        capsys, "--role", "ML Engineer", "--vs", "SWE", "--refits", "2", "--model", "x"
    )
    assert code == USER_ERROR_EXIT and "refits=2" in err
