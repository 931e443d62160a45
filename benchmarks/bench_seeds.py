"""Seed stability of mlpay's 80% interval: retrain each committed config with 10 seeds.

Per config (`configs/aijobs.yaml`, `configs/kaggle.yaml`, `configs/stackoverflow.yaml` by
default) and per seed (0..9 by default), the config is retrained through the project's
pipeline, `training.train.train(config.model_copy(update={"seed": seed}))`, everything else
unchanged. The seed drives both the grouped train / calibration / test split and the boosters,
so each seed is a different calibration sample and a different test split.

Reported per source and seed, on that seed's test split (from `TrainResult.metrics` and
`TrainResult.test_predictions`):

    test MAE (USD)   `test_mae_usd` (a Kaggle band: distance to its nearest pay)
    coverage         `test_coverage`, the 80% interval's coverage (a band counts the share
                     inside the interval)
    mean width       `test_width_usd`
    collapsed        `test_collapsed_share`: share of test predictions whose high is within
                     10% of the median (pred_high <= 1.1 * pred_median)
    role / country coverage  the lowest and highest coverage over the roles / countries with
                     at least GROUP_ROWS test rows (`TrainResult.breakdowns`)
    train s          wall seconds of the whole `train` call (cross-conformal calibration fits
                     folds + 2 models of 3 boosters each; the split method 1)

Then per source: min / max coverage across seeds and how many seeds land in 78-82% (issue 9,
item 5: "coverage holds for every seed: 78-82% for each of 10 seeds").

Usage (from the repository root, MLPAY_DATA_DIR set):
    python benchmarks/bench_seeds.py [--configs configs/aijobs.yaml,...] [--seeds 0-9]
                                     [--output benchmarks/results/seeds.md]
"""

from __future__ import annotations

import os

# Idle OpenMP threads sleep rather than spin (see benchmarks/README.md); before LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from mlpay_model._atomic import write_text  # noqa: E402
from training.config import load_config  # noqa: E402
from training.evaluate import breakdown  # noqa: E402
from training.train import TrainResult, train  # noqa: E402

DEFAULT_CONFIGS: Final = (
    "configs/aijobs.yaml",
    "configs/kaggle.yaml",
    "configs/stackoverflow.yaml",
)
DEFAULT_OUTPUT: Final = REPO_ROOT / "benchmarks" / "results" / "seeds.md"
BAND: Final = (0.78, 0.82)
GROUP_ROWS: Final = 100  # fewer test rows: a group's coverage is mostly noise (SE > 4 points)


@dataclass(frozen=True)
class Run:
    source: str
    seed: int
    test_rows: int
    mae_usd: float
    coverage: float
    width_usd: float
    collapsed: float
    seconds: float
    method: str
    role_coverage: tuple[float, float]
    country_coverage: tuple[float, float]
    source_coverage: dict[str, float]  # the pooled model's test rows of each source


def group_coverage(result: TrainResult, column: str) -> tuple[float, float]:
    """(lowest, highest) coverage over the `column` groups with at least GROUP_ROWS test rows."""
    table = result.breakdowns[column]
    shares = table.loc[table["rows"] >= GROUP_ROWS, "coverage"].to_numpy()
    return (float(np.min(shares)), float(np.max(shares))) if len(shares) else (np.nan, np.nan)


def source_coverage(result: TrainResult) -> dict[str, float]:
    """Coverage on each source's test rows when the model learns from several sources (the
    interval a user gets for each `population`)."""
    predictions = result.test_predictions
    sources = sorted(predictions["source"].astype(str).unique())
    if len(sources) < 2:
        return {}
    labelled = predictions.assign(source=predictions["source"].astype(str))
    table = breakdown(labelled, "source", sources)
    return {source: float(table.loc[source, "coverage"]) for source in sources}


def run_one(config_path: Path, seed: int, staging: Path) -> Run:
    config = load_config(config_path).model_copy(update={"seed": seed})
    start = time.perf_counter()
    result = train(config, staging_dir=staging / f"{config.model.name}-{seed}")
    seconds = time.perf_counter() - start
    metrics = result.metrics
    method = config.calibration.method
    if method == "cross_conformal":
        method += f" ({config.calibration.folds} folds)"
    return Run(
        source=config.model.name,
        seed=seed,
        test_rows=int(metrics["test_rows"]),
        mae_usd=metrics["test_mae_usd"],
        coverage=metrics["test_coverage"],
        width_usd=metrics["test_width_usd"],
        collapsed=metrics["test_collapsed_share"],
        seconds=seconds,
        method=f"{method}, {config.calibration.quantile_heads} heads",
        role_coverage=group_coverage(result, "role"),
        country_coverage=group_coverage(result, "country"),
        source_coverage=source_coverage(result),
    )


def _usd(value: float) -> str:
    return f"${value:,.0f}"


def _span(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.1%} - {bounds[1]:.1%}" if np.isfinite(bounds[0]) else "-"


