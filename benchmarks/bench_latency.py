"""Latency of one prediction: `predict_salary` against LightGBM's own `Booster.predict`.

Usage:
    python benchmarks/bench_latency.py [--model default] [--calls 3000] [--cold-runs 5]

Prints a markdown table:
    predict_salary, warm          p50 / p99 of one call, cycling through varied profiles (so
                                  no result is reused), after a warm-up; the measures take
                                  turns in blocks so machine load affects them alike
    raw Booster.predict, one row  lightgbm's Python API on the median model, one encoded row
    raw pred_contrib, one row     the same with pred_contrib=True (SHAP values)
    raw same work                 what predict_salary asks LightGBM for: SHAP values of the
                                  median model plus the low and high quantile models
    ratios                        predict_salary p50 over the raw p50s
    cold start                    `python -m mlpay_model predict ...` as a subprocess, the
                                  median of --cold-runs runs (and, for reference, the time
                                  to start Python and to `import lightgbm`)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="model name or artifact folder")
    parser.add_argument("--calls", type=int, default=3000, help="timed calls per measure")
    parser.add_argument("--cold-runs", type=int, default=5, help="subprocess runs")
    args = parser.parse_args(argv)

    import lightgbm as lgb

    from mlpay_model.inputs import normalise_profile
    from mlpay_model.model import load_model
    from mlpay_model.predict import predict_salary

    start = time.perf_counter()
    model = load_model(args.model)
    load_ms = (time.perf_counter() - start) * 1000.0
    count = len(PROFILES)
    rows = [model.encoder.encode_record(normalise_profile(**p).record) for p in PROFILES]
    boosters = {
        role: lgb.Booster(model_file=str(model.path / model.manifest["models"][role]))
        for role in ("median", "low", "high")
    }
    median = boosters["median"]

    def same_work(i: int) -> None:
        row = rows[i % count]
        median.predict(row, pred_contrib=True)
        boosters["low"].predict(row)
        boosters["high"].predict(row)

    measures = percentiles(
        {
            "predict_salary, warm": lambda i: predict_salary(
                **PROFILES[i % count], model=args.model
            ),
            "raw Booster.predict, one row": lambda i: median.predict(rows[i % count]),
            "raw pred_contrib, one row": lambda i: median.predict(
                rows[i % count], pred_contrib=True
            ),
            "raw same work (contrib + low + high)": same_work,
        },
        args.calls,
    )
    ours = measures["predict_salary, warm"][0]
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
        (model.path / model.manifest["models"][role]).read_text().count("\nTree=")
        for role in ("median", "low", "high")
    )
    print(
        f"Model {model.name} {model.version} ({len(model.encoder.feature_names)} features, "
        f"{trees} trees in its three boosters); lightgbm {lgb.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs; loaded in {load_ms:.0f} ms; "
        f"{args.calls} timed calls per row of the table.\n"
    )
    print("| measure | p50 | p99 |")
    print("| --- | ---: | ---: |")
    for name, (p50, p99) in measures.items():
        print(f"| {name} | {p50:,.1f} µs | {p99:,.1f} µs |")
    for name, (p50, _) in list(measures.items())[1:]:
        print(f"| ratio predict_salary / {name} | {ours / p50:.2f}x | |")
    for name, milliseconds in cold.items():
        print(f"| cold start {name}, median of {args.cold_runs} | {milliseconds:,.0f} ms | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
