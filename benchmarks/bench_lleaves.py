"""Benchmark lleaves (LLVM-compiled LightGBM trees) against mlpay's ctypes path (issue 9, item 7).

lleaves is the optional extra `fast` (`pip install -e ".[fast]"`, included in `dev`; lleaves
1.3 pins llvmlite < 0.45: it uses an llvmlite API that 0.45 removed). Run:

    .venv/bin/python benchmarks/bench_lleaves.py [--models aijobs,kaggle,stackoverflow] \
        [--rows 200000] [--output benchmarks/results/lleaves.md]

For every shipped model and booster (median, low, high):

1. Normalise a temporary copy of the text model for lleaves with the runtime's own
   `mlpay_model.model._compiled.normalised_text` (feature names f0..fN: lleaves splits
   `key=value` lines on every `=`, and mlpay's names hold `skill=python`; an
   `objective=regression` line where a custom objective left none: the output is the raw
   score, which is what `regression`'s identity transform gives). The shipped file is unchanged.
2. Compile it with lleaves, fp64, with one cache block of all trees unless --fblocksize (so
   the trees are summed in LightGBM's order and outputs are bit-identical). Timed cold (parse +
   LLVM codegen), then again from lleaves' object cache, as a load-time cache would.
3. Check lleaves' predictions against the runtime's ctypes path (mlpay_model's NativeBooster,
   LGBM_BoosterPredictForMat) and lightgbm.Booster.predict on `--rows` generated canonical
   profiles (generate_profiles.py's generator, normalised and encoded by the model itself), and
   on a copy with 10% of the non-skill cells set missing: max |difference| must be <= 1e-9.
4. Time predict throughput (rows/s, best of `--repeats`) of the three engines with 1 and 2
   threads on the same encoded matrix.
5. The runtime's compiled path (`_compiled.load_or_compile`: verified on its check matrix,
   cached with a sidecar sha256): load time from its cache, whether its output is bit for bit
   the ctypes one on both matrices, and its rows/s (all cores).

The ctypes engine is the runtime's exact call with the parameter string "num_threads=N" (the
runtime passes "" = OpenMP's default, all cores).

Prints a markdown table and writes it to `--output`. Not a test; timings on the 2-core shared
development machine are rough: compare engines within one run.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.metadata
import importlib.util
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final

# As `mlpay` itself does: spinning OpenMP threads starve each other on a small shared machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
sys.path[:0] = [str(ROOT), str(BENCHMARKS)]

import numpy as np  # noqa: E402
from generate_profiles import profile_block, vocabularies  # noqa: E402

from mlpay_model.model._compiled import load_or_compile, normalised_text  # noqa: E402

INSTALL_HINT: Final = (
    'lleaves is not installed: `.venv/bin/pip install -e ".[fast]"` (lleaves 1.3, llvmlite<0.45)'
)
TOLERANCE: Final = 1e-9
MISSING_RATE: Final = 0.10
HEADS: Final = ("median", "low", "high")
THREADS: Final = (1, 2)


@dataclass
class Compiled:
    model: object  # lleaves.Model
    cold_seconds: float
    cached_seconds: float
    object_bytes: int


def compile_lleaves(model_file: Path, workdir: Path, fblocksize: int | None) -> Compiled:
    """Compile a normalised copy; fblocksize None = one block of all trees (see --fblocksize)."""
    import lleaves

    source = workdir / f"{model_file.parent.name}-{model_file.stem}.txt"
    source.write_bytes(normalised_text(model_file.read_bytes()))
    cache = workdir / f"{source.stem}.o"
    start = time.perf_counter()
    compiled = lleaves.Model(model_file=str(source))
    block = fblocksize or compiled.num_trees()
    compiled.compile(cache=str(cache), fblocksize=block)  # compiles, writes the object file
    cold = time.perf_counter() - start
    start = time.perf_counter()
    reloaded = lleaves.Model(model_file=str(source))
    reloaded.compile(cache=str(cache), fblocksize=block)  # loads the object file, no codegen
    cached = time.perf_counter() - start
    return Compiled(reloaded, cold, cached, cache.stat().st_size)


def encoded_rows(model, name: str, rows: int, seed: int) -> np.ndarray:
    """`rows` generated canonical profiles, normalised and encoded as the runtime does."""
    from mlpay_model.normalise import normalise_frame

    vocab = vocabularies(name)
    rng = np.random.default_rng(seed)
    # ~0.1% of the generated rows have an unknown country and are rejected: draw a few more.
    table = profile_block(int(rows * 1.01) + 100, vocab, rng)
    profiles = normalise_frame(table.drop_columns(["id"]).to_pandas()).profiles
    matrix = model._matrix(profiles)[:rows]
    if len(matrix) < rows:
        raise SystemExit(f"{name}: only {len(matrix)} rows survived normalisation")
    return np.ascontiguousarray(matrix, dtype=np.float64)


def with_missing(matrix: np.ndarray, feature_names: list[str], seed: int) -> np.ndarray:
    """A copy with MISSING_RATE of the non-skill-indicator cells set to NaN."""
    out = matrix.copy()
    rng = np.random.default_rng(seed)
    columns = [i for i, n in enumerate(feature_names) if not n.startswith("skill=")]
    mask = rng.random((out.shape[0], len(columns))) < MISSING_RATE
    block = out[:, columns]
    block[mask] = np.nan
    out[:, columns] = block
    return out


def ctypes_predict(booster, matrix: np.ndarray, threads: int | None) -> np.ndarray:
    """The runtime's LGBM_BoosterPredictForMat call (NativeBooster's C API path), with the
    parameter string "num_threads=N" (None: the runtime's own call, parameters "")."""
    if threads is None:
        return booster._predict_with_c_api(matrix)  # never the compiled path it may have
    rows, cols = matrix.shape
    out = np.empty(rows, dtype=np.float64)
    out_len = ctypes.c_int64(0)
    status = booster._lib.LGBM_BoosterPredictForMat(
        booster._handle,
        ctypes.c_void_p(matrix.ctypes.data),
        ctypes.c_int(1),  # C_API_DTYPE_FLOAT64
        ctypes.c_int32(rows),
        ctypes.c_int32(cols),
        ctypes.c_int(1),  # row major
        ctypes.c_int(0),  # C_API_PREDICT_NORMAL
        ctypes.c_int(0),
        ctypes.c_int(-1),
        f"num_threads={threads}".encode(),
        ctypes.byref(out_len),
        ctypes.c_void_p(out.ctypes.data),
    )
    if status != 0:
        raise RuntimeError(booster._lib.LGBM_GetLastError())
    return out


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def best_rate(predict, rows: int, repeats: int) -> float:
    predict()  # warm up (thread pools, caches)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict()
        best = min(best, time.perf_counter() - start)
    return rows / best


def time_engines(llm, native, booster, matrix: np.ndarray, repeats: int) -> dict:
    """Rows/s per (engine, threads) on one matrix."""
    engines = {
        "lleaves": lambda t: llm.predict(matrix, n_jobs=t),
        "ctypes": lambda t: ctypes_predict(native, matrix, t),
        "booster": lambda t: booster.predict(matrix, num_threads=t),
    }
    return {
        (engine, t): best_rate(lambda: predict(t), len(matrix), repeats)  # noqa: B023
        for t in THREADS
        for engine, predict in engines.items()
    }


def one_row_microseconds(predict, row: np.ndarray, calls: int = 2000) -> float:
    """Warm latency of one single-row call, best of 3 loops of `calls`."""
    predict(row)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            predict(row)
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def runtime_path(
    model_file: Path,
    native,
    cache: Path,
    matrix: np.ndarray,
    holes: np.ndarray,
    repeats: int,
) -> dict:
    """Build, reload and check the runtime's own compiled forest of one booster."""
    text = model_file.read_bytes()
    reference = native._predict_with_c_api
    start = time.perf_counter()
    built = load_or_compile(text, reference, cache_root=cache)
    build = time.perf_counter() - start
    start = time.perf_counter()
    forest = load_or_compile(text, reference, cache_root=cache)
    load = time.perf_counter() - start
    if built is None or forest is None:
        return {"build": build, "load": load, "identical": False, "rate": 0.0}
    identical = all(
        np.array_equal(forest.predict(data).view(np.uint64), reference(data).view(np.uint64))
        for data in (matrix, holes)
    )
    rate = best_rate(lambda: forest.predict(matrix), len(matrix), repeats)
    return {"build": build, "load": load, "identical": identical, "rate": rate}


def max_diff(a: np.ndarray, b: np.ndarray) -> float:
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf")
    return float(np.nanmax(np.abs(a - b))) if len(a) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="aijobs,kaggle,stackoverflow")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fblocksize",
        type=int,
        default=None,
        help="lleaves' cache-blocking size; default: the booster's tree count (one block), "
        "which sums the trees in LightGBM's order and gives bit-identical output. lleaves' "
        "own default, 34, splits a 40-tree booster in two blocks: last-bit (~4e-15) differences",
    )
    parser.add_argument("--output", type=Path, default=BENCHMARKS / "results" / "lleaves.md")
    args = parser.parse_args()
    if importlib.util.find_spec("lleaves") is None:
        raise SystemExit(INSTALL_HINT)
    import lightgbm as lgb

    from mlpay_model.model import load_model

    results = []
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="mlpay-lleaves-") as work:
        for name in args.models.split(","):
            model = load_model(name)
            matrix = encoded_rows(model, name, args.rows, args.seed)
            holes = with_missing(matrix, model.encoder.feature_names, args.seed + 1)
            for head in HEADS:
                model_file = model.path / model.manifest["models"][head]
                native = model._boosters[head]
                booster = lgb.Booster(model_file=str(model_file))
                compiled = compile_lleaves(model_file, Path(work), args.fblocksize)
                llm = compiled.model
                diffs = {}
                equal = total = 0
                for label, data in (("full", matrix), ("missing", holes)):
                    reference = ctypes_predict(native, data, None)
                    ours = llm.predict(data, n_jobs=1)
                    diffs[label] = max(
                        max_diff(ours, reference),
                        max_diff(ours, booster.predict(data, num_threads=1)),
                        max_diff(ours, llm.predict(data, n_jobs=2)),
                    )
                    equal += int(np.sum(ours == reference))
                    total += len(ours)
                ok = max(diffs.values()) <= TOLERANCE
                all_ok &= ok
                rates = time_engines(llm, native, booster, matrix, args.repeats)
                runtime = runtime_path(
                    model_file, native, Path(work) / "runtime", matrix, holes, args.repeats
                )
                row = matrix[:1].copy()
                latency = {
                    "lleaves": one_row_microseconds(partial(llm.predict, n_jobs=1), row),
                    "ctypes": one_row_microseconds(native.predict_row, row),
                }
                results.append(
                    dict(
                        name=name,
                        head=head,
                        trees=llm.num_trees(),
                        features=llm.num_feature(),
                        compiled=compiled,
                        diffs=diffs,
                        identical=equal / total,
                        ok=ok,
                        rates=rates,
                        latency=latency,
                        runtime=runtime,
                    )
                )
                print(f"{name}/{head}: done", file=sys.stderr, flush=True)

    lines = [
        "# lleaves vs the ctypes path",
        "",
        f"`benchmarks/bench_lleaves.py --rows {args.rows}`: lleaves {_version('lleaves')}"
        f", llvmlite {_version('llvmlite')}, lightgbm {lgb.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs ({platform.machine()}). "
        f"{args.rows:,} generated canonical rows per model (generate_profiles.py, seed "
        f"{args.seed}), encoded by the model; rows/s = best of {args.repeats}. "
        "ctypes = the runtime's LGBM_BoosterPredictForMat call with `num_threads=N`; "
        "Booster = `lightgbm.Booster.predict(num_threads=N)`; lleaves = `lleaves.Model.predict"
        f"(n_jobs=N)` (fp64, fblocksize {args.fblocksize or '= tree count'}). "
        "Compile = parse + LLVM codegen of the normalised copy (cold), "
        "and loading lleaves' object cache instead. Max |diff| = largest difference of lleaves "
        "from ctypes, Booster.predict and itself with 2 threads, on the rows as generated and "
        f"on a copy with {MISSING_RATE:.0%} of the non-skill cells missing; "
        "bit-equal = share of those rows whose lleaves output is bit-for-bit the ctypes one. "
        "1 row µs: one warm `lleaves.Model.predict(row, n_jobs=1)` call against the runtime's "
        "single-row path (`NativeBooster.predict_row`, LGBM_BoosterPredictForMatSingleRowFast).",
        "",
        "| model | booster | trees | compile s (cold / cached) | .o KiB "
        "| max abs diff (full / missing) "
        "| bit-equal | lleaves 1t | ctypes 1t | Booster 1t | lleaves 2t | ctypes 2t | Booster 2t "
        "| lleaves / ctypes (1t, 2t) | 1 row µs (lleaves / ctypes fast) |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- "
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def k(rate: float) -> str:
        return f"{rate / 1000:,.0f}k"

    for r in results:
        c, rt = r["compiled"], r["rates"]
        lines.append(
            f"| {r['name']} | {r['head']} | {r['trees']} | {c.cold_seconds:.3f} / "
            f"{c.cached_seconds:.4f} | {c.object_bytes / 1024:.0f} | "
            f"{r['diffs']['full']:.1e} / {r['diffs']['missing']:.1e} | "
            f"{r['identical']:.1%} | "
            + " | ".join(k(rt[e, t]) for t in THREADS for e in ("lleaves", "ctypes", "booster"))
            + f" | {rt['lleaves', 1] / rt['ctypes', 1]:.1f}x, "
            f"{rt['lleaves', 2] / rt['ctypes', 2]:.1f}x | "
            f"{r['latency']['lleaves']:.1f} / {r['latency']['ctypes']:.1f} |"
        )
    # Per model, the three boosters in a row (what one `predict` call of the runtime runs).
    lines += [
        "",
        "Three boosters per model (median + low + high in sequence, rows/s of the model):",
        "",
        "| model | lleaves 1t | ctypes 1t | Booster 1t | lleaves 2t | ctypes 2t | Booster 2t |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in dict.fromkeys(r["name"] for r in results):
        group = [r for r in results if r["name"] == name]
        cells = []
        for t in THREADS:
            for engine in ("lleaves", "ctypes", "booster"):
                cells.append(k(1.0 / sum(1.0 / r["rates"][engine, t] for r in group)))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The runtime's compiled path (`mlpay_model.model._compiled.load_or_compile`: the check "
        "matrix compared bit for bit with ctypes, object code cached with a sidecar sha256): "
        "first build (compile + check + cache write), load from its cache (read, sha256, "
        "check), bit-equality with ctypes on both matrices above, rows/s with all cores:",
        "",
        "| model | booster | build s | load from cache ms | bit-identical to ctypes | rows/s |",
        "| --- | --- | ---: | ---: | --- | ---: |",
    ]
    for r in results:
        rt = r["runtime"]
        lines.append(
            f"| {r['name']} | {r['head']} | {rt['build']:.2f} | {rt['load'] * 1000:.0f} | "
            f"{'yes' if rt['identical'] else '**NO**'} | {k(rt['rate'])} |"
        )
        all_ok &= rt["identical"]
    lines += [
        "",
        f"All predictions within {TOLERANCE:g}: {'yes' if all_ok else 'NO'}.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    if not all_ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
