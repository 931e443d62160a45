"""Would LLVM-compiled trees (lleaves) let batch scoring of the default model reach 250k rows/s?

A measurement, not a product change: nothing in mlpay_model/ is edited; the runtime's
boosters are swapped for lleaves-compiled ones inside this process only. On the shipped
default model's three heads (median, low, high: LightGBM model files; the quantile heads
continue the median, the runtime predicting only their own trees):

1. compile: each head's file through `lleaves.Model(...).compile()` (cold, LLVM codegen), and
   loading the object file lleaves writes with `cache=` (lleaves cannot start at a tree, so
   the quantile heads are also compiled from a copy of their own trees only, written by
   `lightgbm.Booster.model_to_string(start_iteration=...)` into a temporary folder);
2. exactness: lleaves against LightGBM (the runtime's ctypes binding, `NativeBooster`) on the
   same encoded matrix, max |difference| of the raw log outputs and the share of rows that
   are bit for bit the same; also on a copy with 10% of the cells missing (NaN);
3. trees alone: rows/s of the three heads as the runtime runs them (LightGBM, 1 and 2
   OpenMP threads via threadpoolctl) against lleaves (n_jobs 1 and 2), whole heads and
   median + own trees;
4. the whole runtime: `score_file` (the `mlpay score` code, local engine, chunk size 200k)
   in this process on the same CSV with (a) the shipped boosters, (b) trees that return 0
   (what everything but the trees costs), (c) lleaves heads; plus `mlpay score` in a child
   process as bench_scoring.py runs it (the ~92k rows/s reference).

The profiles are bench_scoring.py's (generate_profiles.py, seed 0), encoded by the model as
bench_scoring's raw LightGBM reference encodes them. Prints a markdown table. Not a test.

    MLPAY_DATA_DIR=... python benchmarks/bench_compiled_trees.py --rows 500000 --repeats 2

Needs lleaves (1.3.0, the latest, needs llvmlite < 0.45: 0.45 removed the
PassManagerBuilder it uses) and threadpoolctl (extra `bench`).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# bench_scoring sets OMP_WAIT_POLICY=PASSIVE (as `mlpay` does) and puts the checkout first on
# sys.path; it must come before anything loads LightGBM.
from bench_scoring import compare_outputs, score_in_child, write_profiles

TARGET_ROWS_PER_SECOND = 250_000


@dataclass
class Compiled:
    head: str
    variant: str  # "whole" or "own trees"
    trees: int
    seconds: float = float("nan")  # cold compile
    cache_load_seconds: float = float("nan")
    object_kib: float = float("nan")
    model: Any = None  # the compiled lleaves.Model
    error: str | None = None


def encoded_matrix(source: Path, model: Any, rows: int) -> np.ndarray:
    """The feature matrix of the first `rows` generated profiles, as bench_scoring's raw
    reference builds it (normalised, rejects dropped, encoded by the model)."""
    from mlpay_model.normalise import normalise_frame
    from mlpay_model.scoring._readers import describe_input, iter_chunks

    table = next(iter_chunks(describe_input(source), rows)).table
    profiles = normalise_frame(table.drop_columns(["id"]).to_pandas()).profiles
    return np.ascontiguousarray(model._matrix(profiles), dtype=np.float64)


def own_trees_file(path: Path, first_tree: int, folder: Path) -> Path:
    """A LightGBM model file of `path`'s trees from `first_tree` on (what the runtime
    predicts of a head that continues the median), written by LightGBM itself."""
    import lightgbm as lgb

    text = lgb.Booster(model_file=str(path)).model_to_string(start_iteration=first_tree)
    target = folder / f"{path.stem}_from_{first_tree}.txt"
    target.write_text(text)
    return target


def with_objective(path: Path, folder: Path) -> Path:
    """`path`, or a copy of it with `objective=regression` in its header when it has no
    objective line (LightGBM writes none for a custom objective, as the quantile heads were
    trained; lleaves refuses such a file: "Missing non-nullable keys {'objective'}").
    regression's output transform is the identity: the raw score, what LightGBM predicts."""
    text = path.read_text()
    header = text.split("\nTree=", 1)[0]
    if any(line.startswith("objective=") for line in header.splitlines()):
        return path
    target = folder / f"{path.stem}_objective.txt"
    target.write_text(
        text.replace("\nmax_feature_idx=", "\nobjective=regression\nmax_feature_idx=", 1)
    )
    return target


