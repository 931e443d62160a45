"""The run's MLflow model: the pyfunc `training.pyfunc`, logged as code and registered.

It is logged with the mlpay artifact folder as its artifact, the `mlpay_model` package as
code and the runtime requirements pinned as installed, so `mlflow models serve` and
`spark_udf` need nothing else; its signature and input example come from `training.pyfunc`.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any, Final

import pandas as pd

import mlpay_model
from training import pyfunc

LOGGED_MODEL_NAME: Final = "salary_model"
INPUT_EXAMPLE_ROWS: Final = 3
PYFUNC_FILE: Final = Path(pyfunc.__file__)
RUNTIME_PACKAGE_DIR: Final = Path(mlpay_model.__file__).parent
# What `mlpay_model` needs at prediction time (pyproject's runtime dependencies).
RUNTIME_DISTRIBUTIONS: Final = (
    "numpy",
    "pandas",
    "pyarrow",
    "lightgbm",
    "pycountry",
    "pyyaml",
    "tqdm",
)


def log_model(artifact_dir: Path, test_predictions: pd.DataFrame, registered_name: str) -> Any:
    """Log the pyfunc of `artifact_dir` in the active run, register it; MLflow's ModelInfo."""
    import mlflow

    from mlpay_model.model import load_model

    populations = load_model(artifact_dir).populations
    return mlflow.pyfunc.log_model(
        name=LOGGED_MODEL_NAME,
        python_model=str(PYFUNC_FILE),
        artifacts={pyfunc.ARTIFACT_KEY: str(artifact_dir)},
        code_paths=[str(RUNTIME_PACKAGE_DIR)],
        pip_requirements=runtime_requirements(),
        signature=pyfunc.pyfunc_signature(populations),
        input_example=pyfunc.mlflow_input(test_predictions.head(INPUT_EXAMPLE_ROWS)),
        registered_model_name=registered_name,
    )


def runtime_requirements() -> list[str]:
    """pip requirements of the logged model: the runtime dependencies, pinned as installed."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in RUNTIME_DISTRIBUTIONS]
