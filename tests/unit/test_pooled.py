"""The pooled model's pieces: interaction constraints, populations and `by_source`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpay_model import predict_salary
from mlpay_model.errors import ConfigError, InvalidInputError
from mlpay_model.model.features import FeatureSpec
from mlpay_model.model.fitting import interaction_columns
from training.config import load_config

REPO = Path(__file__).resolve().parents[2]
# The Stack Overflow files: 2024/2025 total compensation, 2017 base salary (`Salary`).
SO_PAY = "total compensation (2024-2025) and base salary (2017)"
MINIMAL = """\
sources:
  - adapter: aijobs
    path: ${MLPAY_DATA_DIR}/aijobs/salaries.csv
features: [role, country, seniority]
model: {name: demo}
"""


def _error(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_interaction_constraints_are_validated(tmp_path):
    assert "unknown interaction_constraints[0] feature 'skills'" in _error(
        tmp_path, "interaction_constraints: [[role, skills], [country, seniority]]\n"
    )
    assert "seniority in no group" in _error(
        tmp_path, "interaction_constraints: [[role, country]]\n"
    )
    assert "interaction_constraints[1] is empty" in _error(
        tmp_path, "interaction_constraints: [[role, country, seniority], []]\n"
    )
    assert "lists a feature twice" in _error(
        tmp_path, "interaction_constraints: [[role, role, country, seniority]]\n"
    )
    assert "unknown population 'kaggle'" in _error(tmp_path, "population: kaggle\n")


def test_configs_without_the_new_keys_dump_as_before():
    dumped = load_config(REPO / "configs" / "aijobs.yaml").model_dump()
    assert "interaction_constraints" not in dumped and "population" not in dumped
    pooled = load_config(REPO / "configs" / "pooled.yaml")
    assert pooled.model_dump()["population"] == "aijobs"
    assert "source" in pooled.features
    for group in pooled.interaction_constraints:  # skills/education never beside source
        assert not ({"source"} & set(group) and {"skills", "education"} & set(group))


def test_skills_stand_for_all_their_columns_in_the_constraints():
    spec = FeatureSpec(features=("role", "skills", "source"), categories={}, skills=("sql", "go"))
    # columns: role, skill=sql, skill=go, n_skills, source
    assert interaction_columns((("role", "skills"), ("source",)), spec) == [[0, 1, 2, 3], [4]]


def test_by_source_of_a_single_source_model_is_its_source():
    p = predict_salary("ML Engineer", "Germany", model="stackoverflow")
    assert p.population == "stackoverflow"
    assert [(f.source, f.label, f.pay_concept) for f in p.by_source] == [
        ("stackoverflow", "Stack Overflow survey", SO_PAY)
    ]
    assert p.by_source[0].median == p.median
    data = p.to_dict()
    assert data["population"] == {"source": "stackoverflow", "label": "Stack Overflow survey"}
    assert data["by_source"] == [
        {
            "source": "stackoverflow",
            "label": "Stack Overflow survey",
            "pay_concept": SO_PAY,
            "median": p.median,
            "pay_year": p.pay_year,
        }
    ]
    json.dumps(data)


def test_an_unknown_population_is_refused_by_name():
    with pytest.raises(InvalidInputError) as caught:
        predict_salary("ML Engineer", "Germany", model="aijobs", population="stackoverfow")
    assert caught.value.field == "population"
    assert "expected one of aijobs" in str(caught.value)


def test_cli_prints_and_dumps_by_source(capsys):
    from mlpay_model.cli import main

    assert main(["predict", "--role", "ML Engineer", "--country", "DE", "--model", "kaggle"]) == 0
    out = capsys.readouterr().out
    assert "for the population of: Kaggle survey (yearly compensation band" in out
    assert "    Kaggle survey (yearly compensation band): $" in out
    assert (
        main(["predict", "--role", "ML Engineer", "--country", "DE", "--model", "kaggle", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["by_source"][0]["source"] == "kaggle"
    assert data["population"]["source"] == "kaggle"
    assert (
        main(["predict", "--role", "ML Engineer", "--country", "DE", "--population", "nowhere"])
        == 2
    )
    assert "population='nowhere'" in capsys.readouterr().err


POOLED = REPO / "models" / "pooled"


@pytest.mark.skipif(
    not (POOLED / "manifest.json").is_file(),
    reason="models/pooled is not shipped (it loses on the aijobs test year)",
)
def test_the_pooled_model_shows_every_source_and_takes_a_population():
    kwargs = dict(years_experience=5, education="MSc", skills=["python", "pytorch"])
    p = predict_salary("ML Engineer", "Germany", model="pooled", **kwargs)
    assert p.population == "aijobs"
    assert [f.source for f in p.by_source] == ["aijobs", "kaggle", "stackoverflow"]
    assert [f.pay_concept for f in p.by_source] == [
        "base salary",
        "yearly compensation band",
        SO_PAY,
    ]
    assert p.by_source[0].median == p.median
    assert not [w for w in p.warnings if "ignored" in w]
    so = predict_salary(
        "ML Engineer", "Germany", model="pooled", population="stackoverflow", **kwargs
    )
    assert so.median == pytest.approx(p.by_source[2].median)
    assert so.pay_concept == SO_PAY
    more = predict_salary(
        "ML Engineer",
        "Germany",
        model="pooled",
        **{**kwargs, "skills": ["python", "pytorch", "aws", "spark", "go"]},
    )
    assert more.median != p.median
