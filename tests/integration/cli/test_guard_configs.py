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


# Configs hold settings (issue 23 item 5): each with a one-line reason and a link to the result
# that chose it; the history lives in benchmarks/results/<name>_history.md, not in the config.
CONFIGS = Path(__file__).parents[3] / "configs"
MAX_COMMENT_SHARE = 0.30
# Over the limit today, owned elsewhere: strict, so trimming it turns this into a failure that
# asks for the entry to be removed.
OVER_LIMIT: dict[str, str] = {}


def comment_share(text: str) -> float:
    """Share of the text's characters that are YAML comments: a whole-line comment from its '#',
    an end-of-line comment from the blank before its '#' (no config quotes a '#')."""
    comment = 0
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            comment += len(stripped)
        elif " #" in line:
            comment += len(line) - line.index(" #")
    return comment / max(len(text), 1)


def test_comment_share_counts_whole_line_and_end_of_line_comments():
    assert comment_share("a: 1\n") == 0
    assert comment_share("# x\n") == 3 / 4
    assert comment_share("a: 1  # b\n") == len(" # b") / len("a: 1  # b\n")
    assert comment_share("path: ${X}/a#b\n") == 0  # a '#' inside a value is not a comment


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            path.name,
            marks=[pytest.mark.xfail(strict=True, reason=OVER_LIMIT[path.name])]
            if path.name in OVER_LIMIT
            else [],
        )
        for path in sorted(CONFIGS.glob("*.yaml"))
    ],
)
def test_a_training_config_is_at_most_30_percent_comments(name):
    share = comment_share((CONFIGS / name).read_text(encoding="utf-8"))
    assert share <= MAX_COMMENT_SHARE, (
        f"configs/{name}: {share:.0%} comments by characters (at most {MAX_COMMENT_SHARE:.0%}); "
        "move the narrative to benchmarks/results/ and leave a one-line reason with its link"
    )


def test_every_config_history_link_resolves():
    root = CONFIGS.parent
    for path in sorted(CONFIGS.glob("*.yaml")):
        for word in path.read_text(encoding="utf-8").split():
            if word.startswith("benchmarks/results/"):
                target = word.split("#", 1)[0].rstrip(".,;:)")
                assert (root / target).is_file(), f"configs/{path.name} links {word}: no such file"
