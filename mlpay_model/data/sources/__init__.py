"""Source adapters: each publisher's own file format in, a canonical profile frame out.

`load_profiles(source, path, mapping=None)` is the one entry point; the sources are the ones
in `registry` (`register_source` adds one). Adapters keep every row of the file (quality
rules decide later what to drop, and count it), so `len(result)` is the file's
row/respondent count.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlpay_model.data.sources.registry import (
    DataSource,
    get_source,
    register_source,
    source_names,
    sources,
)
from mlpay_model.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DataSource",
    "get_source",
    "load_profiles",
    "register_source",
    "source_names",
    "sources",
]


def __getattr__(name: str) -> object:
    if name == "SOURCE_NAMES":  # the registered names now (a source may be added at run time)
        return source_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_profiles(source: str, path: Path | str, mapping: Path | str | None = None) -> pd.DataFrame:
    """Read `path` with the adapter named `source`; a canonical profile frame, every row kept."""
    entry = get_source(source)
    loader = entry.loader()
    if entry.needs_mapping:
        if mapping is None:
            raise DataError(f"the {source} source needs --mapping FILE (a YAML column mapping)")
        frame: pd.DataFrame = loader(Path(path), Path(mapping))
        return frame
    if mapping is not None:
        mapped = ", ".join(s.name for s in sources() if s.needs_mapping) or "mapping"
        raise DataError(f"--mapping applies to the {mapped} source only, not {source!r}")
    frame = loader(Path(path))
    return frame
