"""Latency of one prediction: `predict_salary` against LightGBM's own `Booster.predict`.

Usage:
    python benchmarks/bench_latency.py [--model default] [--calls 3000] [--cold-runs 5]

One row runs through LightGBM's single-row predictor (C API, `model/_booster.py`), each head
its own model file; a quantile head that continues the median runs only its own trees.

Prints a markdown table, every row measured in the same run:
    predict_salary                 p50 / p99 of one call, contributions not read (they are
                                   computed on first access), cycling through varied
                                   profiles so that no result is reused
    predict_salary + contributions the same, then reading `.contributions` (the person's
                                   factors: conditional Shapley values over them,
                                   `mlpay_model/model/factors.py`)
    Booster.predict(row)           the peer the latency target names: lightgbm's Python API
                                   on the median model, one encoded numpy row, defaults
    Booster.predict(row, num_threads=1)  the fastest way that API predicts one row
    lightgbm, same work            the LightGBM calls predict_salary needs, through the
                                   Python API: the median, then low and high from their
                                   first own tree; + pred_contrib adds LightGBM's SHAP
                                   values per model column, a reference for the cost of an
                                   explanation, not the work reading `.contributions` does
    ratios                         each predict_salary p50 over the peers' p50
    cold start                     `python -m mlpay_model predict ...` as a subprocess, the
                                   median of --cold-runs runs (and, for reference, the time
                                   to start Python and to `import lightgbm`)

The measures take turns in blocks after a warm-up, so machine load affects them alike.
OMP_WAIT_POLICY=PASSIVE is set before lightgbm is imported, as the `mlpay` command does: with
spinning OpenMP threads, a busy 2-core machine makes `Booster.predict` on one row erratic.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

PROFILES: tuple[dict[str, Any], ...] = (
    {"role": "Senior ML Engineer", "country": "US"},
    {"role": "Machine Learning/ MLops Engineer", "country": "Germany", "years_experience": 4},
    {"role": "Data Scientist", "country": "India", "education": "MSc", "skills": ["python"]},
    {"role": "Junior Data Analyst", "country": "GB", "skills": "sql, excel"},
    {"role": "Data Engineer", "country": "Canada", "seniority": "mid", "remote_ratio": 100},
    {"role": "Research Scientist", "country": "FR", "education": "PhD", "year": 2024},
    {"role": "Head of Data", "country": "Netherlands", "company_size": "L"},
    {"role": "Software Engineer", "country": "BR", "employment_type": "FT"},
    {"role": "Lead AI Engineer", "country": "Spain", "years_experience": 9},
    {"role": "MLOps Engineer", "country": "Poland", "skills": ["PyTorch", "AWS", "Docker"]},
    {"role": "Analytics Engineer", "country": "Australia", "seniority": "senior"},
    {"role": "Computer Vision Engineer", "country": "Japan", "remote_ratio": 50},
)


def percentiles(
    functions: dict[str, Callable[[int], object]], calls: int, block: int = 250
) -> dict[str, tuple[float, float]]:
    """(p50, p99) in microseconds of each `function(i)` over `calls` timed calls.

    The functions take turns in blocks of `block` calls (after a warm-up), so a machine whose
    load changes over time slows them alike. Blocks rather than single calls, because
    LightGBM's OpenMP threads keep spinning briefly after a batch prediction and would slow
    whatever runs right after them.
    """
    for i in range(min(200, calls)):
        for function in functions.values():
            function(i)
    timings: dict[str, list[int]] = {name: [] for name in functions}
    for first in range(0, calls, block):
        for name, function in functions.items():
            for i in range(first, min(first + block, calls)):
                start = time.perf_counter_ns()
                function(i)
                timings[name].append(time.perf_counter_ns() - start)
    out = {}
    for name, values in timings.items():
        p50, p99 = np.percentile(values, [50, 99]) / 1000.0
        out[name] = (float(p50), float(p99))
    return out


def cold_start(command: Sequence[str], runs: int) -> float:
    """Median wall time in milliseconds of running `command` `runs` times."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(timings)


