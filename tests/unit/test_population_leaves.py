"""A model of several populations explains a person against their own population: its
artifact records each population's rows per leaf of each median tree (population_leaves.json),
and explanations weigh the trees' branches by them."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from mlpay_model import predict_salary
from mlpay_model.errors import ArtifactError
from mlpay_model.model import load_model
from mlpay_model.model.artifact import POPULATION_LEAVES

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "pooled"


def test_each_population_counts_its_own_training_rows_in_every_tree(pooled):
    model = load_model(pooled)
    manifest = model.manifest
    rows_of = Counter()
    for entry in manifest["data"]:
        rows_of[entry["source"]] += entry["rows_kept"]
    trees = len(model._boosters["median"].dump_model()["tree_info"])
    assert set(model.population_leaves) == set(model.populations)
    for population, counts in model.population_leaves.items():
        assert len(counts) == trees
        assert {sum(tree) for tree in counts} == {rows_of[population]}


def test_the_baseline_is_said_against_the_persons_population(pooled):
    """The same person in two populations: each baseline is that population's, and each
    explanation multiplies out to its own median."""
    person = {"role": "Data Scientist", "country": "US", "years_experience": 5}
    by_population = {
        population: predict_salary(**person, population=population, model=pooled)
        for population in ("aijobs", "kaggle")
    }
    assert by_population["aijobs"].baseline != pytest.approx(by_population["kaggle"].baseline)
    for prediction in by_population.values():
        product = prediction.baseline
        for item in prediction.explanation:
            product *= 1 + item.percent / 100
        assert product == pytest.approx(prediction.median, rel=1e-9)


def test_a_malformed_leaf_count_file_is_refused_naming_it(pooled, tmp_path):
    copy = Path(shutil.copytree(SHIPPED, tmp_path / "pooled"))
    bad = json.dumps({"aijobs": [[1, -2]]})
    (copy / POPULATION_LEAVES).write_text(bad, encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][POPULATION_LEAVES] = hashlib.sha256(bad.encode()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"population_leaves\.json: must map"):
        load_model(copy)
