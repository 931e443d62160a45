"""A source added the way docs/data.md says, trained on and scored (the registry, and the toy
source loaded and summarised: tests/unit/test_source_registry.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from toy_source import TOY, TOY_LICENCE

from mlpay_model.cli import main
from mlpay_model.data.recipe import DataRecipe


def toy_config(csv: Path) -> dict:
    """Step 3 of docs/data.md: a config naming the new adapter."""
    return {
        "sources": [{"adapter": TOY, "path": str(csv)}],
        "features": ["role", "country", "years_experience"],
        "lightgbm": {
            "num_boost_round": 20,
            "num_leaves": 5,
            "learning_rate": 0.3,
            "min_data_in_leaf": 10,
            "min_data_per_group": 10,
            "num_threads": 1,
        },
        "seed": 1,
        "model": {"name": "toy", "version": "0.1"},
    }


@pytest.fixture(scope="module")
def trained_toy(toy, tmp_path_factory):
    from training.config import TrainConfig
    from training.train import train

    config = TrainConfig.model_validate(toy_config(toy["csv"]))
    return train(config, staging_dir=tmp_path_factory.mktemp("staging"))


@pytest.mark.slow
def test_a_registered_source_is_trainable(trained_toy):
    assert [report.source for report in trained_toy.data.reports] == [TOY]
    card = (trained_toy.artifact_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert TOY_LICENCE in card  # the licence line comes from the registry
    assert "Toy: synthetic rows made for a test." in card
    assert f"{TOY}: base salary" in card


@pytest.mark.slow
def test_a_registered_source_is_scoreable(toy, trained_toy, tmp_path, capsys):
    output = tmp_path / "scored.csv"
    model = str(trained_toy.artifact_dir)
    status = main(["score", str(toy["csv"]), "-o", str(output), "--source", TOY, "--model", model])
    assert status == 0, capsys.readouterr().err
    scored = pd.read_csv(output)
    assert len(scored) == 600 and scored["pred_median"].gt(0).all()
    ml = scored.loc[scored["role"] == "ml_engineer", "pred_median"].median()
    analyst = scored.loc[scored["role"] == "data_analyst", "pred_median"].median()
    assert ml > analyst


@pytest.mark.slow
def test_the_manifest_config_of_a_toy_model_reads_back_as_a_recipe(trained_toy):
    from mlpay_model.compare import load_reference
    from mlpay_model.model.artifact import read_manifest

    manifest = read_manifest(trained_toy.artifact_dir)
    recipe = DataRecipe.from_config(manifest["config"])
    assert [source.adapter for source in recipe.sources] == [TOY]
    reference = load_reference(manifest)
    assert len(reference.profiles) == trained_toy.data.profiles.shape[0]
    assert all(item.matches_model for item in reference.files)