def render(runs: Sequence[Run], header: Sequence[str]) -> str:
    lines = [*header, "", "## Per source and seed", ""]
    lines += [
        "| source | seed | test rows | test MAE (USD) | 80% coverage | mean width (USD) "
        f"| collapsed | role coverage (>= {GROUP_ROWS} rows) | country coverage "
        f"(>= {GROUP_ROWS} rows) | train s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r.source} | {r.seed} | {r.test_rows:,} | {_usd(r.mae_usd)} | {r.coverage:.1%} "
            f"| {_usd(r.width_usd)} | {r.collapsed:.1%} | {_span(r.role_coverage)} "
            f"| {_span(r.country_coverage)} | {r.seconds:.1f} |"
        )
    pooled = [r for r in runs if r.source_coverage]
    if pooled:
        sources = sorted({source for r in pooled for source in r.source_coverage})
        lines += ["", "## A model of several sources: coverage on each source's test rows", ""]
        lines += [
            "| model | seed | " + " | ".join(sources) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in sources) + " |",
        ]
        for r in pooled:
            cells = [
                f"{r.source_coverage[s]:.1%}" if s in r.source_coverage else "-" for s in sources
            ]
            lines.append(f"| {r.source} | {r.seed} | " + " | ".join(cells) + " |")
        inside = [
            f"{source} {sum(BAND[0] <= r.source_coverage[source] <= BAND[1] for r in pooled)}"
            f"/{len(pooled)}"
            for source in sources
        ]
        lines += ["", "Seeds in 78-82% per source: " + ", ".join(inside) + "."]
    lines += ["", "## Per source, across seeds", ""]
    lines += [
        "| source | seeds | coverage min | coverage max | seeds in 78-82% | MAE min - max (USD) "
        "| collapsed min - max | lowest role coverage | lowest country coverage |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for source in dict.fromkeys(r.source for r in runs):
        mine = [r for r in runs if r.source == source]
        cov = [r.coverage for r in mine]
        inside = sum(BAND[0] <= c <= BAND[1] for c in cov)
        mae = [r.mae_usd for r in mine]
        col = [r.collapsed for r in mine]
        lines.append(
            f"| {source} | {len(mine)} | {min(cov):.1%} | {max(cov):.1%} | {inside}/{len(mine)} "
            f"| {_usd(min(mae))} - {_usd(max(mae))} | {min(col):.1%} - {max(col):.1%} "
            f"| {np.nanmin([r.role_coverage[0] for r in mine]):.1%} "
            f"| {np.nanmin([r.country_coverage[0] for r in mine]):.1%} |"
        )
    lines += [
        "",
        "- Calibration: "
        + "; ".join(sorted({f"{r.source} {r.method}" for r in runs}))
        + " (`training.config.CalibrationConfig`). Cross-conformal: q from the out-of-fold "
        "scores of the non-test rows; the scored model is refitted on every non-test row.",
        "- The seed sets both the grouped train / calibration / test split and the boosters' "
        "seed; each row is scored on its own seed's test split.",
        "- **coverage**: `test_coverage` of `train` (a Kaggle band counts the share of the band "
        "inside the interval); in 78-82% means 0.78 <= coverage <= 0.82 before rounding.",
        "- **collapsed**: share of test predictions with pred_high <= 1.1 x pred_median.",
        f"- **role / country coverage**: lowest - highest coverage over the groups with at "
        f"least {GROUP_ROWS} test rows of that seed.",
        "",
    ]
    return "\n".join(lines)


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            first, last = part.split("-")
            seeds.extend(range(int(first), int(last) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(DEFAULT_CONFIGS))
    parser.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,7")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def _header(
    names: str, seeds: str, started: float, load_start: tuple[float, float, float], done: bool
) -> list[str]:
    progress = "" if done else " (in progress: the seeds finished so far)"
    return [
        "# Seed stability of the 80% interval",
        "",
        f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} by `benchmarks/bench_seeds.py`: "
        f"configs {names}, seeds {seeds}{progress}; total {time.perf_counter() - started:.0f} s "
        f"on {os.cpu_count()} cores (load average {load_start[0]:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end).",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configs = [
        REPO_ROOT / c if not Path(c).is_absolute() else Path(c) for c in args.configs.split(",")
    ]
    seeds = parse_seeds(args.seeds)
    started = time.perf_counter()
    load_start = os.getloadavg()
    names = ", ".join(
        f"`{p.relative_to(REPO_ROOT)}`" if p.is_relative_to(REPO_ROOT) else f"`{p}`"
        for p in configs
    )
    runs: list[Run] = []
    text = ""
    with tempfile.TemporaryDirectory(prefix="mlpay-seeds-") as staging:
        for path in configs:
            for seed in seeds:
                run = run_one(path, seed, Path(staging))
                runs.append(run)
                print(
                    f"{run.source} seed {seed}: coverage {run.coverage:.1%}, "
                    f"collapsed {run.collapsed:.1%}, MAE {_usd(run.mae_usd)}, "
                    f"{run.seconds:.1f} s"
                    + "".join(f", {k} {v:.1%}" for k, v in run.source_coverage.items()),
                    file=sys.stderr,
                    flush=True,
                )
                # Written after every seed: a run stopped early keeps the seeds it finished.
                done = len(runs) == len(configs) * len(seeds)
                text = render(runs, _header(names, args.seeds, started, load_start, done))
                args.output.parent.mkdir(parents=True, exist_ok=True)
                write_text(args.output, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
