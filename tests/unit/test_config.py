from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpay_model.data.sources import get_source, source_names
from mlpay_model.errors import ConfigError
from training.config import TrainConfig, load_config

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("aijobs", "kaggle", "stackoverflow")

MINIMAL = """\
sources:
  - adapter: aijobs
    path: ${MLPAY_DATA_DIR}/aijobs/salaries.csv
features: [role, country, seniority]
model: {name: demo}
"""


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    assert str(path) in message, "errors name the file"
    return message


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_are_valid_and_keep_data_paths_portable(name):
    config = load_config(REPO / "configs" / f"{name}.yaml")
    assert config.model.name == name
    dumped = config.model_dump()
    assert all(s["path"].startswith("${MLPAY_DATA_DIR}/") for s in dumped["sources"])
    json.dumps(dumped)  # goes into the JSON manifest as is
    assert config.mlflow.registered_model_name == f"mlpay-{name}"


def test_defaults_of_a_minimal_config(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.split.method == "grouped"
    assert (config.quantiles.low, config.quantiles.median, config.quantiles.high) == (
        0.1,
        0.5,
        0.9,
    )
    assert config.calibration.target_coverage == 0.8
    assert config.monotone_constraints == {"years_experience": 1}
    assert config.mlflow.tracking_uri == "sqlite:///mlflow.db"
    assert config.mlflow.registered_model_name == "mlpay-demo"
    assert config.output_dir == "models"
    assert config.target == "log_salary_usd"


def test_unknown_top_level_key_names_key_file_and_allowed_keys(tmp_path):
    message = error_of(write(tmp_path, MINIMAL + "learning_rate: 0.1\n"))
    assert "unknown key 'learning_rate'" in message
    assert "allowed:" in message and "lightgbm" in message


def test_unknown_nested_key_names_its_section_and_suggests(tmp_path):
    message = error_of(write(tmp_path, MINIMAL + "lightgbm: {num_leafs: 7}\n"))
    assert "'num_leafs' in lightgbm" in message
    assert "did you mean num_leaves" in message


def test_unknown_key_inside_a_source_entry(tmp_path):
    text = MINIMAL.replace("    path:", "    pth: x\n    path:")
    message = error_of(write(tmp_path, text))
    assert "'pth' in sources[0]" in message
    assert "adapter, path, mapping" in message


def test_invalid_yaml_names_the_line(tmp_path):
    message = error_of(write(tmp_path, MINIMAL + "split: [unclosed\n"))
    assert "invalid YAML at line" in message


def test_duplicate_keys_are_refused(tmp_path):
    message = error_of(write(tmp_path, MINIMAL + "seed: 1\nseed: 2\n"))
    assert "duplicate key 'seed'" in message


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n"])
def test_a_document_that_is_not_a_mapping_is_refused(tmp_path, text):
    error_of(write(tmp_path, text))


def test_missing_config_file(tmp_path):
    message = error_of(tmp_path / "nope.yaml")
    assert "no such file" in message


def test_missing_required_section(tmp_path):
    message = error_of(write(tmp_path, MINIMAL.replace("model: {name: demo}\n", "")))
    assert "missing required key 'model'" in message


def test_unknown_feature_lists_the_known_ones(tmp_path):
    message = error_of(write(tmp_path, MINIMAL.replace("seniority]", "senority]")))
    assert "unknown feature 'senority'" in message
    assert "did you mean seniority" in message


def test_unknown_adapter(tmp_path):
    message = error_of(write(tmp_path, MINIMAL.replace("adapter: aijobs", "adapter: glassdoor")))
    assert "sources[0].adapter" in message and "glassdoor" in message


def test_mapping_belongs_to_the_csv_adapter_only(tmp_path):
    with_mapping = MINIMAL.replace("    path:", "    mapping: m.yaml\n    path:")
    assert "csv adapter only" in error_of(write(tmp_path, with_mapping))
    csv_without = MINIMAL.replace("adapter: aijobs", "adapter: csv")
    assert "needs a 'mapping'" in error_of(write(tmp_path, csv_without, "csv.yaml"))


def test_quantiles_must_be_ordered(tmp_path):
    message = error_of(write(tmp_path, MINIMAL + "quantiles: {low: 0.6, median: 0.5}\n"))
    assert "low < median < high" in message


def test_fractions_must_leave_rows_to_train_on(tmp_path):
    text = MINIMAL + "split: {test_fraction: 0.4, calibration_fraction: 0.4}\n"
    assert "at most 0.6" in error_of(write(tmp_path, text))


def test_test_from_year_needs_the_temporal_split(tmp_path):
    text = MINIMAL + "split: {test_from_year: 2024}\n"
    assert "temporal" in error_of(write(tmp_path, text))


def test_quality_overrides_reach_the_rules_and_are_checked(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + "quality: {min_pay_usd: 20000}\n"))
    assert config.quality_rules("aijobs").min_pay_usd == 20000
    assert config.quality_rules("kaggle").min_pay_usd == 20000

    unknown = error_of(write(tmp_path, MINIMAL + "quality: {min_pay: 1}\n", "q1.yaml"))
    assert "unknown quality rule setting 'min_pay'" in unknown
    assert "min_pay_usd" in unknown

    bad_value = error_of(write(tmp_path, MINIMAL + "quality: {max_pay_usd: 5}\n", "q2.yaml"))
    assert "min_pay_usd < max_pay_usd" in bad_value


