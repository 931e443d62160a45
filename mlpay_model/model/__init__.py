"""The model layer: features, the artifact on disk, the interval, and `SalaryModel`.

features        canonical profiles -> the numeric matrix the boosters read
artifact        the model folder: manifest, hashes, loading checks
interval        the interval's calibrator (fitted in training, applied by prediction)
pay_year        the pay years a model learned from, and the default pay year
_booster        LightGBM's C API through ctypes (no `import lightgbm` at run time)
_salary_model   `SalaryModel`: predict a frame or one record
factors         a person's factors against their population's baseline (what the
                explanation and batch `--contributions` say)
protocol        `PayModel`: the part of a model that pricing needs (stand-ins in tests)
_resolve        model names -> folders; `load_model` (cached)
"""

from typing import TYPE_CHECKING

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
from mlpay_model.model.protocol import PayModel

__all__ = [
    "DEFAULT_MODEL",
    "MODELS_DIR_VARIABLE",
    "PayModel",
    "RecordPrediction",
    "SalaryModel",
    "calibrated_interval",
    "load_model",
    "models_dir",
    "resolve_model",
    "shipped_models",
]

if TYPE_CHECKING:

    def _salary_model_is_a_pay_model(model: SalaryModel) -> PayModel:
        return model  # mypy checks that SalaryModel keeps the protocol