def compile_head(
    head: str, variant: str, path: Path, trees: int, cache_dir: Path, fblocksize: int | None
) -> Compiled:
    """Cold compile of one model file (object file written with `cache=`), then a second
    model loaded from that object file. Any error is kept verbatim. A file without an
    objective line is tried as it is (its error kept) and then as `with_objective`'s copy."""
    import lleaves

    result = Compiled(head, variant, trees)
    cache = cache_dir / f"{head}_{variant.replace(' ', '_')}.o"
    blocks = {"fblocksize": fblocksize or trees} if fblocksize != 0 else {}
    errors = []
    for attempt in dict.fromkeys([path, with_objective(path, cache_dir)]):
        try:
            model = lleaves.Model(model_file=str(attempt))
            start = time.perf_counter()
            model.compile(cache=str(cache), **blocks)
            result.seconds = time.perf_counter() - start
            result.object_kib = cache.stat().st_size / 1024
            start = time.perf_counter()
            cached = lleaves.Model(model_file=str(attempt))
            cached.compile(cache=str(cache), **blocks)
            result.cache_load_seconds = time.perf_counter() - start
            result.model = model
            break
        except Exception as error:  # reported, not raised: whether lleaves accepts the file
            errors.append("".join(traceback.format_exception_only(error)).strip())
    if errors:
        result.error = (
            f"{errors[0]}; compiled with objective=regression added"
            if result.model is not None
            else "; ".join(errors)
        )
    print(
        f"compiled {head} ({variant}, {trees} trees): {result.seconds:.2f} s"
        + (f" ({result.error})" if result.error else ""),
        file=sys.stderr,
        flush=True,
    )
    return result


