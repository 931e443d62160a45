"""Settings of the default model, chosen on validation rows only (never on a test split).

The out-of-time benchmark's test rows (aijobs.net's newest 25%, Kaggle 2021, Stack Overflow
2025) are left out entirely. Within what remains, each source is split once more the way the
model is used, learning from the older rows and pricing the newer ones:

    aijobs         the newest 25% of the remaining postings (file order) are validation
    kaggle         one survey year only (2019): a grouped random 25% is validation
    stackoverflow  train 2017, validate on 2024 (the next survey year)

Each variant of the pooled config (`--config`, default configs/pooled.yaml) is fitted on the
union of the sources' validation-train rows (`training.calibrate.fit_model`, as `mlpay train`
fits it) and scored per source: MAE in USD against the pay (a Kaggle band: the nearest pay in
it), and the bias of log pay. With `--seeds`, each variant is fitted once per seed (the config's
seed replaced; the validation rows stay those of the config's seed) and a cell is the mean over
seeds, ± half their range. The table goes to benchmarks/results/validation.md.

Usage: MLPAY_DATA_DIR=... python benchmarks/bench_validation.py [--config configs/pooled.yaml]
       [--seeds 42,1,2]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mlpay_model.data.split import deal_groups, group_keys, newest_rows  # noqa: E402
from training.calibrate import CalibrationPlan, fit_model  # noqa: E402
from training.config import TrainConfig, load_config  # noqa: E402
from training.data import load_training_data, target_bounds  # noqa: E402
from training.evaluate import point_metrics  # noqa: E402

DEFAULT_OUTPUT: Final = "benchmarks/results/validation.md"
TEST_FRACTION: Final = 0.25  # the out-of-time benchmark's newest-postings test share
TEST_YEAR: Final = {"kaggle": 2021, "stackoverflow": 2025}
VALIDATION_YEAR: Final = {"stackoverflow": 2024}

VARIANTS: Final[dict[str, dict[str, Any]]] = {
    "config as committed": {},
    "ridge_alpha 30": {"effects": {"ridge_alpha": 30.0}},
    "ridge_alpha 300": {"effects": {"ridge_alpha": 300.0}},
    "ridge_alpha 1000": {"effects": {"ridge_alpha": 1000.0}},
    "300 rounds at 0.05": {"lightgbm": {"num_boost_round": 300, "learning_rate": 0.05}},
    "63 leaves": {"lightgbm": {"num_leaves": 63}},
    "min_data_in_leaf 50, lambda_l2 10": {"lightgbm": {"min_data_in_leaf": 50, "lambda_l2": 10.0}},
    "no missing-value copy": {"missing_augmentation": 0.0},
    "feature_fraction 0.7": {"lightgbm": {"feature_fraction": 0.7}},
    "cat_smooth 30, min_data_per_group 100": {
        "lightgbm": {"cat_smooth": 30.0, "min_data_per_group": 100}
    },
    "15 leaves, 200 rounds": {"lightgbm": {"num_leaves": 15, "num_boost_round": 200}},
    "50 rounds at 0.2 (half the trees)": {
        "lightgbm": {"num_boost_round": 50, "learning_rate": 0.2}
    },
    "50 rounds at 0.2, 63 leaves": {
        "lightgbm": {"num_boost_round": 50, "learning_rate": 0.2, "num_leaves": 63}
    },
    "titles seen 100+ times": {"title_min_count": 100},
    "titles seen 50+ times": {"title_min_count": 50},
    "titles seen 30+ times": {"title_min_count": 30},
    "titles seen 20+ times": {"title_min_count": 20},
    "titles seen 10+ times": {"title_min_count": 10},
    "titles seen 5+ times": {"title_min_count": 5},
}


def validation_parts(profiles: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) masks over `profiles`; the benchmark's test rows are in neither."""
    sources = profiles["source"].astype(str).to_numpy()
    years = pd.to_numeric(profiles["year"], errors="coerce").to_numpy()
    test = np.zeros(len(profiles), dtype=bool)
    aijobs = sources == "aijobs"
    test[aijobs] = newest_rows(profiles[aijobs], TEST_FRACTION)
    for source, year in TEST_YEAR.items():
        test |= (sources == source) & (years >= year)
    validation = np.zeros(len(profiles), dtype=bool)
    remaining_aijobs = np.flatnonzero(aijobs & ~test)
    validation[remaining_aijobs] = newest_rows(profiles.iloc[remaining_aijobs], TEST_FRACTION)
    for source, year in VALIDATION_YEAR.items():
        validation |= (sources == source) & (years == year)
    kaggle = np.flatnonzero((sources == "kaggle") & ~test)
    rng = np.random.default_rng(seed)
    keys = group_keys(profiles.iloc[kaggle], ["source", "role", "country", "years_experience"])
    validation[kaggle[deal_groups(keys, TEST_FRACTION, 0.0, rng) == 2]] = True
    return ~test & ~validation, validation


