"""The model layer: features, the artifact on disk, the interval, and `SalaryModel`.

    features        canonical profiles -> the numeric matrix the boosters read
    artifact        the model folder: manifest, hashes, loading checks
    interval        the calibrated interval formula (training and prediction share it)
    _booster        LightGBM's C API through ctypes (no `import lightgbm` at run time)
    _salary_model   `SalaryModel`: predict a frame or one record, with contributions
    _resolve        model names -> folders; `load_model` (cached)
"""

from mlpay_model.model._resolve import (
    DEFAULT_MODEL,
    MODELS_DIR_VARIABLE,
    load_model,
    models_dir,
    resolve_model,
    shipped_models,
)
from mlpay_model.model._salary_model import RecordPrediction, SalaryModel
from mlpay_model.model.interval import calibrated_interval

__all__ = [
    "DEFAULT_MODEL",
    "MODELS_DIR_VARIABLE",
    "RecordPrediction",
    "SalaryModel",
    "calibrated_interval",
    "load_model",
    "models_dir",
    "resolve_model",
    "shipped_models",
]
