"""A LightGBM text model behind LightGBM's C API, loaded with ctypes: one thin binding.

Each head's model file is read as LightGBM wrote it (checked first by
`_model_text.check_model_text`, since LightGBM can crash on an unsound file) and predicted by
LightGBM itself: one row (or its SHAP values) through its single-row "fast" predictor,
matrices through LGBM_BoosterPredictForMat, the call `lightgbm.Booster.predict` makes for a
float64 numpy matrix, so both give the same numbers.

Why a binding and not `lightgbm.Booster` (measured on the shared 2-core machine, load
average ~5, lightgbm 4.7.0, pooled 4 default; benchmarks/results/scoring.md):
- `import lightgbm` costs 0.65-0.8 s on a runtime-only install (it imports scipy, pandas and
  pyarrow) and 2.6-2.9 s with scikit-learn installed, against 0.77 s for the whole
  `mlpay predict` start-up (imports and model load) without it;
- one row: `Booster.predict` takes 24-29 us a head with num_threads=1 (32-56 us with the
  defaults), LightGBM's single-row predictor 6.5-9.5 us: 82-125 us against ~25 us for the
  three heads, where one `predict_salary` call must stay within 0.2 ms (it took 139 us).
LightGBM guards its single-row predictor with its own mutex, so a booster is safe to share
between threads.

One booster, one range of trees: LightGBM keeps the trees a prediction sums (start iteration
and count) on the loaded model itself, set by every predictor made from it (GBDT::InitPredict),
so a single-row predictor made for one range sums another once a matrix prediction over that
other range has run. A NativeBooster therefore predicts one range, fixed when it is made: the
trees from `first_tree` on (0: the whole file; a quantile head that continues the median: its
own trees).
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from mlpay_model.errors import ArtifactError
from mlpay_model.model._model_text import check_model_text
from mlpay_model.model.artifact import MEMBER_MAX_BYTES

# LightGBM C API constants (LightGBM/c_api.h).
_DTYPE_FLOAT64: Final = 1
_PREDICT_NORMAL: Final = 0
_PREDICT_CONTRIB: Final = 3
_LIBRARY_NAMES: Final[dict[str, str]] = {
    "linux": "lib_lightgbm.so",
    "darwin": "lib_lightgbm.dylib",
    "win32": "lib_lightgbm.dll",
}


class NativeBooster:
    """A LightGBM text model file behind LightGBM's C API: predict one row or a matrix."""

    def __init__(self, path: Path, feature_names: list[str], *, first_tree: int = 0):
        self.path = path
        self.first_tree = first_tree  # every prediction sums the trees from this one on
        self._lib = _lightgbm_library()
        self._handle = ctypes.c_void_p()
        self._row_predictors: dict[int, ctypes.c_void_p] = {}
        iterations = ctypes.c_int(0)
        # The file is read once, checked and parsed from memory: LightGBM parses exactly the
        # bytes that were checked.
        text = _read_model_text(path)
        check_model_text(text, path)
        # LightGBM prints its own "[LightGBM] [Fatal] ..." line on stderr before returning an
        # error (whatever the verbosity); the error is reported as one ArtifactError instead.
        with _without_lightgbm_fatal_lines():
            status = self._lib.LGBM_BoosterLoadModelFromString(
                ctypes.c_char_p(text), ctypes.byref(iterations), ctypes.byref(self._handle)
            )
        self._call(status, f"{path}: not a LightGBM model")
        names = self._feature_names()
        if names != feature_names:
            raise ArtifactError(
                f"{path}: the model's features {names[:5]}... do not match the manifest's "
                f"{feature_names[:5]}... ({len(names)} vs {len(feature_names)} features)"
            )
        self.num_features = len(names)
        self.num_iterations = iterations.value  # trees in the file: one per iteration
        for predict_type in (_PREDICT_NORMAL, _PREDICT_CONTRIB):
            self._add_row_predictor(predict_type)

    def _add_row_predictor(self, predict_type: int) -> None:
        predictor = ctypes.c_void_p()
        self._call(
            self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
                self._handle,
                ctypes.c_int(predict_type),
                ctypes.c_int(self.first_tree),
                ctypes.c_int(-1),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(self.num_features),
                b"",
                ctypes.byref(predictor),
            ),
            f"{self.path}: cannot prepare the single-row predictor",
        )
        self._row_predictors[predict_type] = predictor

    def predict_row(self, row: np.ndarray, *, contrib: bool = False) -> np.ndarray:
        """One float64 row (shape (1, n) or (n,)): the prediction, or n + 1 SHAP values."""
        predict_type = _PREDICT_CONTRIB if contrib else _PREDICT_NORMAL
        out = np.empty(self.num_features + 1 if contrib else 1, dtype=np.float64)
        out_len = ctypes.c_int64(0)
        data = np.ascontiguousarray(row, dtype=np.float64)
        self._call(
            self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                self._row_predictors[predict_type],
                ctypes.c_void_p(data.ctypes.data),
                ctypes.byref(out_len),
                ctypes.c_void_p(out.ctypes.data),
            ),
            "single-row prediction failed",
        )
        return out

    def predict_one(self, row: np.ndarray) -> float:
        """The prediction for one float64 row (shape (1, n) or (n,))."""
        data = np.ascontiguousarray(row, dtype=np.float64)
        out = ctypes.c_double()
        out_len = ctypes.c_int64(0)
        self._call(
            self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                self._row_predictors[_PREDICT_NORMAL],
                ctypes.c_void_p(data.ctypes.data),
                ctypes.byref(out_len),
                ctypes.byref(out),
            ),
            "single-row prediction failed",
        )
        return out.value

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """A float64 (rows, n) matrix: predictions (rows,)."""
        data = np.ascontiguousarray(matrix, dtype=np.float64)
        rows = data.shape[0]
        out = np.empty(rows, dtype=np.float64)
        if rows == 0:
            return out
        out_len = ctypes.c_int64(0)
        self._call(
            self._lib.LGBM_BoosterPredictForMat(
                self._handle,
                ctypes.c_void_p(data.ctypes.data),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(rows),
                ctypes.c_int32(data.shape[1]),
                ctypes.c_int(1),
                ctypes.c_int(_PREDICT_NORMAL),
                ctypes.c_int(self.first_tree),
                ctypes.c_int(-1),
                b"",
                ctypes.byref(out_len),
                ctypes.c_void_p(out.ctypes.data),
            ),
            "prediction failed",
        )
        return out

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        if lib is None:
            return
        for predictor in getattr(self, "_row_predictors", {}).values():
            lib.LGBM_FastConfigFree(predictor)
        if getattr(self, "_handle", None):
            lib.LGBM_BoosterFree(self._handle)

    def dump_model(self) -> dict[str, Any]:
        """The trees this booster predicts, as LightGBM's JSON dump (`LGBM_BoosterDumpModel`,
        what `lightgbm.Booster.dump_model` returns): each tree's nodes with split feature,
        threshold (categories "a||b" for a categorical split), decision and missing-value
        rules, row counts and leaf values."""
        size = 1 << 20  # grown to what LightGBM says it needs
        while True:
            buffer = ctypes.create_string_buffer(size)
            needed = ctypes.c_int64(0)
            self._call(
                self._lib.LGBM_BoosterDumpModel(
                    self._handle,
                    ctypes.c_int(self.first_tree),
                    ctypes.c_int(-1),
                    ctypes.c_int(0),
                    ctypes.c_int64(size),
                    ctypes.byref(needed),
                    buffer,
                ),
                f"{self.path}: cannot dump the model",
            )
            if needed.value <= size:
                dumped: dict[str, Any] = json.loads(buffer.value.decode("utf-8"))
                return dumped
            size = int(needed.value)

    def _feature_names(self) -> list[str]:
        count = ctypes.c_int(0)
        self._call(
            self._lib.LGBM_BoosterGetNumFeature(self._handle, ctypes.byref(count)),
            "cannot read the number of features",
        )
        buffer_size = 256
        while True:
            buffers = [ctypes.create_string_buffer(buffer_size) for _ in range(count.value)]
            pointers = (ctypes.c_char_p * count.value)(
                *(ctypes.cast(buffer, ctypes.c_char_p) for buffer in buffers)
            )
            written = ctypes.c_int(0)
            needed = ctypes.c_size_t(0)
            self._call(
                self._lib.LGBM_BoosterGetFeatureNames(
                    self._handle,
                    ctypes.c_int(count.value),
                    ctypes.byref(written),
                    ctypes.c_size_t(buffer_size),
                    ctypes.byref(needed),
                    pointers,
                ),
                "cannot read the feature names",
            )
            if needed.value <= buffer_size:
                return [buffer.value.decode("utf-8") for buffer in buffers[: written.value]]
            buffer_size = needed.value

    def _call(self, status: int, what: str) -> None:
        if status != 0:
            detail = self._lib.LGBM_GetLastError()
            message = detail.decode("utf-8", "replace") if detail else "unknown error"
            raise ArtifactError(f"{what}: LightGBM says {message}")


