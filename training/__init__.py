"""The training pipeline: config -> data -> split -> train -> evaluate -> track -> export.

    from training import load_config, train
    result = train(load_config("configs/aijobs.yaml"))

`mlpay train` (mlpay_model/cli/train.py) runs the whole pipeline, MLflow tracking included.
"""

from training.config import TrainConfig, load_config
from training.data import TrainingData, load_training_data
from training.train import TrainResult, train

__all__ = [
    "TrainConfig",
    "TrainResult",
    "TrainingData",
    "load_config",
    "load_training_data",
    "train",
]
