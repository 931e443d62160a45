"""Reading the file to score as a stream of Arrow chunks, never the whole file at once.

An input is one CSV or Parquet file, or a folder of parts in one format (read in file name
order). CSV cells are read as text, exactly as written: an empty cell is missing and nothing
else is ("NA" is Namibia), so the output can carry every input column through unchanged.
Likewise in Parquet only a null is missing: a floating-point NaN is a value, refused as CSV's
"nan" is (`nan_as_written`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mlpay_model.errors import DataError, clip
from mlpay_model.scoring._writers import COMPRESSED_CSV, TABLE_FORMATS, input_format

CSV_BLOCK_BYTES = 1 << 20  # Arrow reads a few blocks ahead: small blocks bound memory
MAX_CSV_BLOCK_BYTES = 1 << 30
"""A row (one record, quoted newlines included) may be up to this long: a block must hold a
whole row, so a longer row makes the reader start again with blocks 8x larger (rows already
read are skipped, not read twice into the output)."""


@dataclass(frozen=True)
class InputFiles:
    """What the user asked to score: one file, or the parts of a folder."""

    path: Path
    files: tuple[Path, ...]
    format: str  # "csv" or "parquet"
    schema: pa.Schema  # the columns of every chunk (CSV: all text)

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()

    def num_rows(self) -> int | None:
        """The row count when the format records it (Parquet), else None."""
        if self.format != "parquet":
            return None
        return sum(_parquet_file(file).metadata.num_rows for file in self.files)


@dataclass(frozen=True)
class Chunk:
    """Consecutive rows of one input file; `first_row` is the 1-based data row of the first."""

    table: pa.Table
    file: Path
    first_row: int


def describe_input(path: Path) -> InputFiles:
    """The files behind `path` and their common schema; a DataError naming what is wrong."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; expected a CSV or Parquet file")
    files = _folder_parts(path) if path.is_dir() else (path,)
    formats = {input_format(file) for file in files}
    if len(formats) > 1:
        raise DataError(f"{path}: mixes CSV and Parquet parts; expected one format")
    fmt = formats.pop()
    schemas = [(file, _schema(file, fmt)) for file in files]
    first_file, schema = schemas[0]
    for file, other in schemas[1:]:
        if other.names != schema.names:
            raise DataError(
                f"{file}: columns {', '.join(other.names)} differ from {first_file}'s "
                f"({', '.join(schema.names)}); every part of a folder needs the same columns"
            )
    return InputFiles(path=path, files=files, format=fmt, schema=schema)


def iter_chunks(source: InputFiles, chunk_size: int) -> Iterator[Chunk]:
    """The rows of every file in order; at least one (maybe empty) chunk, so that writers
    always learn the output's columns."""
    empty = True
    for file in source.files:
        read = _csv_chunks if source.format == "csv" else _parquet_chunks
        for chunk in read(file, source.schema, chunk_size):
            empty = False
            yield chunk
    if empty:
        yield Chunk(source.schema.empty_table(), source.files[0], 1)


def table_chunks(table: pa.Table, file: Path, chunk_size: int) -> Iterator[Chunk]:
    """An in-memory table (a publisher's file read whole) cut into chunks."""
    for start in range(0, max(table.num_rows, 1), chunk_size):
        yield Chunk(table.slice(start, chunk_size), file, start + 1)


def nan_as_written(
    frame: pd.DataFrame, table: pa.Table, columns: Mapping[str, str]
) -> pd.DataFrame:
    """`frame` (`table`'s columns, renamed by `columns`, as pandas) with each floating-point
    NaN of `table` that is not a null put back as the text "NaN".

    pandas shows a null and a NaN alike, so a NaN read from Parquet would be scored as
    "unknown"; written as text it is refused by the normaliser as CSV's "nan" is (a
    rejected row with its reason). Only floating-point columns (Parquet's) can hold one."""
    for column, name in columns.items():
        values = table.column(column)
        if not pa.types.is_floating(values.type):
            continue
        is_nan = pc.fill_null(pc.is_nan(values), False)
        if not pc.any(is_nan).as_py():
            continue
        cells = frame[name].astype(object)
        cells[is_nan.to_numpy(zero_copy_only=False)] = "NaN"
        frame[name] = cells
    return frame


