"""Source adapters: each publisher's own file format in, a canonical profile frame out.

`read_source(source, path, mapping=None)` is the one entry point (`load_profiles` when only
the profiles matter); the sources are the ones
in `registry` (`register_source` adds one). Adapters keep every row of the file (quality
rules decide later what to drop, and count it), so `len(result)` is the file's
row/respondent count.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from mlpay_model.data.sources._rows import (
    INVALID_VALUE_RULE,
    RejectedRowsWarning,
    SourceRows,
    rejects_message,
)
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
    "INVALID_VALUE_RULE",
    "DataSource",
    "RejectedRowsWarning",
    "SourceRows",
    "get_source",
    "load_profiles",
    "read_source",
    "register_source",
    "source_names",
    "sources",
]


def read_source(source: str, path: Path | str, mapping: Path | str | None = None) -> SourceRows:
    """Read `path` with the adapter named `source`: its canonical profiles and refused rows.

    An adapter returns either a canonical profile frame (every row kept; a publisher file) or
    `SourceRows` (a file read through a column mapping, whose bad cells are refused by row).
    """
    entry = get_source(source)
    loader = entry.loader()
    if entry.needs_mapping:
        if mapping is None:
            raise DataError(f"the {source} source needs --mapping FILE (a YAML column mapping)")
        result = loader(Path(path), Path(mapping))
    elif mapping is not None:
        mapped = ", ".join(s.name for s in sources() if s.needs_mapping) or "mapping"
        raise DataError(f"--mapping applies to the {mapped} source only, not {source!r}")
    else:
        result = loader(Path(path))
    if isinstance(result, SourceRows):
        return result
    return SourceRows(profiles=result)


def load_profiles(source: str, path: Path | str, mapping: Path | str | None = None) -> pd.DataFrame:
    """The canonical profiles of `path` read with the adapter `source` (`read_source`).

    Rows refused for invalid values (only a mapped file has them) are left out with a
    RejectedRowsWarning naming the first few; `read_source` gives all of them.
    """
    rows = read_source(source, path, mapping)
    if rows.refused:
        warnings.warn(rejects_message(Path(path), rows), RejectedRowsWarning, stacklevel=2)
    return rows.profiles
