"""Benchmark `mlpay score` end to end: CSV of canonical profiles in, Parquet out.

For each size: generate the CSV (seeded, values from the model's vocabularies; see
generate_profiles.py), run `python -m mlpay_model score` in a child process, and report its
wall time, rows per second and peak memory (the child's RSS high-water mark, from wait4).
The reference is LightGBM alone: the model's three boosters (median, low, high) predicting
the already-encoded feature matrix with `lightgbm.Booster.predict`; "x raw" is how many
times longer the whole run takes per row than that. Prints a markdown table. Not a test.

    python benchmarks/bench_scoring.py --sizes 1000000,10000000 --model default

Targets (issue): >= 200k rows/s end to end on 2 cores; peak memory < 1 GiB at 10M rows.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# As `mlpay` itself does (mlpay_model.cli.main): spinning OpenMP threads starve each other
# on a small shared machine, which would make the Booster.predict reference unfair.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
sys.path[:0] = [str(ROOT), str(BENCHMARKS)]

from generate_profiles import write_profiles  # noqa: E402

RAW_SAMPLE_ROWS: Final = 200_000  # rows encoded once to time Booster.predict on


@dataclass(frozen=True)
class Run:
    rows: int
    seconds: float
    peak_rss_mib: float
    exit_code: int


def score_in_child(source: Path, output: Path, model: str, chunk_size: int, engine: str) -> Run:
    """`mlpay score` in a fresh process: wall time and that process's peak RSS."""
    command = [
        sys.executable,
        "-m",
        "mlpay_model",
        "score",
        str(source),
        "-o",
        str(output),
        "--model",
        model,
        "--chunk-size",
        str(chunk_size),
        "--engine",
        engine,
    ]
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    start = time.perf_counter()
    child = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    summary = child.stdout.read() if child.stdout else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"scoring failed with exit code {code}: {summary}")
    found = re.search(r"rows read ([\d,]+)", summary)
    if found is None:
        raise SystemExit(f"no summary line from the scoring run: {summary!r}")
    rows = int(found.group(1).replace(",", ""))
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1024 if sys.platform != "darwin" else 1
    return Run(rows, seconds, usage.ru_maxrss * scale / 2**20, code)


def raw_predict_rows_per_second(source: Path, model_name: str) -> float:
    """Rows/s of the three boosters alone on an encoded sample of the generated rows."""
    import lightgbm as lgb

    from mlpay_model.model import load_model
    from mlpay_model.model.artifact import QUANTILE_HEADS
    from mlpay_model.normalise import normalise_frame
    from mlpay_model.scoring._readers import describe_input, iter_chunks

    model = load_model(model_name)
    sample = next(iter_chunks(describe_input(source), RAW_SAMPLE_ROWS)).table
    profiles = normalise_frame(sample.drop_columns(["id"]).to_pandas()).profiles
    matrix = model.encoder.encode_frame(profiles)
    boosters = [
        lgb.Booster(model_file=str(model.path / model.manifest["models"][head]))
        for head in QUANTILE_HEADS
    ]
    start = time.perf_counter()
    for booster in boosters:
        booster.predict(matrix)
    return len(matrix) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated row counts")
    parser.add_argument("--model", default="default", help="model name or folder")
    parser.add_argument("--chunk-size", type=int, default=200_000)
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--workdir", type=Path, help="where the files go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mlpay-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    lines = [
        f"model: {args.model}; engine: {args.engine}; chunk size: {args.chunk_size:,}; "
        f"cores: {os.cpu_count()}",
        "",
        "| rows | seconds | rows/s | raw 3x Booster.predict rows/s | x raw | peak RSS (MiB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    try:
        for size in sizes:
            source = write_profiles(workdir / f"profiles_{size}.csv", size, args.model)
            run = score_in_child(
                source, workdir / f"scored_{size}.parquet", args.model, args.chunk_size, args.engine
            )
            raw = raw_predict_rows_per_second(source, args.model)
            rate = run.rows / run.seconds
            lines.append(
                f"| {run.rows:,} | {run.seconds:.1f} | {rate:,.0f} | {raw:,.0f} | "
                f"{raw / rate:.1f} | {run.peak_rss_mib:,.0f} |"
            )
            print(lines[-1], file=sys.stderr)
            if not args.keep:
                for path in workdir.glob(f"*_{size}*"):
                    path.unlink()
    finally:
        if not args.keep and args.workdir is None:
            for path in workdir.iterdir():
                path.unlink()
            workdir.rmdir()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
