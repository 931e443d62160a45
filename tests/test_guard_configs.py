"""The config door: a training config that cannot be used is refused by `mlpay train` in one
line naming the file and the problem (exit 2), before any data is read or anything written;
YAML tags are never executed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpay_model import cli

GOOD = """\
sources:
  - adapter: aijobs
    path: {data}
features: [role, country, seniority]
model:
  name: guard
"""

# (id, config text ({data} is a CSV path), words the one line holds)
CASES = [
    ("invalid-yaml", "sources: [\n", "invalid YAML"),
    ("empty-file", "", "config"),
    ("a-list", "- 1\n- 2\n", "config"),
    ("a-text", "hello\n", "config"),
    ("unknown-key", GOOD + "colour: blue\n", "unknown key 'colour'"),
    ("duplicate-key", GOOD + "seed: 1\nseed: 2\n", "seed"),
    ("python-tag", GOOD + "seed: !!python/object/apply:os.system ['touch {data}.pwned']\n", "tag"),
    ("custom-tag", GOOD + "seed: !env HOME\n", "tag"),
    ("seed-text", GOOD + "seed: many\n", "seed"),
    (
        "no-sources",
        GOOD.replace("sources:\n  - adapter: aijobs\n    path: {data}\n", ""),
        "sources",
    ),
    ("empty-sources", GOOD.replace("  - adapter: aijobs\n    path: {data}\n", " []\n"), "sources"),
    ("unknown-adapter", GOOD.replace("adapter: aijobs", "adapter: payscale"), "payscale"),
    ("unknown-feature", GOOD.replace("seniority]", "seniority, shoe_size]"), "shoe_size"),
    ("feature-twice", GOOD.replace("seniority]", "seniority, role]"), "twice"),
    (
        "no-features",
        GOOD.replace("features: [role, country, seniority]\n", "features: []\n"),
        "features",
    ),
    ("model-name-bad", GOOD.replace("name: guard", "name: ../escape"), "name"),
    ("no-model", GOOD.replace("model:\n  name: guard\n", ""), "model"),
    (
        "quantiles-disordered",
        GOOD + "quantiles: {low: 0.9, median: 0.5, high: 0.1}\n",
        "low < median < high",
    ),
    ("coverage-above-1", GOOD + "calibration: {target_coverage: 1.5}\n", "target_coverage"),
    ("monotone-unknown", GOOD + "monotone_constraints: {role: 1}\n", "monotone_constraints"),
    ("lightgbm-unknown-key", GOOD + "lightgbm: {turbo: true}\n", "turbo"),
    ("split-fraction-text", GOOD + "split: {test_fraction: half}\n", "test_fraction"),
    ("output-dir-list", GOOD + "output_dir: [a, b]\n", "output_dir"),
    ("mlflow-unknown-key", GOOD + "mlflow: {server: x}\n", "server"),
    ("data-file-missing", GOOD.replace("{data}", "{data}.missing"), "missing"),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_config_is_one_line_naming_the_file(tmp_path, capfd, monkeypatch, text, words):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "salaries.csv"
    data.write_text("work_year,job_title\n")
    config = tmp_path / "bad.yaml"
    config.write_text(text.replace("{data}", str(data)), encoding="utf-8")
    output = tmp_path / "out"
    argv = ["train", "--config", str(config), "--output-dir", str(output)]
    status = cli.main([*argv, "--tracking-uri", f"sqlite:///{tmp_path}/mlflow.db"])
    err = capfd.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("mlpay train: error: "), err
    assert words.replace("{data}", str(data)) in err
    assert "bad.yaml" in err or "salaries.csv" in err  # the file is named
    assert "Traceback" not in err
    assert not output.exists() and not (tmp_path / "mlflow.db").exists()
    assert not Path(f"{data}.pwned").exists()  # a tag is never executed
