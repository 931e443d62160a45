"""A pooled model trained on synthetic files: its boosters keep the interaction constraints and it
prices its default population (the unit tests: tests/unit/test_pooled.py)."""

from __future__ import annotations

import json

import pytest
from training_factory import small_config, write_aijobs_csv

from mlpay_model import load_model, predict_salary
from training.train import train


def _branches(tree: dict, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if "split_feature" not in tree:
        return [path]
    here = (*path, tree["split_feature"])
    return _branches(tree["left_child"], here) + _branches(tree["right_child"], here)


@pytest.fixture(scope="module")
def constrained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("constrained")
    data = write_aijobs_csv(folder / "salaries.csv", rows=1500)
    groups = [
        ["source", "role", "seniority", "year"],
        ["role", "country", "remote_ratio"],
        ["company_size"],
    ]
    config = small_config(
        data,
        features=["source", "role", "country", "seniority", "remote_ratio", "company_size", "year"],
        interaction_constraints=groups,
    )
    return train(config, staging_dir=folder / "out"), groups


@pytest.mark.slow
def test_trained_boosters_respect_the_interaction_constraints(constrained):
    import lightgbm as lgb

    result, groups = constrained
    manifest = json.loads((result.artifact_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["interaction_constraints"] == groups
    for head in ("median", "low", "high"):
        text = (result.artifact_dir / f"{head}.txt").read_text(encoding="utf-8")
        assert "[interaction_constraints: [0,1,3,6],[1,2,4],[5]]" in text  # LightGBM's own param
        booster = lgb.Booster(model_str=text)
        used = set()
        for tree in booster.dump_model()["tree_info"]:
            for branch in _branches(tree["tree_structure"]):
                names = {booster.feature_name()[i] for i in branch}
                used |= names
                assert any(names <= set(group) for group in groups), (head, names)
        assert {"country", "seniority"} <= used  # both groups grew trees


@pytest.mark.slow
def test_a_model_with_source_prices_its_default_population(constrained):
    result, _ = constrained
    model = load_model(result.artifact_dir)
    assert model.populations == ("aijobs",) and model.default_population == "aijobs"
    p = predict_salary("ML Engineer", "US", seniority="senior", model=model)
    assert p.population == "aijobs" and p.population_label == "aijobs.net"
    assert [f.source for f in p.by_source] == ["aijobs"]
    assert p.by_source[0].median == p.median
    assert p.pay_concept == "base salary"
    # batch scoring without a source column prices the same population
    import pandas as pd

    frame = pd.DataFrame([{"role": "ml_engineer", "country": "US", "seniority": "senior"}])
    assert model.predict(frame)["median"].iloc[0] == pytest.approx(p.median)
