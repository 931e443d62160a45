"""Batch prediction through lleaves (LightGBM trees compiled by LLVM), verified bit for bit.

For large matrices a booster's trees run 4-6x faster as machine code than through LightGBM's
C API (benchmarks/results/lleaves.md). lleaves is optional (extra `fast`); without it, or on
any doubt, the ctypes path (`_booster.NativeBooster`) answers, so a number is never wrong:

- Trees are evaluated in blocks of `_in_order_blocks.BLOCK_TREES` over all rows (instruction
  cache blocking, about 2x faster on the pooled model), each block continuing the running
  total, so they are summed in LightGBM's order and outputs are bit-identical.
- The shipped text model is never changed. lleaves compiles a normalised copy of its text
  (`normalised_text`: feature names f0..fN, since lleaves splits header lines on every `=` and
  mlpay's names hold `skill=python`; an `objective=regression` line where a custom objective
  left none: identity output, as the runtime reads the raw score).
- The object code is cached in the user's cache folder (`mlpay_model._cache.cache_dir()`,
  under `compiled/`; never inside a models folder, so an artifact stays pickle-free and its
  hashes unchanged), written atomically beside a sidecar holding its sha256. The key is the
  sha256 of the normalised text, the lleaves and llvmlite versions, the CPU (LLVM's host name
  and features), the platform and the block size.
- Before use, a compiled forest must give bit-identical output to the ctypes path on a fixed
  matrix (`check_matrix`: the model's own split thresholds and their neighbours, categories,
  range ends and missing values). A failure (lleaves missing, a compile error, a corrupt
  cache entry, a mismatch) is logged and counted in FALLBACKS by reason; a cache entry that
  fails is rebuilt once, then the booster stays on ctypes.

When: a warm cache entry is loaded on the first batch of MIN_BATCH_ROWS rows (~30 ms a booster).
Compiling costs 0.2-1.1 s per booster (about 1-3 CPU seconds for a model's three) and saves
~1.3 us of wall time per row for the three (ctypes ~0.56M rows/s on 2 cores, lleaves ~2.5M),
so within one process it pays from roughly 0.3M rows (aijobs' small trees) to 1.1M (kaggle's).
The rule is the ski-rental one: keep paying (ctypes) until what was paid is about the price,
then buy. A booster is compiled once it has predicted COMPILE_AFTER_ROWS rows in batches (at
ctypes speed about as long as a compile takes, the middle of that range), in a background
thread while the ctypes path keeps answering; the process waits for it at exit, so the cache
is warm for the next run. So a first large job spends at most about twice the best choice,
and every later run of it starts compiled.
One row (`predict_salary`) uses ctypes until the booster has predicted ROW_CALLS_BEFORE_LOAD
single rows; then the same forest is looked for in the background (`CompiledPath.row_forest`)
and, once there, called directly (~2 us for the pooled median's 300 trees, ~7 us through
ctypes). SHAP values always use ctypes.
Opt out with MLPAY_COMPILED=off.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np

from mlpay_model._atomic import write_text
from mlpay_model._cache import cache_dir, is_inside
from mlpay_model.errors import MlpayError
from mlpay_model.model._in_order_blocks import block_size, in_order_blocks
from mlpay_model.model._model_text import tree_blocks

OPT_OUT_VARIABLE: Final = "MLPAY_COMPILED"
MIN_BATCH_ROWS: Final = 50_000
"""Smaller batches stay on ctypes: loading a warm entry (importing llvmlite, the bit check)
costs ~0.1 s for a model's three boosters, about what compiled trees save on 50k rows."""
COMPILE_AFTER_ROWS: Final = 500_000
"""Batch rows a booster predicts through ctypes before it is compiled (no warm cache)."""
ROW_CALLS_BEFORE_LOAD: Final = 1_000
"""Single rows (`predict_salary`) a booster predicts through ctypes before its compiled forest
is looked for, in the background (a one-off command never pays for loading llvmlite)."""
CHECK_ROWS: Final = 512
CACHE_FOLDER: Final = "compiled"
FALLBACKS: Counter[str] = Counter()
"""Why boosters fell back to ctypes in this process (reason -> count)."""
_IDENTITY_OBJECTIVE: Final = re.compile(
    r"objective=(regression|quantile|regression_l1|huber|fair)\b"
)
_log = logging.getLogger(__name__)
_ONE_BUILD_AT_A_TIME: Final = threading.Lock()  # compiles share the cores with the scoring
_ROW_ENTRY: Final = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32
)

