"""Source adapters: each publisher's own file format in, a canonical profile frame out.

`load_profiles(source, path, mapping=None)` is the one entry point. Adapters keep every row
of the file (quality rules decide later what to drop, and count it), so `len(result)` is the
file's row/respondent count.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from mlpay_model.errors import DataError

Loader = Callable[..., pd.DataFrame]


def _loaders() -> dict[str, Loader]:
    from . import aijobs, csv_mapping, kaggle, stackoverflow

    return {
        "aijobs": aijobs.load,
        "kaggle": kaggle.load,
        "stackoverflow": stackoverflow.load,
        "csv": csv_mapping.load,
    }


SOURCE_NAMES: tuple[str, ...] = ("aijobs", "kaggle", "stackoverflow", "csv")


def load_profiles(source: str, path: Path | str, mapping: Path | str | None = None) -> pd.DataFrame:
    """Read `path` with the adapter named `source`; a canonical profile frame, every row kept."""
    if source not in SOURCE_NAMES:
        raise DataError(f"unknown source {source!r}; expected one of {', '.join(SOURCE_NAMES)}")
    loader = _loaders()[source]
    if source == "csv":
        if mapping is None:
            raise DataError("the csv source needs --mapping FILE (a YAML column mapping)")
        return loader(Path(path), Path(mapping))
    if mapping is not None:
        raise DataError(f"--mapping applies to the csv source only, not {source!r}")
    return loader(Path(path))
