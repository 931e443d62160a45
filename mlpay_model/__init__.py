"""mlpay: predict tech and ML salaries, and answer whether ML engineers are paid more.

from mlpay_model import predict_salary, load_model
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlpay")  # one source: the package metadata (pyproject.toml)
except PackageNotFoundError:  # pragma: no cover - imported from a checkout never installed
    __version__ = "0+unknown"

from mlpay_model.errors import (
    ArtifactError,
    ConfigError,
    DataError,
    InvalidInputError,
    MlpayError,
    ModelNotFoundError,
)
from mlpay_model.model import DEFAULT_MODEL, SalaryModel, load_model
from mlpay_model.predict import SalaryPrediction, predict_salary

__all__ = [
    "DEFAULT_MODEL",
    "ArtifactError",
    "ConfigError",
    "DataError",
    "InvalidInputError",
    "MlpayError",
    "ModelNotFoundError",
    "SalaryModel",
    "SalaryPrediction",
    "__version__",
    "load_model",
    "predict_salary",
]