def _model_record(model: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    """The canonical record `predict_salary` hands to the model for these arguments."""
    from mlpay_model.normalise import normalise_profile

    return normalise_profile(**arguments).record  # the model derives a seniority itself


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="model name or artifact folder")
    parser.add_argument("--calls", type=int, default=3000, help="timed calls per measure")
    parser.add_argument("--cold-runs", type=int, default=5, help="subprocess runs")
    parser.add_argument(
        "--alone",
        action="store_true",
        help="time predict_salary (contributions not read) alone, call after call, as a "
        "service answering one request after another does: no LightGBM peer calls (their "
        "OpenMP threads and SHAP values) interleaved between its blocks",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before lightgbm starts OpenMP
    import lightgbm as lgb

    from mlpay_model.model import load_model
    from mlpay_model.model.artifact import QUANTILE_HEADS
    from mlpay_model.predict import predict_salary

    start = time.perf_counter()
    model = load_model(args.model)
    load_ms = (time.perf_counter() - start) * 1000.0
    count = len(PROFILES)
    rows = [model.encoder.encode_record(_model_record(model, p)) for p in PROFILES]
    median, low, high = (
        lgb.Booster(model_file=str(model.path / model.manifest["models"][head]))
        for head in QUANTILE_HEADS
    )
    # the first tree of each head that predict_salary runs (0: the whole file)
    low_from, high_from = (model._boosters[head].first_tree for head in ("low", "high"))

    def profile(i: int) -> dict[str, Any]:
        return PROFILES[i % count]

    def plain_work(i: int) -> None:
        row = rows[i % count]
        median.predict(row)
        low.predict(row, start_iteration=low_from)
        high.predict(row, start_iteration=high_from)

    def contribution_work(i: int) -> None:
        plain_work(i)
        median.predict(rows[i % count], pred_contrib=True)

    ours = {
        "predict_salary (contributions not read)": lambda i: predict_salary(
            **profile(i), model=args.model
        ),
        "predict_salary + reading .contributions": lambda i: (
            predict_salary(**profile(i), model=args.model).contributions
        ),
    }
    peers = {
        "Booster.predict(row)": lambda i: median.predict(rows[i % count]),
        "Booster.predict(row, num_threads=1)": lambda i: median.predict(
            rows[i % count], num_threads=1
        ),
    }
    references = {
        "lightgbm, same work: median + low + high (own trees)": plain_work,
        "lightgbm, same work + pred_contrib": contribution_work,
    }
    if args.alone:
        first = next(iter(ours))
        for name, (p50, p99) in percentiles({first: ours[first]}, args.calls).items():
            print(
                f"{model.name}: {name} alone, load average "
                f"{os.getloadavg()[0]:.1f}: p50 {p50:,.1f} µs, p99 {p99:,.1f} µs"
            )
        return 0
    measures = percentiles({**ours, **peers, **references}, args.calls)
    predict_command = [
        sys.executable,
        *("-m", "mlpay_model", "predict", "--role", "ML Engineer", "--country", "US"),
        *("--model", str(model.path)),
    ]
    cold = {
        "`mlpay predict` (subprocess)": cold_start(predict_command, args.cold_runs),
        "`python -c pass`": cold_start([sys.executable, "-c", "pass"], args.cold_runs),
        "`python -c 'import lightgbm'`": cold_start(
            [sys.executable, "-c", "import lightgbm"], args.cold_runs
        ),
    }

    trees = sum(
        (model.path / model.manifest["models"][head]).read_text().count("\nTree=")
        for head in QUANTILE_HEADS
    )
    run = trees - low_from - high_from
    print(
        f"Model {model.name} {model.version} ({len(model.encoder.feature_names)} features, "
        f"{trees} trees in its three boosters, {run} run per row); lightgbm "
        f"{lgb.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}; loaded in {load_ms:.0f} ms; "
        f"{args.calls} timed calls per row of the table.\n"
    )
    print("| measure | p50 | p99 |")
    print("| --- | ---: | ---: |")
    for name, (p50, p99) in measures.items():
        print(f"| {name} | {p50:,.1f} µs | {p99:,.1f} µs |")
    same_work = dict(zip(ours, references, strict=True))
    for name in ours:
        for peer in (*peers, same_work[name]):
            ratio = measures[name][0] / measures[peer][0]
            print(f"| ratio of p50s: {name} / {peer} | {ratio:.2f}x | |")
    for name, milliseconds in cold.items():
        print(f"| cold start {name}, median of {args.cold_runs} | {milliseconds:,.0f} ms | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
