from __future__ import annotations

from pathlib import Path

import pytest
from training_factory import small_config_dict, write_aijobs_csv, write_config

from mlpay_model.cli import USER_ERROR_EXIT, main
from mlpay_model.model.artifact import read_manifest
from training.config import load_config


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Path]:
    data = write_aijobs_csv(tmp_path / "data" / "salaries.csv", rows=1200)
    return {
        "data": data,
        "config": write_config(tmp_path / "tiny.yaml", small_config_dict(data)),
        "output": tmp_path / "out",
        "store": tmp_path / "mlflow.db",
    }


def run_train(workspace: dict[str, Path], config: Path, *extra: str) -> int:
    return main(
        [
            "train",
            "--config",
            str(config),
            "--output-dir",
            str(workspace["output"]),
            "--tracking-uri",
            f"sqlite:///{workspace['store']}",
            *extra,
        ]
    )


def assert_refused(workspace, config: Path, capsys, *expected: str) -> None:
    assert run_train(workspace, config) == USER_ERROR_EXIT
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("mlpay train: error: ")
    for text in expected:
        assert text in lines[0]
    assert captured.out == ""
    assert not workspace["output"].exists(), "nothing is written"
    assert not workspace["store"].exists(), "no MLflow run is started"


def test_invalid_yaml(workspace, capsys):
    config = workspace["config"]
    config.write_text("sources: [\n", encoding="utf-8")
    assert_refused(workspace, config, capsys, str(config), "invalid YAML")


def test_unknown_key(workspace, capsys):
    config = write_config(workspace["config"], small_config_dict(workspace["data"], colour="blue"))
    assert_refused(workspace, config, capsys, str(config), "unknown key 'colour'")


def test_missing_data_file(workspace, capsys):
    config = write_config(
        workspace["config"], small_config_dict(workspace["data"].parent / "x.csv")
    )
    assert_refused(workspace, config, capsys, "x.csv: no such file")


def test_too_few_rows(workspace, capsys):
    small = write_aijobs_csv(workspace["data"].parent / "small.csv", rows=120)
    config = write_config(workspace["config"], small_config_dict(small))
    assert_refused(workspace, config, capsys, "small.csv", "at least 200")


def test_feature_the_data_does_not_have(workspace, capsys):
    settings = small_config_dict(workspace["data"], features=["role", "country", "education"])
    config = write_config(workspace["config"], settings)
    assert_refused(workspace, config, capsys, "feature 'education'", "aijobs")


@pytest.mark.slow
def test_train_tracks_the_run_and_publishes_the_artifact(workspace, capsys):
    assert run_train(workspace, workspace["config"]) == 0
    out = capsys.readouterr().out
    artifact = workspace["output"] / "tiny-aijobs"
    manifest = read_manifest(artifact)
    # Where the run was tracked and written is not part of what was trained: the manifest
    # keeps the config file's own values, so the same config gives the same manifest.
    assert manifest["config"]["output_dir"] == load_config(workspace["config"]).output_dir
    assert manifest["config"]["mlflow"] == load_config(workspace["config"]).mlflow.model_dump()
    assert (artifact / "MODEL_CARD.md").is_file()
    assert workspace["store"].is_file()
    assert f"{manifest['metrics']['test_mae_usd']:,.0f}" in out
    assert "baseline ridge" in out and "baseline group median" in out
    assert f"Model:  {artifact}" in out
    assert "MLflow: run " in out and "registered mlpay-tiny-aijobs version 1" in out
    # No staging folders are left beside the published artifact.
    assert [p.name for p in workspace["output"].iterdir()] == ["tiny-aijobs"]