def _read_model_text(path: Path) -> bytes:
    """The bytes of a model file, refused unread when larger than MEMBER_MAX_BYTES."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MEMBER_MAX_BYTES:
                raise ArtifactError(
                    f"{path}: {size:,} bytes; a model file is at most {MEMBER_MAX_BYTES:,} bytes"
                )
            text = handle.read(MEMBER_MAX_BYTES + 1)
    except OSError as error:
        raise ArtifactError(f"{path}: cannot read the model ({error.strerror})") from None
    if len(text) > MEMBER_MAX_BYTES:
        raise ArtifactError(f"{path}: larger than {MEMBER_MAX_BYTES:,} bytes")
    return text


@contextmanager
def _without_lightgbm_fatal_lines() -> Iterator[None]:
    """Collect what is written to file descriptor 2 meanwhile and pass it on afterwards,
    without LightGBM's "[Fatal]" lines (the caller reports the error itself)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2: nothing to keep clean
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [
                line
                for line in sink.read().splitlines(keepends=True)
                if not line.startswith(b"[LightGBM] [Fatal]")
            ]
            if kept:
                os.write(2, b"".join(kept))


@lru_cache(maxsize=1)
def _lightgbm_library() -> ctypes.CDLL:
    """LightGBM's shared library, found without importing the (slow) lightgbm package."""
    spec = importlib.util.find_spec("lightgbm")
    library = _LIBRARY_NAMES.get(sys.platform, _LIBRARY_NAMES["linux"])
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        for folder in (package / "lib", package / "bin", package.parent):
            if (folder / library).is_file():
                lib = ctypes.cdll.LoadLibrary(str((folder / library).resolve()))
                lib.LGBM_GetLastError.restype = ctypes.c_char_p
                return lib
    from lightgbm.basic import _LIB  # an install layout we do not know: use lightgbm's loader

    return _LIB
