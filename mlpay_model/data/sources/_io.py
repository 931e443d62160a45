"""Reading publishers' files (CSV, CSV inside a zip, Parquet) with one-line errors.

Adapters call `read_table`; every failure a user can cause (missing file, wrong format,
corrupt zip, empty file, missing column) becomes a `DataError` naming the file and what was
expected.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from mlpay_model.errors import DataError


def read_table(
    path: Path,
    *,
    members: Sequence[str] = (),
    header_rows: int = 1,
    what: str = "a CSV, a zip holding one, or a Parquet file",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a table as strings (no type guessing), keeping every row.

    `members`: for a zip, the CSV file names to look for inside it (first found wins; with no
    names, the zip must hold exactly one CSV). `header_rows=2` reads the first row as column
    names and drops the second (Kaggle's question-text row; use `read_header_rows` to get it).
    `columns`: read only these columns (faster on wide survey files; all must exist).
    """
    path = Path(path)
    check_file(path, what)
    suffix = path.suffix.lower()
    with read_errors(path, what):
        if suffix == ".parquet":
            frame = (
                pd.read_parquet(path, columns=None if columns is None else list(columns))
                .astype("string")
                .astype(object)
            )
        elif suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                member = _pick_member(archive, path, members)
                with archive.open(member) as handle:
                    frame = _read_csv(handle, header_rows, columns)
        elif suffix == ".csv" or path.name.lower().endswith((".csv.gz", ".csv.bz2")):
            frame = _read_csv(path, header_rows, columns)  # pandas decompresses by the name
        else:
            raise DataError(f"{path}: unsupported file type {suffix!r}; expected {what}")
    if frame.empty:
        raise DataError(f"{path}: no data rows; expected {what}")
    return frame


def read_header_rows(path: Path, *, members: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """The first two rows of a CSV (or the CSV in a zip): column codes and their texts."""
    path = Path(path)
    check_file(path, "a survey CSV or zip")
    with read_errors(path, "a survey CSV or zip"):
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                member = _pick_member(archive, path, members)
                with archive.open(member) as handle:
                    head = pd.read_csv(handle, nrows=2, dtype=str, header=None, encoding="utf-8")
        else:
            head = pd.read_csv(path, nrows=2, dtype=str, header=None, encoding="utf-8")
    if len(head) < 2:
        raise DataError(f"{path}: expected two header rows (codes, then question texts)")
    return [str(v) for v in head.iloc[0].tolist()], [str(v) for v in head.iloc[1].tolist()]


def zip_members(path: Path, what: str) -> list[str]:
    """The file names inside a zip (folders and macOS metadata left out)."""
    path = Path(path)
    check_file(path, what)
    with read_errors(path, what), zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX")]


def to_numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """`frame[column]` as floats (missing stays NaN); a DataError naming the first bad row.

    Row numbers are 1-based data rows (header rows not counted), as in `row_number`.
    """
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = numbers.isna() & raw.notna()
    if bad.any():
        position = int(bad.to_numpy().argmax())
        raise DataError(
            f"{path}: row {position + 1}: {column}={raw.iloc[position]!r} is not a number "
            f"({int(bad.sum())} such row(s)); expected a plain number such as 120000"
        )
    return numbers


@contextmanager
def read_errors(path: Path, what: str) -> Iterator[None]:
    """Turn the reading failures a user's file can cause into one-line DataErrors."""
    try:
        yield
    except DataError:
        raise
    except zipfile.BadZipFile as error:
        raise DataError(f"{path}: not a readable zip file ({error}); expected {what}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected {what}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{path}: cannot be read as {what} ({first_line})") from None


def check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"{path}: no such file; expected {what}")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected {what}")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty; expected {what}")


def require_columns(frame: pd.DataFrame, path: Path, required: Iterable[str], source: str) -> None:
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)} needed by the {source} reader"
        )


def _read_csv(handle: object, header_rows: int, columns: Sequence[str] | None) -> pd.DataFrame:
    frame = pd.read_csv(
        handle,  # type: ignore[call-overload]
        usecols=None if columns is None else list(columns),
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8",
        low_memory=False,
    )
    if header_rows == 2:
        frame = frame.iloc[1:].reset_index(drop=True)
    return frame.astype(object).where(frame.notna(), None)


def _pick_member(archive: zipfile.ZipFile, path: Path, members: Sequence[str]) -> str:
    names = archive.namelist()
    for wanted in members:
        for name in names:
            if name == wanted or name.endswith("/" + wanted):
                return name
    csvs = [n for n in names if n.lower().endswith(".csv") and not n.startswith("__MACOSX")]
    if not members and len(csvs) == 1:
        return csvs[0]
    expected = ", ".join(members) if members else "exactly one CSV file"
    raise DataError(f"{path}: the zip holds {', '.join(names) or 'nothing'}; expected {expected}")


def map_distinct(values: pd.Series, function: Callable[[object], object]) -> pd.Series:
    """`function` applied once per distinct value of `values` (and once to None for missing).

    Taxonomy lookups go through this so an adapter costs one call per distinct raw answer,
    not one per row.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = [function(value) for value in uniques]
    results.append(function(None))  # code -1 (missing) picks the last entry
    table = np.empty(len(results), dtype=object)
    table[:] = results
    return pd.Series(table[codes], index=values.index, dtype=object)
