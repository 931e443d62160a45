"""Shipped salary models: find them, load them, predict with them.

`load_model(name_or_path="default")` returns a `SalaryModel` (cached per artifact folder).
A name is resolved in this order:

    "default"         DEFAULT_MODEL
    a shipped name    `<models dir>/<name>/manifest.json`, where the models dir is
                      $MLPAY_MODELS_DIR if set, else the `models/` folder beside the package
    a path            any artifact folder (see `mlpay_model.artifact` for the layout)

A model predicts log(annual USD pay) with three LightGBM boosters: the median, and the low
and high quantiles. The 80% interval is calibrated by conformalized quantile regression:
with q = manifest["calibration"]["adjustment"], low = exp(low(X) - q) and high =
exp(high(X) + q), then clipped so that low <= median <= high (quantiles never cross).

Why LightGBM's C API instead of `import lightgbm`: the runtime only ever loads text models
and predicts, and the Python package costs seconds to import (it imports scikit-learn and
pandas eagerly), which `mlpay predict` would pay on every start. The shared library shipped
inside the lightgbm package is loaded with ctypes (falling back to the package's own loader
for unusual installs). One row goes through LightGBM's single-row "fast" predictor, created
once per booster; LightGBM guards it with its own mutex, so a model is safe to share between
threads. Frames go through LGBM_BoosterPredictForMat. Both run the same trees, so
`predict_salary` and `SalaryModel.predict` agree exactly.
"""

from __future__ import annotations

import ctypes
import importlib.util
import math
import os
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mlpay_model.artifact import MANIFEST_NAME, MODEL_ROLES, read_manifest
from mlpay_model.errors import ArtifactError, ModelNotFoundError, closest
from mlpay_model.features import FeatureEncoder, FeatureSpec

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_MODEL: Final = "aijobs"
"""The model "default" means: aijobs, trained on the aijobs.net salary index.

Chosen because its pay is exact (not a survey band), its titles are ML-focused, and it is the
largest and most recent of the shipped data sets. It has no years of experience, education or
skills features (seniority stands in for experience); predictions given those say so in
their warnings.
"""

MODELS_DIR_VARIABLE: Final = "MLPAY_MODELS_DIR"
PREDICTION_COLUMNS: Final[tuple[str, ...]] = ("median", "low", "high")

# LightGBM C API constants (LightGBM/c_api.h).
_DTYPE_FLOAT64: Final = 1
_PREDICT_NORMAL: Final = 0
_PREDICT_CONTRIB: Final = 3
_LIBRARY_NAMES: Final[dict[str, str]] = {
    "linux": "lib_lightgbm.so",
    "darwin": "lib_lightgbm.dylib",
    "win32": "lib_lightgbm.dll",
}
# Rows per call when a frame's contributions are computed (bounds the (rows x features) buffer).
_CONTRIBUTION_BLOCK_ROWS: Final = 8192


class RecordPrediction:
    """One profile's prediction: annual pay, and per-factor percentages vs the baseline.

    `median`, `low`, `high` are computed up front. `contributions` (factor -> percent, the
    largest effect first, read-only) costs about four plain predictions (SHAP values), so it
    is worked out on first access and then kept. The cache needs no lock: two threads that
    read it at once both compute the same value, and either assignment is the same result.
    """

    __slots__ = ("_contributions", "_model", "_row", "high", "low", "median")

    def __init__(self, median: float, low: float, high: float, model: SalaryModel, row: np.ndarray):
        self.median = median
        self.low = low
        self.high = high
        self._model = model
        self._row = row
        self._contributions: Mapping[str, float] | None = None

    @property
    def contributions(self) -> Mapping[str, float]:
        contributions = self._contributions
        if contributions is None:
            contributions = self._model._row_contributions(self._row)
            self._contributions = contributions
        return contributions

    def __repr__(self) -> str:
        return (
            f"RecordPrediction(median={self.median!r}, low={self.low!r}, high={self.high!r}, "
            f"model={self._model.name!r})"
        )


