"""The source registry: every source declared once, and a new one added the way docs/data.md says.

The toy source (tests/toy_source.py) follows docs/data.md "Add a data source" step by step: an
adapter module (written to tmp_path, returning canonical profiles via `conform`) that calls
`register_source` when imported, and a training config naming it. The toy file is a few hundred
synthetic rows: a test fixture, not a result. It is loaded and summarised here, trained on and
scored in tests/integration/train/test_source_registry_trained.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from toy_source import TOY, TOY_MIN_PAY, TOY_MODULE

from mlpay_model.cli import build_parser, main
from mlpay_model.data.quality import QualityRules
from mlpay_model.data.recipe import DataRecipe
from mlpay_model.data.sources import DataSource, load_profiles, register_source
from mlpay_model.data.sources.registry import (
    PAY_CONCEPTS,
    default_model_names,
    get_source,
    publisher_source_names,
    source_names,
    sources,
)
from mlpay_model.errors import ConfigError, DataError, MlpayError

REPO = Path(__file__).resolve().parents[2]


# --- the toy source, end to end --------------------------------------------------------------


def test_a_registered_source_is_loadable(toy):
    profiles = load_profiles(TOY, toy["csv"])
    assert len(profiles) == 600
    assert set(profiles["source"]) == {TOY}
    assert profiles["country"].notna().all() and (profiles["role"] == "ml_engineer").any()


def test_a_registered_source_is_summarisable(toy, capsys):
    assert main(["data", "summary", "--source", TOY, "--path", str(toy["csv"]), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["source"] == TOY and summary["rows_read"] == 600
    assert summary["rows_kept"] > 500


def test_a_registered_source_has_its_quality_minimum(toy):
    assert QualityRules.for_source(TOY).min_pay_usd == TOY_MIN_PAY


def test_a_registered_source_appears_in_the_cli_choices(toy):
    assert TOY in score_choices()
    assert TOY in summary_help()


def test_a_source_module_named_in_the_environment_reaches_the_command_line(toy):
    """docs/data.md step 2 for the `mlpay` command: MLPAY_SOURCE_MODULES imports the module."""
    environment = {
        **os.environ,
        "MLPAY_SOURCE_MODULES": TOY_MODULE,
        "PYTHONPATH": os.pathsep.join([str(toy["folder"]), str(REPO)]),
    }
    program = "import sys; from mlpay_model.cli import main; sys.exit(main(sys.argv[1:]))"
    arguments = ["data", "summary", "--source", TOY, "--path", str(toy["csv"]), "--json"]
    done = subprocess.run(
        [sys.executable, "-c", program, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_read"] == 600


# --- the registry itself ---------------------------------------------------------------------


def score_choices() -> tuple[str, ...]:
    action = _option(_subcommand(build_parser(), "score"), "--source")
    return tuple(action.choices or ())


def summary_help() -> str:
    data = _subcommand(build_parser(), "data")
    return str(_option(_subcommand(data, "summary"), "--source").help)


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise AssertionError(f"no subcommand {name}")


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(action for action in parser._actions if flag in action.option_strings)


def test_the_builtin_sources_and_their_pay_concepts():
    assert source_names()[:4] == ("aijobs", "kaggle", "stackoverflow", "csv")
    concepts = {source.name: source.pay_concept for source in sources()}
    assert concepts["aijobs"] == "base_salary"  # salary_in_usd
    assert concepts["stackoverflow"] == "total_compensation"  # ConvertedCompYearly
    assert concepts["kaggle"] == "yearly_compensation_band"
    assert concepts["csv"] is None  # whatever the user's mapped column holds
    assert all(c is None or c in PAY_CONCEPTS for c in concepts.values())


def test_the_stackoverflow_pay_concept_depends_on_the_survey_year():
    """2017 `Salary` asked for annual base salary ("excluding bonuses, grants, or other
    compensation"); 2021+ `ConvertedCompYearly` is total compensation (salary, bonuses and
    perks). The registry's per-year concept agrees with what the adapter's eras read."""
    from mlpay_model.data.sources.registry import model_pay_text, source_pay_text
    from mlpay_model.data.sources.stackoverflow import ERAS

    so = get_source("stackoverflow")
    assert so.pay_concept_of(2017) == "base_salary"
    assert so.pay_concept_of(2024) == so.pay_concept_of(None) == "total_compensation"
    assert {era.name: era.pay_concept for era in ERAS} == {
        "2017": "base_salary",
        "2021+": "total_compensation",
    }
    assert so.pay_text_for([2024, 2025]) == "total compensation"
    assert so.pay_text_for([2017]) == "base salary"
    mixed = "total compensation (2024-2025) and base salary (2017)"
    assert so.pay_text_for([2017, 2024, 2025]) == mixed
    manifest = json.loads((REPO / "models" / "stackoverflow" / "manifest.json").read_text())
    assert model_pay_text(manifest) == source_pay_text(manifest, "stackoverflow") == mixed
    assert mixed in (REPO / "models" / "stackoverflow" / "MODEL_CARD.md").read_text()
    aijobs = json.loads((REPO / "models" / "aijobs" / "manifest.json").read_text())
    assert model_pay_text(aijobs) == "base salary"
    with pytest.raises(ConfigError, match="pay_concept_by_year"):
        DataSource(
            name="bad",
            adapter="x:load",
            label="bad",
            pay_concept="base_salary",
            licence="-",
            attribution="-",
            pay_concept_by_year=((2017, "salary"),),  # type: ignore[arg-type]
        )


def test_every_cli_choice_list_comes_from_the_registry():
    assert score_choices() == publisher_source_names()
    assert all(name in summary_help() for name in source_names())


def test_the_quality_minimums_come_from_the_registry():
    for source in sources():
        assert QualityRules.for_source(source.name).min_pay_usd == source.min_pay_usd
    assert get_source("aijobs").min_pay_usd == 10_000.0


def test_every_source_has_licence_label_and_attribution():
    for source in sources():
        assert source.licence and source.label and source.attribution, source.name


def test_every_default_model_is_shipped_with_its_config():
    for name in default_model_names():
        assert (REPO / "configs" / f"{name}.yaml").is_file()
        assert (REPO / "models" / name / "manifest.json").is_file()
        config = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text(encoding="utf-8"))
        DataRecipe.from_config(config)  # the runtime recipe reads the shipped configs


@pytest.mark.parametrize(
    "call",
    [
        lambda: load_profiles("glassdoor", "x.csv"),
        lambda: QualityRules.for_source("glassdoor"),
        lambda: get_source("glassdoor"),
        lambda: DataRecipe.from_config({"sources": [{"adapter": "glassdoor", "path": "x"}]}),
    ],
)
def test_an_unknown_source_is_one_line_listing_the_registered_ones(call):
    with pytest.raises(MlpayError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and "unknown source 'glassdoor'" in message
    assert all(name in message for name in source_names())
    assert isinstance(caught.value, ConfigError | DataError)


def test_an_unknown_source_on_the_command_line(capsys):
    assert main(["data", "summary", "--source", "glassdoor", "--path", "x.csv"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and all(name in error for name in source_names())


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(ConfigError, match="already registered"):
        register_source(get_source("aijobs"))


def test_a_source_declares_a_known_pay_concept():
    with pytest.raises(ConfigError, match="pay_concept"):
        DataSource(
            name="bad",
            adapter="x:load",
            label="bad",
            pay_concept="salary",  # type: ignore[arg-type]
            licence="-",
            attribution="-",
        )


def test_the_recipe_reads_a_manifest_config_and_refuses_bad_keys():
    manifest = json.loads((REPO / "models" / "kaggle" / "manifest.json").read_text("utf-8"))
    recipe = DataRecipe.from_config(manifest["config"])
    assert [source.adapter for source in recipe.sources] == ["kaggle", "kaggle"]
    assert recipe.features == tuple(manifest["config"]["features"])
    with pytest.raises(ConfigError, match=r"unknown key 'pth' in sources\[0\].*did you mean path"):
        DataRecipe.from_config({"sources": [{"adapter": "aijobs", "pth": "x"}]})
    with pytest.raises(ConfigError, match="unknown quality rule setting 'min_pay'"):
        DataRecipe.from_config(
            {"sources": [{"adapter": "aijobs", "path": "x"}], "quality": {"min_pay": 1}}
        )
    with pytest.raises(ConfigError, match="needs a 'mapping'"):
        DataRecipe.from_config({"sources": [{"adapter": "csv", "path": "x"}]})


def test_no_source_is_named_outside_the_registry_and_its_adapters():
    """Source names as string literals live in registry.py and each source's adapter module."""
    allowed = {REPO / "mlpay_model/data/sources/registry.py"}
    allowed |= {REPO / f"mlpay_model/data/sources/{name}.py" for name in source_names()}
    allowed.add(REPO / "mlpay_model/model/_resolve.py")  # DEFAULT_MODEL: a model, not a source
    offenders = []
    for folder in ("mlpay_model", "training"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path in allowed:
                continue
            text = path.read_text(encoding="utf-8")
            for name in ("aijobs", "kaggle", "stackoverflow"):
                for line in text.splitlines():
                    if f'"{name}"' in line:
                        offenders.append(f"{path.relative_to(REPO)}: {line.strip()}")
    assert not offenders, textwrap.indent("\n".join(offenders), "  ")
