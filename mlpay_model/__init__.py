"""mlpay: predict tech and ML salaries, and answer whether ML engineers are paid more."""

from mlpay_model.errors import (
    ArtifactError,
    ConfigError,
    DataError,
    InvalidInputError,
    MlpayError,
    ModelNotFoundError,
)

__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "ConfigError",
    "DataError",
    "InvalidInputError",
    "MlpayError",
    "ModelNotFoundError",
    "__version__",
]
