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
   on the same CSV with (a) the shipped boosters, (b) trees that return 0 (what everything
   but the trees costs), (c) lleaves heads (loaded from their object files): once in this
   process, the variants taking turns (warm: normalising caches filled by the earlier runs),
   and once in a fresh process per run as bench_scoring.py times `mlpay score` (the ~92k
   rows/s reference; the others through this script's --child mode, which also imports
   bench_scoring and lleaves).

The profiles are bench_scoring.py's (generate_profiles.py, seed 0), encoded by the model as
bench_scoring's raw LightGBM reference encodes them. Prints a markdown table. Not a test.

    MLPAY_DATA_DIR=... python benchmarks/bench_compiled_trees.py --rows 500000 --repeats 2

Needs lleaves (1.3.0, the latest, needs llvmlite < 0.45: 0.45 removed the
PassManagerBuilder it uses) and threadpoolctl (extra `bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
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
from bench_scoring import (
    ROOT,
    Run,
    _version,
    compare_outputs,
    score_in_child,
    write_profiles,
)

from mlpay_model.scoring import default_rejects_path

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
    file: Path | None = None  # the file compiled (a copy when an objective line was added)
    object: Path | None = None  # lleaves' object file (cache=)
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
            result.model, result.file, result.object = model, attempt, cache
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

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        # lleaves keeps a pointer to a contiguous float64 copy only as long as it lives.
        data = np.ascontiguousarray(matrix, dtype=np.float64)
        return self.model.predict(data, n_jobs=self.n_jobs)


class NoTrees:
    """Trees that cost nothing: what the rest of the runtime costs."""

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
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


def child_run(spec: Path, source: Path, output: Path, env: dict[str, str]) -> Run:
    """This script's --child mode in a fresh process, timed as bench_scoring's
    `score_in_child` times `mlpay score` (wall, CPU and peak RSS from wait4)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(spec),
        "score",
        str(source),
        "-o",
    ]
    command += [str(output), "--model", "default", "--chunk-size", "200000"]
    start = time.perf_counter()
    child = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    summary = child.stdout.read() if child.stdout else ""
    code = os.waitstatus_to_exitcode(status)
    found = re.search(r"rows read ([\d,]+)", summary)
    if code not in (0, 1) or found is None:
        raise SystemExit(f"child scoring failed ({code}): {summary}")
    rows = int(found.group(1).replace(",", ""))
    return Run(rows, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)


def child_main(spec_file: Path, argv: list[str]) -> int:
    """`mlpay score argv` with the default model's trees swapped as the JSON spec says:
    {"engine": "none"} or {"engine": "lleaves", "n_jobs": n, "whole": bool, "heads":
    {head: [model file, lleaves object file]}}."""
    from mlpay_model.cli import main as mlpay_main
    from mlpay_model.model import load_model

    spec = json.loads(spec_file.read_text())
    model = load_model("default")  # cached: `mlpay score --model default` gets this object
    if spec["engine"] == "none":
        model._boosters = dict.fromkeys(model._boosters, NoTrees())
    else:
        import lleaves

        boosters = {}
        for head, (model_file, objects) in spec["heads"].items():
            compiled = lleaves.Model(model_file=model_file)
            compiled.compile(cache=objects)  # loads the object file, no compiling
            boosters[head] = CompiledHead(compiled, spec["n_jobs"])
        model._boosters = boosters
        if spec["whole"]:
            model._shifts = {}
    return mlpay_main(argv)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.exit(child_main(Path(sys.argv[2]), sys.argv[3:]))
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
                same = _same_as(name, output, reference_output)
                say(
                    f"| {name} | in this process | {wall:.2f} | {read / wall:,.0f} | "
                    f"{cpu:.1f} | {same} |"
                )
            # The same in fresh processes, as bench_scoring times `mlpay score` (imports, model
            # load and cold normalising caches included): the shipped trees through
            # bench_scoring's own runner, the others through this script's --child mode (the
            # lleaves heads loaded from the object files written above, not compiled again).
            specs: list[tuple[str, dict[str, Any] | None]] = [
                ("LightGBM (shipped), `mlpay score`", None),
                ("none (every tree returns 0)", {"engine": "none"}),
            ]
            if own_ok:
                specs.append(
                    (
                        "lleaves median + own trees, n_jobs=1",
                        {
                            "engine": "lleaves",
                            "n_jobs": 1,
                            "whole": False,
                            "heads": {
                                h: [str(r.file), str(r.object)] for h, r in own_models.items()
                            },
                        },
                    )
                )
            if whole_ok:
                specs.append(
                    (
                        "lleaves whole heads, n_jobs=1",
                        {
                            "engine": "lleaves",
                            "n_jobs": 1,
                            "whole": True,
                            "heads": {
                                h: [
                                    str(compiled[h, "whole"].file),
                                    str(compiled[h, "whole"].object),
                                ]
                                for h in heads
                            },
                        },
                    )
                )
            children: dict[str, Any] = {}
            for _ in range(args.repeats):
                for name, spec in specs:
                    output = workdir / f"child_{len(children)}.parquet"
                    env = {"PYTHONHASHSEED": "0"}
                    if spec is None:
                        run = score_in_child(source, output, "default", 200_000, "local", env)
                    else:
                        spec_file = workdir / "child_spec.json"
                        spec_file.write_text(json.dumps(spec))
                        run = child_run(spec_file, source, output, env)
                    if name not in children or run.seconds < children[name][0].seconds:
                        kept = workdir / f"child_best_{abs(hash(name))}.parquet"
                        shutil.copyfile(output, kept)
                        shutil.copyfile(default_rejects_path(output), default_rejects_path(kept))
                        children[name] = (run, kept)
            say()
            say("The same in a fresh process per run (`mlpay score`, as bench_scoring times it):")
            say()
            say("| trees | how | seconds | rows/s | CPU s | output = shipped trees' output |")
            say("| --- | --- | ---: | ---: | ---: | --- |")
            child_reference = children["LightGBM (shipped), `mlpay score`"][1]
            for name, (run, kept) in children.items():
                same = _same_as(name, kept, child_reference)
                say(
                    f"| {name} | child process | {run.seconds:.2f} | "
                    f"{run.rows / run.seconds:,.0f} | {run.cpu_seconds:.1f} | {same} |"
                )
            small = write_profiles(workdir / "profiles_small.csv", 1000, "default")
            spec_file.write_text(json.dumps({"engine": "none"}))
            startup = min(
                child_run(
                    spec_file, small, workdir / "small.parquet", {"PYTHONHASHSEED": "0"}
                ).seconds
                for _ in range(args.repeats)
            )
            say()
            say(
                f"Start-up of a fresh process (imports, model load; the none trees on 1,000 "
                f"rows): {startup:.2f} s, included in every child row above."
            )
            say()
            for label, none_wall, read in (
                (
                    "warm process",
                    *best["none (every tree returns 0)"][:1],
                    best["none (every tree returns 0)"][2],
                ),
                (
                    "fresh process",
                    children["none (every tree returns 0)"][0].seconds,
                    children["none (every tree returns 0)"][0].rows,
                ),
            ):
                say(
                    f"Everything but the trees ({label}): {none_wall / read * 1e6:.1f} us wall "
                    f"per row, {read / none_wall:,.0f} rows/s (the ceiling for any tree engine "
                    "in this runtime). Serial estimate, that + the trees alone at 2 jobs: "
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


def _same_as(name: str, output: Path, reference: Path) -> str:
    """How a run's output compares with the shipped trees' (trees that return 0, "none ...",
    are not compared)."""
    if output == reference:
        return "(reference)"
    return "not compared" if name.startswith("none") else compare_outputs(output, reference)


if __name__ == "__main__":
    main()