Reference = Callable[[np.ndarray], np.ndarray]


class CompiledForest:
    """A compiled booster: `predict(matrix)` of a float64 (rows, features) matrix, and
    `predict_one(row)` of one C-contiguous float64 row."""

    def __init__(self, model: Any, threads: int):
        self._model = model
        self._threads = threads
        # lleaves' compiled entry point (data, out, first row, end row), called directly for
        # one row (lleaves' predict() costs several us of checks), through a prototype of
        # plain addresses (numpy's data_as() pointers cost about as much as the trees).
        entry = getattr(model, "_c_entry_func", None)
        address = None if entry is None else ctypes.cast(entry, ctypes.c_void_p).value
        self._entry = None if address is None else _ROW_ENTRY(address)

    def predict(self, matrix: np.ndarray, *, threads: int | None = None) -> np.ndarray:
        out: np.ndarray = self._model.predict(matrix, n_jobs=threads or self._threads)
        return out

    def predict_one(self, row: np.ndarray) -> float:
        if self._entry is None:
            return float(self.predict(row.reshape(1, -1), threads=1)[0])
        out = ctypes.c_double()
        self._entry(row.ctypes.data, ctypes.addressof(out), 0, 1)
        return out.value


def enabled() -> bool:
    """False when MLPAY_COMPILED is off (or 0, no, false)."""
    value = os.environ.get(OPT_OUT_VARIABLE, "").strip().lower()
    return value not in ("off", "0", "no", "false")


class CompiledPath:
    """One booster's way to its compiled forest: loaded, compiled in the background, or none.

    `forest(rows)` answers the forest to use for a batch of `rows` rows, or None (use ctypes).
    `row_forest()` answers it for one row: it never waits, and only every
    ROW_CALLS_BEFORE_LOAD calls does it start looking (in the background, as a batch of that
    many rows would: a warm cache entry is loaded, the trees compiled once rows add up).
    Thread-safe; `wait()` blocks until a background load or compile has finished (tests,
    benchmarks).
    """

    def __init__(
        self,
        text: bytes,
        reference: Reference,
        *,
        model_folder: Path | None = None,
        cache_root: Path | None = None,
    ):
        self._text = text
        self._reference = reference
        self._model_folder = model_folder
        self._cache_root = cache_root
        self._lock = threading.Lock()
        self._forest: CompiledForest | None = None
        self._state = "untried"  # untried -> (compiling ->) ready | failed
        self._rows = 0
        self._thread: threading.Thread | None = None
        self._loader: threading.Thread | None = None
        self._row_calls = 0
        self._located = False  # cache root and entry worked out (on the first large batch)
        self._entry: Path | None = None

    def forest(self, rows: int) -> CompiledForest | None:
        forest = self._forest
        if forest is not None or rows < MIN_BATCH_ROWS:
            return forest
        return self._consider(rows)

    def row_forest(self) -> CompiledForest | None:
        forest = self._forest
        if forest is not None or self._state != "untried":
            return forest
        self._row_calls += 1  # not locked: a count lost between threads only delays the load
        if self._row_calls % ROW_CALLS_BEFORE_LOAD == 0 and enabled():
            # Not a daemon (LLVM must not be stopped mid-work at exit): a process that ends
            # meanwhile waits for the load (or for the compile of a corrupt entry).
            loader = threading.Thread(target=self._load_for_rows)
            self._loader = loader
            loader.start()
        return None

    def _load_for_rows(self) -> None:
        if threading.main_thread().is_alive():  # not once the process is exiting
            self._consider(ROW_CALLS_BEFORE_LOAD)

    def _consider(self, rows: int) -> CompiledForest | None:
        """After `rows` more rows on ctypes: load a warm entry, start a compile, or neither."""
        with self._lock:
            if self._state != "untried" or not enabled():
                return self._forest
            if importlib.util.find_spec("lleaves") is None:
                _fall_back("lleaves not installed", "install mlpay[fast] for faster batches")
                self._state = "failed"
                return None
            self._rows += rows
            if not self._located:
                self._located = True
                self._cache_root = self._root()
                try:
                    if self._cache_root is not None:
                        self._entry = _entry(self._cache_root, self._text)
                except Exception as error:  # a text lleaves cannot read, LLVM not starting
                    _fall_back("model text not compilable", f"{type(error).__name__}: {error}")
                    self._state = "failed"
                    return None
            root = self._cache_root
            if self._entry is not None and self._entry.is_file():
                self._state = "compiling"  # a warm entry loads in ms; a corrupt one recompiles
                self._build(root)
            elif self._rows >= COMPILE_AFTER_ROWS:
                self._state = "compiling"
                # Not a daemon: the process finishes the compile (and writes the cache) at exit.
                self._thread = threading.Thread(target=self._build, args=(root,))
                self._thread.start()
        return self._forest

    def wait(self) -> CompiledForest | None:
        for thread in (self._loader, self._thread):  # the loader may start the compile
            if thread is not None:
                thread.join()
        return self._forest

    def _root(self) -> Path | None:
        """The cache folder; None (compile in memory) when it lies inside the models folder."""
        root = self._cache_root if self._cache_root is not None else cache_dir()
        models = self._model_folder.parent if self._model_folder is not None else None
        if root is not None and models is not None and is_inside(root, models):
            _fall_back("cache folder inside the models folder", f"{root}: not cached")
            return None
        return root

    def _build(self, root: Path | None) -> None:
        forest = None
        try:
            with _ONE_BUILD_AT_A_TIME:
                forest = load_or_compile(self._text, self._reference, cache_root=root)
        except Exception as error:  # never let the fast path break a prediction
            _fall_back(f"unexpected {type(error).__name__}", str(error))
        self._forest = forest
        self._state = "ready" if forest is not None else "failed"


