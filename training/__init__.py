"""The training pipeline: config -> data -> split -> train -> evaluate -> track -> export.

    from training import load_config, train
    result = train(load_config("configs/aijobs.yaml"))

`mlpay train` (mlpay_model/cli/train.py) runs the whole pipeline, MLflow tracking included.
`SalaryRegressor` (training.estimator) is the same model as a scikit-learn estimator.
"""

from typing import TYPE_CHECKING

from training.config import TrainConfig, load_config
from training.data import TrainingData, load_training_data
from training.train import TrainResult, train

if TYPE_CHECKING:
    from training.estimator import SalaryRegressor


def __getattr__(name: str) -> object:
    """`SalaryRegressor` on first use: scikit-learn is imported only by who asks for it."""
    if name == "SalaryRegressor":
        from training.estimator import SalaryRegressor

        return SalaryRegressor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SalaryRegressor",
    "TrainConfig",
    "TrainResult",
    "TrainingData",
    "load_config",
    "load_training_data",
    "train",
]