def variant_config(config: TrainConfig, changes: dict[str, Any]) -> TrainConfig:
    """`config` with each section's keys updated (validated again)."""
    dumped = config.model_dump()
    for section, values in changes.items():
        if isinstance(values, dict):
            dumped[section] = {**(dumped.get(section) or {}), **values}
        else:
            dumped[section] = values
    return TrainConfig.model_validate(dumped)


def score(config: TrainConfig, train: pd.DataFrame, validation: pd.DataFrame) -> dict[str, Any]:
    """Per source: MAE (USD) and bias (log) of the variant's median on the validation rows."""
    model = fit_model(CalibrationPlan.of_config(config), train)
    median = model.raw(validation)[0]
    low, high = target_bounds(validation)
    truth = 0.5 * (np.log(low) + np.log(high))
    sources = validation["source"].astype(str).to_numpy()
    scores: dict[str, Any] = {}
    for source in sorted(set(sources)):
        rows = sources == source
        metrics = point_metrics(np.exp(median[rows]), low[rows], high[rows])
        scores[source] = (metrics["mae_usd"], float(np.mean(median[rows] - truth[rows])))
    return scores


def seeded_scores(
    config: TrainConfig, seeds: Sequence[int], train: pd.DataFrame, validation: pd.DataFrame
) -> dict[str, tuple[float, float, float]]:
    """Per source: (mean MAE, half the range of MAE, mean bias) of `score` over `seeds`."""
    runs = [score(config.model_copy(update={"seed": seed}), train, validation) for seed in seeds]
    out = {}
    for source in runs[0]:
        maes = [run[source][0] for run in runs]
        biases = [run[source][1] for run in runs]
        out[source] = (float(np.mean(maes)), (max(maes) - min(maes)) / 2, float(np.mean(biases)))
    return out


def cell(mae: float, half_range: float, bias: float, seeds: int) -> str:
    spread = f" ±{half_range:,.0f}" if seeds > 1 else ""
    return f"${mae:,.0f}{spread} ({bias:+.3f})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/pooled.yaml")
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--seeds", default=None, help="comma-separated seeds (default: the config's own)"
    )
    args = parser.parse_args(argv)
    config = load_config(REPO_ROOT / args.config)
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [config.seed]
    started = time.perf_counter()
    profiles = load_training_data(config).profiles
    train_mask, validation_mask = validation_parts(profiles, config.seed)
    train, validation = profiles[train_mask], profiles[validation_mask]
    rows = {
        source: (int((train.source == source).sum()), int((validation.source == source).sum()))
        for source in sorted(profiles.source.unique())
    }
    lines = [
        "# Default model settings, chosen on validation rows",
        "",
        f"Written by `python benchmarks/bench_validation.py --config {args.config}"
        + (f" --seeds {args.seeds}" if args.seeds else "")
        + "` (method: its docstring). Rows (train / validation): "
        + ", ".join(f"{s} {t:,} / {v:,}" for s, (t, v) in rows.items())
        + ". The out-of-time benchmark's test rows are in neither.",
        "",
        "| variant | " + " | ".join(f"{s} MAE (bias)" for s in rows) + " | fit s |",
        "| --- | " + " | ".join("---:" for _ in rows) + " | ---: |",
    ]
    for name, changes in VARIANTS.items():
        start = time.perf_counter()
        scores = seeded_scores(variant_config(config, changes), seeds, train, validation)
        seconds = (time.perf_counter() - start) / len(seeds)
        cells = [cell(*scores[s], len(seeds)) for s in rows]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {seconds:.0f} |")
        print(lines[-1], flush=True)
    lines += ["", f"Whole run {time.perf_counter() - started:.0f} s on a shared 2-core machine."]
    output = REPO_ROOT / args.output
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
