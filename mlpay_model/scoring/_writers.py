"""Writing scoring results: atomically, chunk by chunk, as CSV or Parquet.

Every file is written under a temporary name in the target's folder and renamed over the
target only when the run succeeds (`mlpay_model._atomic.AtomicFile`), so a failed or
interrupted run leaves the previous file, or none, never half of one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mlpay_model._atomic import AtomicFile
from mlpay_model.errors import DataError

TABLE_FORMATS: Final[dict[str, str]] = {".csv": "csv", ".parquet": "parquet"}
LIST_SEPARATOR: Final = ";"


COMPRESSED_CSV: Final[tuple[str, ...]] = (".csv.gz", ".csv.bz2")
"""Compressed CSV names an input may have (Arrow decompresses by the name); not outputs."""


def input_format(path: Path) -> str:
    """'csv' (also .csv.gz and .csv.bz2) or 'parquet' from an input file's name."""
    if path.name.lower().endswith(COMPRESSED_CSV):
        return "csv"
    if path.suffix.lower() not in TABLE_FORMATS:
        raise DataError(
            f"{path}: unsupported input file type {path.suffix or '(none)'!r}; "
            f"expected .csv, {', '.join(COMPRESSED_CSV)} or .parquet"
        )
    return table_format(path, "input")


def table_format(path: Path, role: str) -> str:
    """'csv' or 'parquet' from the file name; a DataError for anything else."""
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"{path}: unsupported {role} file type {path.suffix or '(none)'!r}; "
            f"expected .csv or .parquet"
        )
    return fmt


class TableWriter(Protocol):
    """Appends Arrow tables with one fixed schema to one file."""

    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


class ParquetTableWriter:
    def __init__(self, path: Path, schema: pa.Schema):
        self._writer = pq.ParquetWriter(str(path), schema, compression="snappy")
        self._schema = schema

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.cast(self._schema))

    def close(self) -> None:
        self._writer.close()


class CsvTableWriter:
    """CSV with a header row; list columns are written as `;`-joined text."""

    def __init__(self, path: Path, schema: pa.Schema):
        self._schema = csv_schema(schema)
        self._writer = pa_csv.CSVWriter(str(path), self._schema)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(as_csv_table(table).cast(self._schema))

    def close(self) -> None:
        self._writer.close()


@contextmanager
def atomic_table_file(target: Path, fmt: str) -> Iterator[Callable[[pa.Table], None]]:
    """Yield `write(table)`: tables go to a temporary file beside `target` (its writer opened
    with the first table's schema); on success it replaces `target`, on failure it is removed.
    """
    file = AtomicFile(target)
    writer: TableWriter | None = None

    def write(table: pa.Table) -> None:
        nonlocal writer
        if writer is None:
            writer = open_table_writer(file.temp, fmt, table.schema)
        writer.write(table)

    try:
        yield write
        if writer is not None:
            writer.close()
            writer = None
        file.commit()
    except BaseException:
        if writer is not None:
            writer.close()
        file.discard()
        raise


def open_table_writer(path: Path, fmt: str, schema: pa.Schema) -> TableWriter:
    """A writer for `fmt` ("csv" or "parquet"). Schema metadata (pandas' dtype notes, which
    differ between pandas and dask readers) is dropped: the columns' types say it all."""
    schema = schema.remove_metadata()
    if fmt == "parquet":
        return ParquetTableWriter(path, schema)
    return CsvTableWriter(path, schema)


def csv_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with the types CSV cannot hold (lists, structs, ...) replaced by text."""
    return pa.schema(
        [
            field if _csv_writable(field.type) else pa.field(field.name, pa.large_string())
            for field in schema
        ]
    )


def as_csv_table(table: pa.Table) -> pa.Table:
    """`table` with list columns joined by ';' and other nested columns as their text form."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if _csv_writable(field.type):
            columns.append(column)
        elif pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            texts = pc.cast(column, pa.list_(pa.string()))
            columns.append(pc.binary_join(texts, LIST_SEPARATOR))
        else:
            columns.append(pa.array([_text(v) for v in column.to_pylist()], pa.large_string()))
    return pa.table(columns, names=table.column_names)


def _csv_writable(kind: pa.DataType) -> bool:
    return not pa.types.is_nested(kind)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
