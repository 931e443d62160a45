"""Where the real salary files live: the `MLPAY_DATA_DIR` environment variable.

A relative value means relative to the folder the user ran the command in. It is made
absolute where this process first reads it (`data_dir`, `pin_data_dir`; the `mlpay` command
does it on start), and the absolute value is written back into the environment, so that
whatever later reads or inherits it (a subprocess started in another folder, a worker, a
config's `${MLPAY_DATA_DIR}`) names the same folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlpay_model.errors import DataError

DATA_DIR_VARIABLE = "MLPAY_DATA_DIR"


def pin_data_dir() -> str | None:
    """Make a relative MLPAY_DATA_DIR absolute (against the current folder) in os.environ.

    Returns the value now set (None when unset or empty). Call it before anything changes the
    current folder or starts a process in another one; an absolute value is left as it is.
    """
    value = os.environ.get(DATA_DIR_VARIABLE)
    if not value:
        return None
    expanded = os.path.expanduser(value)
    if not os.path.isabs(expanded):
        os.environ[DATA_DIR_VARIABLE] = expanded = os.path.abspath(expanded)
    return expanded


def data_dir() -> Path:
    """The folder named by MLPAY_DATA_DIR, as an absolute path; a DataError if it is unset or
    missing. A relative value is read against the current folder and pinned (`pin_data_dir`)."""
    given = os.environ.get(DATA_DIR_VARIABLE)
    value = pin_data_dir()
    if not value:
        raise DataError(
            f"{DATA_DIR_VARIABLE} is not set: point it at the folder holding aijobs/, kaggle/ "
            "and stackoverflow/ (for example ../shared/data)"
        )
    path = Path(value)
    if not path.is_dir():
        shown = given if given == value else f"{given} (that is {value})"
        raise DataError(f"{DATA_DIR_VARIABLE}={shown}: no such folder")
    return path


def expand_data_path(text: str) -> Path:
    """Expand ${MLPAY_DATA_DIR} (and other environment variables, and ~) in a path."""
    if "${" + DATA_DIR_VARIABLE + "}" in text or "$" + DATA_DIR_VARIABLE in text:
        data_dir()  # a clear error instead of a path with a literal '$' in it; pins the value
    return Path(os.path.expandvars(text)).expanduser()