def text_schema(names: list[str]) -> pa.Schema:
    return pa.schema([pa.field(name, pa.large_string()) for name in names])


def _folder_parts(folder: Path) -> tuple[Path, ...]:
    parts = tuple(
        sorted(
            file
            for file in folder.iterdir()
            if file.is_file()
            and (file.suffix.lower() in TABLE_FORMATS or file.name.lower().endswith(COMPRESSED_CSV))
            and not file.name.startswith((".", "_"))
        )
    )
    if not parts:
        raise DataError(f"{folder}: a folder with no .csv, .csv.gz or .parquet files in it")
    return parts


def _schema(file: Path, fmt: str) -> pa.Schema:
    if file.stat().st_size == 0:
        raise DataError(f"{file}: the file is empty; expected a {fmt.upper()} file with a header")
    if fmt == "parquet":
        return _parquet_file(file).schema_arrow.remove_metadata()
    try:
        names = _csv_names(file)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{file}: cannot be read as CSV ({clip(_first_line(error))})") from None
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"{file}: column name(s) {', '.join(repeated)} appear more than once")
    return text_schema(names)


def _csv_names(file: Path) -> list[str]:
    """The header's column names (a first row longer than a block: larger blocks)."""
    block = CSV_BLOCK_BYTES
    while True:
        try:
            return pa_csv.open_csv(
                file, read_options=pa_csv.ReadOptions(block_size=block, use_threads=False)
            ).schema.names
        except pa.ArrowInvalid as error:
            if "straddling" not in str(error) or block >= MAX_CSV_BLOCK_BYTES:
                raise
            block *= 8


def _csv_chunks(file: Path, schema: pa.Schema, chunk_size: int) -> Iterator[Chunk]:
    """Chunks of exactly `chunk_size` rows (the last one shorter), parsed by Arrow's
    streaming CSV reader (several times faster than pandas' chunked reader, and it reads
    the same cells: every value text, only an empty cell missing). A row longer than a
    block (one 5 MB cell) restarts the reader with larger blocks (MAX_CSV_BLOCK_BYTES)."""
    block = CSV_BLOCK_BYTES
    done = 0  # rows already yielded, skipped after a restart
    while True:
        try:
            for chunk in _csv_chunks_from(file, schema, chunk_size, block, skip=done):
                done += chunk.table.num_rows
                yield chunk
            return
        except pa.ArrowInvalid as error:
            if "straddling" not in str(error) or block >= MAX_CSV_BLOCK_BYTES:
                raise DataError(
                    f"{file}: cannot be read as CSV ({clip(_first_line(error))}); "
                    "nothing was written"
                ) from None
            block *= 8


def _csv_chunks_from(
    file: Path, schema: pa.Schema, chunk_size: int, block: int, skip: int
) -> Iterator[Chunk]:
    first_row = skip + 1
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for batch in _open_csv(file, schema, block):
        if skip:
            dropped = min(skip, batch.num_rows)
            batch, skip = batch.slice(dropped), skip - dropped
        pending.append(batch)
        pending_rows += batch.num_rows
        while pending_rows >= chunk_size:
            table = pa.Table.from_batches(pending, schema)
            yield Chunk(table.slice(0, chunk_size), file, first_row)
            first_row += chunk_size
            rest = table.slice(chunk_size)
            pending, pending_rows = rest.to_batches(), rest.num_rows
    if pending_rows:
        yield Chunk(pa.Table.from_batches(pending, schema), file, first_row)


def _open_csv(
    file: Path, schema: pa.Schema, block: int = CSV_BLOCK_BYTES
) -> pa_csv.CSVStreamingReader:
    return pa_csv.open_csv(
        file,
        read_options=pa_csv.ReadOptions(block_size=block, use_threads=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.large_string() for name in schema.names},
            strings_can_be_null=True,
            null_values=[""],
        ),
    )


def _parquet_chunks(file: Path, schema: pa.Schema, chunk_size: int) -> Iterator[Chunk]:
    first_row = 1
    try:
        for batch in _parquet_file(file).iter_batches(batch_size=chunk_size):
            table = pa.Table.from_batches([batch]).cast(schema)
            yield Chunk(table, file, first_row)
            first_row += table.num_rows
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{file}: cannot be read as Parquet ({_first_line(error)})") from None


def _parquet_file(file: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{file}: cannot be read as Parquet ({_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
