"""Where the real salary files live: the `MLPAY_DATA_DIR` environment variable."""

from __future__ import annotations

import os
from pathlib import Path

from mlpay_model.errors import DataError

DATA_DIR_VARIABLE = "MLPAY_DATA_DIR"


def data_dir() -> Path:
    """The folder named by MLPAY_DATA_DIR; a DataError if it is unset or missing."""
    value = os.environ.get(DATA_DIR_VARIABLE)
    if not value:
        raise DataError(
            f"{DATA_DIR_VARIABLE} is not set: point it at the folder holding aijobs/, kaggle/ "
            "and stackoverflow/ (for example ../shared/data)"
        )
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DataError(f"{DATA_DIR_VARIABLE}={value}: no such folder")
    return path


def expand_data_path(text: str) -> Path:
    """Expand ${MLPAY_DATA_DIR} (and other environment variables, and ~) in a path."""
    if "${" + DATA_DIR_VARIABLE + "}" in text or "$" + DATA_DIR_VARIABLE in text:
        data_dir()  # a clear error instead of a path with a literal '$' in it
    return Path(os.path.expandvars(text)).expanduser()