def load_or_compile(
    text: bytes, reference: Reference, *, cache_root: Path | None, allow_compile: bool = True
) -> CompiledForest | None:
    """The verified compiled forest of a LightGBM model text, or None (reason in FALLBACKS).

    A valid cache entry is loaded; a missing or corrupt one is compiled (when
    `allow_compile`) and written to `cache_root` (None: no cache, compiled in memory only)."""
    try:
        import lleaves  # noqa: F401 - the extra `fast`
    except ImportError:
        _fall_back("lleaves not installed", "install mlpay[fast] for faster batch prediction")
        return None
    try:
        source = normalised_text(text)
    except ValueError as error:
        _fall_back("model text not compilable", str(error))
        return None
    trees = source.count(b"\nTree=")
    matrix = check_matrix(text)
    expected = reference(matrix)
    entry = None if cache_root is None else _entry(cache_root, text)
    if entry is not None and entry.is_file():
        forest = _load_verified(source, entry, trees, matrix, expected)
        if forest is not None:
            return forest
        if not allow_compile:
            return None
    elif not allow_compile:
        return None
    with tempfile.TemporaryDirectory(prefix="mlpay-compile-") as work:
        try:
            forest, code = _compile(source, Path(work), trees)
        except Exception as error:  # lleaves/LLVM raise anything from asserts to RuntimeError
            _fall_back("compile failed", f"{type(error).__name__}: {error}")
            return None
    # One thread: no thread pool, which cannot start once the interpreter is exiting (a
    # background compile that finishes as the process ends).
    if not _bit_equal(forest.predict(matrix, threads=1), expected):
        _fall_back("compiled output differs from ctypes", "kept the ctypes path")
        return None
    if entry is not None:
        _store(entry, code)
    return forest