def test_fit_settings_are_what_the_runtime_reads_from_the_manifest(tmp_path):
    """One schema of the fitting settings: `TrainConfig.fit_settings()` is the runtime's
    `FitSettings` read from the dumped config, as `mlpay compare` reads a manifest's."""
    from mlpay_model.model.fitting import FitSettings

    text = MINIMAL + "min_category_count: 3\neffects: {factors: [skills]}\n"
    config = load_config(write(tmp_path, text))
    settings = config.fit_settings()
    assert settings == FitSettings.from_config(json.loads(json.dumps(config.model_dump())))
    assert settings.features == tuple(config.features)
    assert settings.min_category_count == 3 and settings.seed == config.seed
    assert settings.effects is not None and settings.effects.factors == ("skills",)
    assert settings.num_boost_round == config.lightgbm.num_boost_round
    assert "num_boost_round" not in settings.lightgbm
    assert settings.monotone == config.monotone_directions()


def test_title_min_count_reaches_the_fit_and_is_dumped_only_when_given(tmp_path):
    from mlpay_model.model.features import TITLE_MIN_COUNT

    plain = load_config(write(tmp_path, MINIMAL))
    assert "title_min_count" not in plain.model_dump()  # manifests trained before stay as they were
    assert plain.fit_settings().title_min_count == TITLE_MIN_COUNT
    lowered = load_config(write(tmp_path, MINIMAL + "title_min_count: 20\n", "lowered.yaml"))
    assert lowered.model_dump()["title_min_count"] == 20
    assert lowered.fit_settings().title_min_count == 20
    assert "title_min_count" in error_of(write(tmp_path, MINIMAL + "title_min_count: 0\n"))


def test_monotone_constraints_apply_to_used_numeric_or_ordinal_features(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + "monotone_constraints: {seniority: 1}\n"))
    assert config.monotone_directions() == {"seniority": 1}
    # The default constrains years_experience, which this config does not use.
    assert load_config(write(tmp_path, MINIMAL, "d.yaml")).monotone_directions() == {}
    off = MINIMAL + "monotone_constraints: {seniority: 0}\n"
    assert load_config(write(tmp_path, off, "off.yaml")).monotone_directions() == {}
    message = error_of(write(tmp_path, MINIMAL + "monotone_constraints: {role: 1}\n", "r.yaml"))
    assert "numeric or ordinal" in message


def test_model_name_must_be_a_safe_folder_name(tmp_path):
    message = error_of(write(tmp_path, MINIMAL.replace("name: demo", "name: ../evil")))
    assert "model.name" in message


def test_data_paths_expand_at_load_time_only(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPAY_DATA_DIR", str(tmp_path))
    config = load_config(write(tmp_path, MINIMAL))
    assert config.sources[0].path == "${MLPAY_DATA_DIR}/aijobs/salaries.csv"
    assert config.sources[0].resolved_path() == tmp_path / "aijobs" / "salaries.csv"


def test_adapters_are_the_source_registry(tmp_path):
    for name in source_names():
        mapping = "mapping: m.yaml\n    " if get_source(name).needs_mapping else ""
        text = MINIMAL.replace("adapter: aijobs", f"adapter: {name}\n    {mapping}".rstrip())
        assert load_config(write(tmp_path, text)).sources[0].adapter == name
    message = error_of(write(tmp_path, MINIMAL.replace("adapter: aijobs", "adapter: aijob")))
    assert all(name in message for name in source_names())


def test_model_dump_round_trips(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + "seed: 3\n"))
    assert TrainConfig.model_validate(config.model_dump()) == config