def differences(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Max |a - b| and the share of rows bit for bit equal."""
    return float(np.max(np.abs(a - b))), float(np.mean(a == b))


def with_missing(matrix: np.ndarray, share: float, seed: int = 0) -> np.ndarray:
    copy = matrix.copy()
    copy[np.random.default_rng(seed).random(copy.shape) < share] = np.nan
    return copy


def best_of(repeats: int, work: Callable[[], object]) -> tuple[float, float]:
    """(best wall seconds, CPU seconds of that run) of `repeats` runs of `work`."""
    best = (float("inf"), float("nan"))
    for _ in range(repeats):
        cpu, start = time.process_time(), time.perf_counter()
        work()
        wall = time.perf_counter() - start
        if wall < best[0]:
            best = (wall, time.process_time() - cpu)
    return best


class CompiledHead:
    """Stands in for a NativeBooster in `SalaryModel._boosters` (matrices only)."""

    def __init__(self, model: Any, n_jobs: int):
        self.model, self.n_jobs = model, n_jobs

    def predict_matrix(self, matrix: np.ndarray, *, contrib: bool = False) -> np.ndarray:
        assert not contrib
        # lleaves keeps a pointer to a contiguous float64 copy only as long as it lives.
        data = np.ascontiguousarray(matrix, dtype=np.float64)
        return self.model.predict(data, n_jobs=self.n_jobs)


class NoTrees:
    """Trees that cost nothing: what the rest of the runtime costs."""

    def predict_matrix(self, matrix: np.ndarray, *, contrib: bool = False) -> np.ndarray:
        return np.zeros(len(matrix))


def score_in_process(model: Any, source: Path, output: Path) -> tuple[float, float, int]:
    """`score_file` (the local engine) with the model as patched: wall s, CPU s, rows read."""
    from mlpay_model.model import load_model
    from mlpay_model.scoring import score_file

    assert load_model("default") is model  # score_file loads the (cached, patched) object
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    summary = score_file(source, output, model="default", chunk_size=200_000, progress=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, summary.rows_read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="generated profiles")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs; best is kept")
    parser.add_argument("--missing-rows", type=int, default=50_000)
    parser.add_argument("--skip-runtime", action="store_true", help="trees only")
    parser.add_argument(
        "--fblocksize",
        type=int,
        default=0,
        help="lleaves' trees per cache block: 0 lleaves' default (34), -1 a head's tree count "
        "(its trees summed in LightGBM's order)",
    )
    parser.add_argument("--output", type=Path, help="also write the table here (markdown)")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from mlpay_model.model import load_model
    from mlpay_model.model._booster import NativeBooster

    workdir = Path(tempfile.mkdtemp(prefix="mlpay-compiled-"))
    load_start = os.getloadavg()
    lines: list[str] = []

    def say(line: str = "") -> None:
        lines.append(line)
        print(line, file=sys.stderr, flush=True)

    try:
        model = load_model("default")
        heads = dict(model._boosters)  # the runtime's own boosters (NativeBooster)
        files = {head: model.path / model.manifest["models"][head] for head in heads}
        source = write_profiles(workdir / "profiles.csv", args.rows, "default")
        matrix = encoded_matrix(source, model, args.rows)
        rows = len(matrix)
        say(
            f"`benchmarks/bench_compiled_trees.py --rows {args.rows} --repeats {args.repeats} "
            f"--fblocksize {args.fblocksize}`"
            f": model default ({model.name}, {model.path.name}/), {rows:,} encoded rows of "
            f"{args.rows:,} generated (seed 0), {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, lightgbm {_version('lightgbm')}, lleaves "
            f"{_version('lleaves')}, llvmlite {_version('llvmlite')}; best of "
            f"{args.repeats}; lleaves fblocksize "
            f"{'tree count' if args.fblocksize == -1 else args.fblocksize or '34 (default)'}"
            f". NaN cells in the matrix: {np.mean(np.isnan(matrix)):.1%}."
        )

        # 1. compile
        blocks = None if args.fblocksize == -1 else args.fblocksize
        compiled: dict[tuple[str, str], Compiled] = {}
        own_dir = workdir / "own"
        own_dir.mkdir()
        for head, booster in heads.items():
            whole = NativeBooster(files[head], model.encoder.feature_names)
            compiled[head, "whole"] = compile_head(
                head, "whole", files[head], whole.num_iterations, workdir, blocks
            )
            if booster.first_tree:
                own = own_trees_file(files[head], booster.first_tree, own_dir)
                trees = whole.num_iterations - booster.first_tree
                compiled[head, "own trees"] = compile_head(
                    head, "own trees", own, trees, workdir, blocks
                )
        say()
        say("## Compile and exactness (raw log outputs, lleaves vs LightGBM)")
        say()
        say(
            "| head | file compiled | trees | compile s (cold) | load from cache= s | "
            "object KiB | max abs diff | bit-equal rows | max abs diff, 10% NaN | error / note |"
        )
        say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        holey = with_missing(matrix[: args.missing_rows], 0.10)
        for (head, variant), result in compiled.items():
            if result.model is None:
                say(f"| {head} | {variant} | {result.trees} | | | | | | | {result.error} |")
                continue
            reference = (
                heads[head]
                if variant == "own trees"
                else NativeBooster(files[head], model.encoder.feature_names)
            )
            diff, equal = differences(
                result.model.predict(matrix, n_jobs=2), reference.predict_matrix(matrix)
            )
            holey_diff, _ = differences(
                result.model.predict(holey, n_jobs=2), reference.predict_matrix(holey)
            )
            say(
                f"| {head} | {variant} | {result.trees} | {result.seconds:.2f} | "
                f"{result.cache_load_seconds:.3f} | {result.object_kib:,.0f} | {diff:.1e} | "
                f"{equal:.1%} | {holey_diff:.1e} | {result.error or ''} |"
            )
        whole_ok = all(compiled[head, "whole"].model is not None for head in heads)
        own_ok = all(
            compiled[key].model is not None
            for key in compiled
            if key[1] == "own trees" or key == ("median", "whole")
        )
        total_whole = sum(compiled[head, "whole"].seconds for head in heads)
        total_own = compiled["median", "whole"].seconds + sum(
            r.seconds for k, r in compiled.items() if k[1] == "own trees"
        )
        say()
        say(
            f"Compile at load, all three heads: {total_whole:.1f} s whole files, "
            f"{total_own:.1f} s median + own trees."
        )
        if whole_ok:
            # The runtime's log outputs: median, median + shift + own trees (`_quantile`).
            median = heads["median"].predict_matrix(matrix)
            worst = 0.0
            for head in heads:
                runtime = model._quantile(head, heads[head].predict_matrix(matrix), median)
                lleaves_out = compiled[head, "whole"].model.predict(matrix, n_jobs=2)
                worst = max(worst, differences(lleaves_out, runtime)[0])
            say(
                "lleaves whole heads against the runtime's composed outputs (median + shift + "
                f"own trees, the same trees summed in another order): max abs diff {worst:.1e}."
            )

        # 3. trees alone
        say()
        say("## Trees alone: the three heads on the encoded matrix")
        say()
        say("| engine | trees per row | threads / n_jobs | seconds | rows/s | CPU s | us CPU/row |")
        say("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        tree_rates: dict[tuple[str, int], float] = {}

        def lightgbm_heads() -> None:
            for booster in heads.values():
                booster.predict_matrix(matrix)

        engines: list[tuple[str, int, Callable[[int], Callable[[], object]]]] = [
            ("LightGBM (runtime binding)", 300, lambda jobs: lightgbm_heads),
        ]
        if whole_ok:
            engines.append(
                (
                    "lleaves, whole heads",
                    sum(compiled[h, "whole"].trees for h in heads),
                    lambda jobs: (
                        lambda: [
                            compiled[h, "whole"].model.predict(matrix, n_jobs=jobs) for h in heads
                        ]
                    ),
                )
            )
        own_models = {
            h: compiled[h, "own trees" if (h, "own trees") in compiled else "whole"] for h in heads
        }
        if own_ok:
            engines.append(
                (
                    "lleaves, median + own trees",
                    sum(r.trees for r in own_models.values()),
                    lambda jobs: (
                        lambda: [r.model.predict(matrix, n_jobs=jobs) for r in own_models.values()]
                    ),
                )
            )
        for name, trees, make in engines:
            for jobs in (1, 2):
                with threadpool_limits(limits=jobs, user_api="openmp"):
                    wall, cpu = best_of(args.repeats, make(jobs))
                tree_rates[name, jobs] = rows / wall
                say(
                    f"| {name} | {trees} | {jobs} | {wall:.2f} | {rows / wall:,.0f} | "
                    f"{cpu:.2f} | {cpu / rows * 1e6:.1f} |"
                )

        # 4. the whole runtime
        if not args.skip_runtime:
            say()
            say("## Whole runtime: `score_file` on the same CSV (local engine, chunk 200k)")
            say()
            say("| trees | how | seconds | rows/s | CPU s | output = shipped trees' output |")
            say("| --- | --- | ---: | ---: | ---: | --- |")
            stock_boosters, stock_shifts = model._boosters, model._shifts
            variants: list[tuple[str, dict[str, Any], Any]] = [
                ("LightGBM (shipped)", stock_boosters, stock_shifts),
                ("none (every tree returns 0)", dict.fromkeys(heads, NoTrees()), stock_shifts),
            ]
            if own_ok:
                for jobs in (1, 2):
                    variants.append(
                        (
                            f"lleaves median + own trees, n_jobs={jobs}",
                            {h: CompiledHead(r.model, jobs) for h, r in own_models.items()},
                            stock_shifts,
                        )
                    )
            if whole_ok:
                variants.append(
                    (
                        "lleaves whole heads, n_jobs=1",
                        {h: CompiledHead(compiled[h, "whole"].model, 1) for h in heads},
                        {},  # whole heads: no median + shift to add
                    )
                )
            best: dict[str, tuple[float, float, int, Path]] = {}
            try:
                for _ in range(args.repeats):
                    for name, boosters, shifts in variants:
                        model._boosters, model._shifts = boosters, shifts
                        output = workdir / f"out_{len(best)}_{abs(hash(name))}.parquet"
                        wall, cpu, read = score_in_process(model, source, output)
                        if name not in best or wall < best[name][0]:
                            best[name] = (wall, cpu, read, output)
            finally:
                model._boosters, model._shifts = stock_boosters, stock_shifts
            reference_output = best["LightGBM (shipped)"][3]
            for name, (wall, cpu, read, output) in best.items():
                same = "(reference)" if output == reference_output else "not compared"
                if output != reference_output and not name.startswith("none"):
                    same = compare_outputs(output, reference_output)
                say(
                    f"| {name} | in this process | {wall:.2f} | {read / wall:,.0f} | "
                    f"{cpu:.1f} | {same} |"
                )
            child = min(
                (
                    score_in_child(
                        source,
                        workdir / "child.parquet",
                        "default",
                        200_000,
                        "local",
                        {"PYTHONHASHSEED": "0"},
                    )
                    for _ in range(args.repeats)
                ),
                key=lambda run: run.seconds,
            )
            say(
                f"| LightGBM (shipped) | `mlpay score` child (bench_scoring) | "
                f"{child.seconds:.2f} | {child.rows / child.seconds:,.0f} | "
                f"{child.cpu_seconds:.1f} | |"
            )
            none_wall = best["none (every tree returns 0)"][0]
            read = best["none (every tree returns 0)"][2]
            say()
            say(
                f"Everything but the trees: {none_wall / read * 1e6:.1f} us wall per row "
                f"({read / none_wall:,.0f} rows/s: the ceiling for any tree engine in this "
                "runtime). Serial estimate, that + the trees alone at 2 jobs: "
                + "; ".join(
                    f"{name} {1 / (none_wall / read + 1 / rate):,.0f} rows/s"
                    for (name, jobs), rate in tree_rates.items()
                    if jobs == 2
                )
                + f" (target {TARGET_ROWS_PER_SECOND:,})."
            )
        load_end = os.getloadavg()
        say()
        say(
            "Load average (1, 5, 15 min): "
            f"{', '.join(f'{v:.1f}' for v in load_start)} at the start; "
            f"{', '.join(f'{v:.1f}' for v in load_end)} at the end."
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        args.output.write_text(report)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