def normalised_text(text: bytes) -> bytes:
    """The model text lleaves reads: feature names f0..fN and an objective line; the trees
    are unchanged. Raises ValueError for a model whose output is not the raw score."""
    header, separator, rest = text.partition(b"\n\n")
    lines = header.split(b"\n")
    count = None
    for line in lines:
        if line.startswith(b"max_feature_idx="):
            count = int(line.split(b"=", 1)[1]) + 1
    if count is None or not any(line.startswith(b"feature_names=") for line in lines):
        raise ValueError("no max_feature_idx or feature_names line in the model header")
    names = b"feature_names=" + b" ".join(b"f%d" % i for i in range(count))
    infos = b"feature_infos=" + b" ".join(_feature_kinds(rest, count))
    out = [
        names
        if line.startswith(b"feature_names=")
        else infos
        if line.startswith(b"feature_infos=")
        else line
        for line in lines
    ]
    objectives = [line for line in out if line.startswith(b"objective=")]
    if not objectives:
        out.insert(out.index(names), b"objective=regression")
    elif not _IDENTITY_OBJECTIVE.match(objectives[0].decode("utf-8", "replace")):
        raise ValueError(f"{objectives[0][:60]!r}: not an identity-output objective")
    return b"\n".join(out) + separator + rest


def _feature_kinds(trees: bytes, count: int) -> list[bytes]:
    """Per feature, a `feature_infos` entry that tells lleaves its kind from the trees'
    own splits: "0:1" (categorical) where a split is categorical, "[0:0]" (numeric) else.

    Why: lleaves reads a feature's kind from `feature_infos` ("[a:b]" numeric, anything else
    categorical), and LightGBM writes "none" there for a feature with no values in the data
    of the last training round: a model whose later trees learned from other rows (a second
    stage on survey rows, with no seniority) would have numeric splits on a "categorical"
    feature, which LLVM refuses."""
    categorical = set()
    for block in tree_blocks(trees)[1]:
        features = decisions = None
        for line in block.split(b"\n"):
            if line.startswith(b"split_feature="):
                features = line[len(b"split_feature=") :].split()
            elif line.startswith(b"decision_type="):
                decisions = line[len(b"decision_type=") :].split()
        for feature, decision in zip(features or (), decisions or (), strict=False):
            if int(decision) & 1:
                categorical.add(int(feature))
    return [b"0:1" if index in categorical else b"[0:0]" for index in range(count)]