class SalaryModel:
    """A loaded model artifact. Thread-safe: it holds no state that predictions change.

    Attributes: `name`, `version`, `currency`, `path`, `manifest` (the parsed manifest.json),
    `spec` (its FeatureSpec), `encoder`, `factors` (the canonical columns it reads, in order),
    `adjustment` (the calibration q, log scale) and `baseline` (annual pay the model predicts
    before any factor is known: exp of the median model's expected value; contributions are
    percentages against it).

    `derives_seniority_from_years` is True for a model that reads seniority but not years of
    experience (aijobs): for it, a profile with years but no seniority gets the seniority
    `mlpay_model.inputs.seniority_from_years` gives (<2 entry, <5 mid, else senior), on every
    path (`predict`, `contributions`, `predict_record`), so one person is priced alike by
    `predict_salary` and by batch scoring.
    """

    def __init__(self, path: Path, manifest: Mapping[str, Any]):
        self.path = Path(path)
        self.manifest = dict(manifest)
        try:
            self.name = str(manifest["name"])
            self.version = str(manifest["version"])
            self.currency = str(manifest.get("currency", "USD"))
            self.spec = FeatureSpec.from_dict(manifest["features"])
            self.adjustment = float(manifest["calibration"]["adjustment"])
            model_files = {role: self.path / manifest["models"][role] for role in MODEL_ROLES}
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactError(f"{self.path / MANIFEST_NAME}: malformed ({error!r})") from None
        if not math.isfinite(self.adjustment):
            raise ArtifactError(f"{self.path / MANIFEST_NAME}: calibration adjustment not finite")
        self.encoder = FeatureEncoder(self.spec)
        self.factors: tuple[str, ...] = tuple(self.spec.features)
        self.derives_seniority_from_years = self.uses("seniority") and not self.uses(
            "years_experience"
        )
        self._boosters = {
            role: _NativeBooster(file, self.encoder.feature_names)
            for role, file in model_files.items()
        }
        # Column j of the feature matrix belongs to factor i where _grouping[j, i] == 1.
        self._grouping = np.array(
            [
                [1.0 if self.spec.factor_of(name) == factor else 0.0 for factor in self.factors]
                for name in self.encoder.feature_names
            ]
        )
        self.baseline = self._check_median_model()

    def __repr__(self) -> str:
        return f"SalaryModel(name={self.name!r}, version={self.version!r}, path='{self.path}')"

    def uses(self, factor: str) -> bool:
        """True when the model reads the canonical column `factor`."""
        return factor in self.factors

    def predict(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Annual pay per row: columns median, low, high (the calibrated 80% interval).

        `profiles` holds canonical values (see `mlpay_model.schema`; only `role` is required,
        absent columns count as missing). Raw text such as job titles or country names is
        refused: normalise it first with `mlpay_model.inputs.normalise_frame`.
        """
        import pandas as pd

        matrix = self._matrix(profiles)
        if len(profiles) == 0:
            return pd.DataFrame({name: [] for name in PREDICTION_COLUMNS}, index=profiles.index)
        raw = {role: booster.predict_matrix(matrix) for role, booster in self._boosters.items()}
        median, low, high = calibrated_interval(
            raw["median"], raw["low"], raw["high"], self.adjustment
        )
        return pd.DataFrame({"median": median, "low": low, "high": high}, index=profiles.index)

    def contributions(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Per row and factor, how much that factor moved the median, in percent vs baseline.

        From LightGBM's SHAP values on the median model (log scale), summed per factor:
        percent = 100 * (exp(sum) - 1). So median = baseline * prod(1 + percent / 100).
        """
        import pandas as pd

        matrix = self._matrix(profiles)
        median = self._boosters["median"]
        blocks = [
            median.predict_matrix(matrix[start : start + _CONTRIBUTION_BLOCK_ROWS], contrib=True)
            for start in range(0, len(matrix), _CONTRIBUTION_BLOCK_ROWS)
        ]
        shap = np.vstack(blocks) if blocks else np.empty((0, len(self.encoder.feature_names) + 1))
        percent = np.expm1(shap[:, :-1] @ self._grouping) * 100.0
        return pd.DataFrame(percent, columns=list(self.factors), index=profiles.index)

    def predict_record(self, record: Mapping[str, Any]) -> RecordPrediction:
        """The fast path for one canonical profile (a mapping of canonical column -> value).

        No pandas: the record is encoded into one numpy row and each booster predicts it
        with LightGBM's single-row predictor (three plain predictions). The contributions
        come later, from the same row, when they are read. Values are not checked here;
        `predict_salary` checks and normalises what users type before calling it.
        """
        if self.derives_seniority_from_years:
            from mlpay_model.inputs import record_with_seniority_from_years

            record = record_with_seniority_from_years(record)
        row = self.encoder.encode_record(record)
        boosters = self._boosters
        median, low, high = calibrated_interval(
            boosters["median"].predict_row(row),
            boosters["low"].predict_row(row),
            boosters["high"].predict_row(row),
            self.adjustment,
        )
        return RecordPrediction(float(median[0]), float(low[0]), float(high[0]), self, row)

    def _row_contributions(self, row: np.ndarray) -> Mapping[str, float]:
        """Percent per factor for one encoded row, the largest effect first (read-only)."""
        shap = self._boosters["median"].predict_row(row, contrib=True)
        percent = np.expm1(shap[:-1] @ self._grouping) * 100.0
        ranked = sorted(zip(self.factors, percent.tolist(), strict=True), key=_size_first)
        return MappingProxyType(dict(ranked))

    def _matrix(self, profiles: pd.DataFrame) -> np.ndarray:
        """The feature matrix of canonical profiles (checked; seniority derived if need be)."""
        from mlpay_model.inputs import check_canonical, frame_with_seniority_from_years

        check_canonical(profiles)
        if self.derives_seniority_from_years:
            profiles = frame_with_seniority_from_years(profiles)
        return self.encoder.encode_frame(profiles)

    def _check_median_model(self) -> float:
        """The baseline pay; refuses a median model whose SHAP values do not add up to it.

        Contributions rely on sum(SHAP) == prediction (so that baseline * prod(1 + p/100) is
        the median the plain prediction gives), which holds for the identity link of the
        regression/quantile objectives that mlpay trains.
        """
        probe = np.full((1, len(self.encoder.feature_names)), np.nan)
        median = self._boosters["median"]
        shap = median.predict_row(probe, contrib=True)
        prediction = median.predict_matrix(probe)[0]
        if not math.isclose(shap.sum(), prediction, rel_tol=1e-9, abs_tol=1e-9):
            raise ArtifactError(
                f"{self.path}: the median model's SHAP values do not sum to its prediction "
                "(not an identity-link objective); mlpay models predict log pay directly"
            )
        return math.exp(shap[-1])


def _size_first(item: tuple[str, float]) -> float:
    return -abs(item[1])


def calibrated_interval(
    median_raw: np.ndarray, low_raw: np.ndarray, high_raw: np.ndarray, adjustment: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-scale model outputs to (median, low, high) annual pay, CQR-adjusted, never crossing."""
    median = np.exp(median_raw)
    low = np.minimum(np.exp(low_raw - adjustment), median)
    high = np.maximum(np.exp(high_raw + adjustment), median)
    return median, low, high


def models_dir() -> Path:
    """Where shipped models live: $MLPAY_MODELS_DIR, else `models/` beside the package."""
    value = os.environ.get(MODELS_DIR_VARIABLE)
    if value:
        return Path(value).expanduser()
    return Path(__file__).resolve().parent.parent / "models"


def shipped_models() -> list[str]:
    """Names of the model folders (those with a manifest.json) in `models_dir()`, sorted."""
    directory = models_dir()
    if not directory.is_dir():
        return []
    return sorted(
        child.name
        for child in directory.iterdir()
        if not child.name.startswith(".") and (child / MANIFEST_NAME).is_file()
    )


def resolve_model(name_or_path: str | os.PathLike[str] = "default") -> Path:
    """The artifact folder a model name or path refers to (see the module docstring)."""
    text = os.fspath(name_or_path)
    name = DEFAULT_MODEL if text == "default" else text
    if name and name not in (".", "..") and "/" not in name and "\\" not in name:
        shipped = models_dir() / name
        if (shipped / MANIFEST_NAME).is_file():
            return shipped
    path = Path(name).expanduser()
    if name and path.is_dir():
        return path
    available = shipped_models()
    alias = f" (= {DEFAULT_MODEL!r})" if text == "default" else ""
    hint = (
        f"shipped models in {models_dir()}: {', '.join(available)}"
        if available
        else f"no models in {models_dir()}; train one, e.g. "
        f"`mlpay train --config configs/{DEFAULT_MODEL}.yaml`"
    )
    suggestions = closest(name, available)
    did_you_mean = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise ModelNotFoundError(
        f"model {text!r}{alias}: neither a shipped model nor a folder ({hint}){did_you_mean}"
    )


def load_model(name_or_path: str | os.PathLike[str] = "default") -> SalaryModel:
    """Load a model by name ("default", a shipped name) or artifact folder path.

    Loading checks the manifest's schema version and every file's sha256. Models are cached
    per resolved folder and reloaded when its manifest.json changes (a retrained model).
    Raises ModelNotFoundError for an unknown name and ArtifactError for a broken artifact.
    """
    # Resolving a name costs a few stats and path operations; remember it per name, models
    # dir and working directory, and re-resolve if the remembered folder has gone.
    key = (os.fspath(name_or_path), os.environ.get(MODELS_DIR_VARIABLE), _working_directory())
    manifest = _resolved.get(key)
    status = _stat(manifest) if manifest is not None else None
    if manifest is None or status is None:
        manifest = resolve_model(name_or_path).resolve() / MANIFEST_NAME
        status = _stat(manifest)
        if status is None:
            raise ArtifactError(f"{manifest.parent}: no {MANIFEST_NAME}; not a model folder")
        _resolved[key] = manifest
    return _load_cached(manifest.parent, (status.st_mtime_ns, status.st_ino, status.st_size))


_resolved: dict[tuple[str, str | None, str], Path] = {}


def _working_directory() -> str:
    try:
        return os.getcwd()
    except OSError:  # removed while we run in it: relative paths cannot resolve anyway
        return ""


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


@lru_cache(maxsize=16)
def _load_cached(directory: Path, stamp: tuple[int, int, int]) -> SalaryModel:
    return SalaryModel(directory, read_manifest(directory))


class _NativeBooster:
    """A LightGBM text model behind LightGBM's C API: predict one row or a matrix."""

    def __init__(self, path: Path, feature_names: list[str]):
        self._lib = _lightgbm_library()
        self._handle = ctypes.c_void_p()
        self._row_predictors: dict[int, ctypes.c_void_p] = {}
        iterations = ctypes.c_int(0)
        self._call(
            self._lib.LGBM_BoosterCreateFromModelfile(
                str(path).encode(), ctypes.byref(iterations), ctypes.byref(self._handle)
            ),
            f"{path}: not a LightGBM model",
        )
        names = self._feature_names()
        if names != feature_names:
            raise ArtifactError(
                f"{path}: the model's features {names[:5]}... do not match the manifest's "
                f"{feature_names[:5]}... ({len(names)} vs {len(feature_names)} features)"
            )
        self.num_features = len(names)
        for predict_type in (_PREDICT_NORMAL, _PREDICT_CONTRIB):
            predictor = ctypes.c_void_p()
            self._call(
                self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
                    self._handle,
                    ctypes.c_int(predict_type),
                    ctypes.c_int(0),
                    ctypes.c_int(-1),
                    ctypes.c_int(_DTYPE_FLOAT64),
                    ctypes.c_int32(self.num_features),
                    b"",
                    ctypes.byref(predictor),
                ),
                f"{path}: cannot prepare the single-row predictor",
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

    def predict_matrix(self, matrix: np.ndarray, *, contrib: bool = False) -> np.ndarray:
        """A float64 (rows, n) matrix: predictions (rows,) or SHAP values (rows, n + 1)."""
        data = np.ascontiguousarray(matrix, dtype=np.float64)
        rows = data.shape[0]
        width = self.num_features + 1 if contrib else 1
        out = np.empty(rows * width, dtype=np.float64)
        if rows == 0:
            return out.reshape(0, width) if contrib else out
        out_len = ctypes.c_int64(0)
        self._call(
            self._lib.LGBM_BoosterPredictForMat(
                self._handle,
                ctypes.c_void_p(data.ctypes.data),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(rows),
                ctypes.c_int32(data.shape[1]),
                ctypes.c_int(1),
                ctypes.c_int(_PREDICT_CONTRIB if contrib else _PREDICT_NORMAL),
                ctypes.c_int(0),
                ctypes.c_int(-1),
                b"",
                ctypes.byref(out_len),
                ctypes.c_void_p(out.ctypes.data),
            ),
            "prediction failed",
        )
        return out.reshape(rows, width) if contrib else out

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        if lib is None:
            return
        for predictor in getattr(self, "_row_predictors", {}).values():
            lib.LGBM_FastConfigFree(predictor)
        if getattr(self, "_handle", None):
            lib.LGBM_BoosterFree(self._handle)

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