def cache_key(text: bytes) -> str:
    """The cache key of a model text's compiled code (see the module docstring)."""
    source = normalised_text(text)
    parts = {
        "text_sha256": hashlib.sha256(source).hexdigest(),
        "lleaves": _version("lleaves"),
        "llvmlite": _version("llvmlite"),
        "cpu": _host_cpu(),
        "platform": [platform.system(), platform.machine()],
        "fblocksize": block_size(source.count(b"\nTree=")),
        "block_sum": "in LightGBM's order",
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def check_matrix(text: bytes, rows: int = CHECK_ROWS, seed: int = 0) -> np.ndarray:
    """A fixed float64 matrix that walks the model's splits: per numeric feature its split
    thresholds, their float neighbours and range ends; per categorical feature its
    categories; missing values everywhere (the first row all missing)."""
    header = text.partition(b"\n\n")[0].decode("utf-8", "replace")
    infos = _header_value(header, "feature_infos").split(" ")
    thresholds = _thresholds(text.decode("utf-8", "replace"), len(infos))
    rng = np.random.default_rng(seed)
    matrix = np.full((rows, len(infos)), np.nan)
    for column, info in enumerate(infos):
        values = _candidates(info, thresholds[column])
        picks = rng.integers(0, len(values), size=rows - 1)
        matrix[1:, column] = np.asarray(values, dtype=np.float64)[picks]
    return matrix


def _candidates(info: str, thresholds: list[float]) -> list[float]:
    if info.startswith("["):  # numeric: [low:high]
        low, high = (float(v) for v in info[1:-1].split(":"))
        values = [low, high, (low + high) / 2]
        for t in thresholds:
            values += [t, float(np.nextafter(t, -np.inf)), float(np.nextafter(t, np.inf))]
    elif info == "none":
        values = [0.0]
    else:  # categorical: the categories seen in training
        values = [float(v) for v in info.split(":")] + [0.0]
    return [*values, np.nan]


def _thresholds(text: str, features: int) -> list[list[float]]:
    found: list[set[float]] = [set() for _ in range(features)]
    for block in text.split("\nTree=")[1:]:
        splits = re.search(r"^split_feature=(.*)$", block, re.MULTILINE)
        limits = re.search(r"^threshold=(.*)$", block, re.MULTILINE)
        if splits is None or limits is None:
            continue
        for feature, limit in zip(splits.group(1).split(), limits.group(1).split(), strict=False):
            found[int(feature)].add(float(limit))
    return [sorted(values) for values in found]


def _header_value(header: str, key: str) -> str:
    for line in header.split("\n"):
        if line.startswith(key + "="):
            return line.split("=", 1)[1]
    raise ValueError(f"no {key} line in the model header")


def _compile(source: bytes, work: Path, trees: int) -> tuple[CompiledForest, bytes]:
    import lleaves

    model_file = work / "model.txt"
    model_file.write_bytes(source)
    code_file = work / "model.o"
    model = lleaves.Model(model_file=str(model_file))
    with in_order_blocks():  # writes the object file
        model.compile(cache=str(code_file), fblocksize=block_size(trees))
    if model.num_trees() != trees:
        raise ValueError(f"lleaves read {model.num_trees()} trees, the text holds {trees}")
    return CompiledForest(model, _threads()), code_file.read_bytes()


def _load_verified(
    source: bytes, entry: Path, trees: int, matrix: np.ndarray, expected: np.ndarray
) -> CompiledForest | None:
    """The cached forest, when its bytes match their sidecar sha256 and its output matches
    the ctypes path; otherwise the entry is removed (and None returned)."""
    import lleaves

    try:
        code = entry.read_bytes()
        recorded = _sidecar(entry).read_text(encoding="utf-8").strip()
    except OSError:
        recorded, code = "", b""
    if hashlib.sha256(code).hexdigest() != recorded:
        _fall_back("corrupt cache entry", f"{entry}: rebuilt")
        _remove(entry)
        return None
    with tempfile.TemporaryDirectory(prefix="mlpay-compiled-") as work:
        model_file = Path(work) / "model.txt"
        model_file.write_bytes(source)
        code_file = Path(work) / "model.o"
        code_file.write_bytes(code)  # the verified bytes, not the cache file read again
        try:
            model = lleaves.Model(model_file=str(model_file))
            model.compile(cache=str(code_file), fblocksize=block_size(trees))
        except Exception as error:
            _fall_back("cache entry unloadable", f"{entry}: {type(error).__name__}: {error}")
            _remove(entry)
            return None
    forest = CompiledForest(model, _threads())
    if not _bit_equal(forest.predict(matrix, threads=1), expected):
        _fall_back("cached output differs from ctypes", f"{entry}: rebuilt")
        _remove(entry)
        return None
    return forest


def _store(entry: Path, code: bytes) -> None:
    """Write the object code and then its sidecar, each atomically; a cache that cannot be
    written only costs time."""
    from mlpay_model._atomic import atomic_file

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(entry) as temporary:
            temporary.write_bytes(code)
        write_text(_sidecar(entry), hashlib.sha256(code).hexdigest() + "\n")
    except (OSError, MlpayError) as error:
        _log.debug("compiled trees not cached: %s", error)


def _entry(root: Path, text: bytes) -> Path:
    return root / CACHE_FOLDER / f"{cache_key(text)[:32]}.o"


def _sidecar(entry: Path) -> Path:
    return entry.with_name(entry.name + ".sha256")


def _remove(entry: Path) -> None:
    for path in (entry, _sidecar(entry)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _bit_equal(a: np.ndarray, b: np.ndarray) -> bool:
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


def _fall_back(reason: str, detail: str) -> None:
    FALLBACKS[reason] += 1
    # Nothing to tell once the process is exiting (a load or compile it started meanwhile
    # fails on imports): every number it gave was right, through ctypes.
    quiet = reason == "lleaves not installed" or not threading.main_thread().is_alive()
    level = logging.DEBUG if quiet else logging.WARNING
    _log.log(level, "batch prediction stays on LightGBM's C API (%s): %s", reason, detail)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


_CPU: list[str] = []


def _host_cpu() -> str:
    """LLVM's name and features of this CPU (what lleaves compiles for), worked out once."""
    if not _CPU:
        import llvmlite.binding as llvm

        llvm.initialize()
        llvm.initialize_native_target()
        try:
            features = llvm.get_host_cpu_features().flatten()
        except RuntimeError:
            features = ""
        _CPU.append(f"{llvm.get_process_triple()} {llvm.get_host_cpu_name()} {features}")
    return _CPU[0]


def _threads() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
