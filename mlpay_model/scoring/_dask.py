"""The dask engine: the same per-chunk scoring, run on the partitions of a Dask cluster.

Each input file is read with dask.dataframe (CSV as text, exactly like the local engine;
Parquet with its own types). Every partition becomes one task, `score_partition`, which loads
the model once per worker process (`load_model` caches it; the task carries the model's name or
folder, never the object), scores its rows in chunks and writes two Parquet parts into a
staging folder beside the output: the scored rows and the rejects (with row numbers counted
from the start of the partition). The task returns only counts.

The client then turns partition-relative row numbers into 1-based data rows of each file
(partitions of a file come in order, so a row's number is the rows of the file's earlier
partitions plus its place in its own), writes the rejects CSV, and puts the output in place:

    OUTPUT ending in .parquet or .csv   one file, the parts concatenated in input order
    any other OUTPUT                    a folder of Parquet parts part-00000.parquet, ...,
                                        in input order (what dask/Spark readers expect)

Workers read the input and write the staging folder, so with a remote `--scheduler` those
paths (and the model folder, unless it is a shipped model name) must be visible to every
worker at the same path, as for any dask job reading and writing files.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlpay_model._atomic import usual_mode
from mlpay_model.errors import ConfigError, DataError
from mlpay_model.model import load_model
from mlpay_model.model.features import MatrixBuffer
from mlpay_model.normalise import FrameCache
from mlpay_model.scoring._chunk import FILE, ROW_NUMBER, ScoringPlan, score_chunk
from mlpay_model.scoring._readers import InputFiles
from mlpay_model.scoring._summary import ScoreSummary
from mlpay_model.scoring._writers import (
    COMPRESSED_CSV,
    TableWriter,
    atomic_table_file,
    open_table_writer,
)

PART_PATTERN: Final = "part-{:05d}.parquet"
CSV_BLOCK_SIZE: Final = "64MB"
# pandas reads cells as the local engine's Arrow reader does: all text, only "" missing.
CSV_OPTIONS: Final[dict[str, object]] = {
    "dtype": str,
    "keep_default_na": False,
    "na_values": [""],
    "encoding": "utf-8",
}
CONNECT_TIMEOUT: Final = "10s"


@dataclass(frozen=True)
class PartStats:
    """What one partition task reports back (its rows are in its Parquet parts)."""

    rows_read: int
    rows_scored: int
    rows_rejected: int
    reasons: Counter[str]
    missing: Counter[str]
    populations: Counter[str]
    other_roles: int
    unknown_skills: Counter[str]
    unknown_skill_rows: int


def score_dask(
    source: InputFiles,
    *,
    plan: ScoringPlan,
    output: Path,
    rejects: Path,
    chunk_size: int,
    scheduler: str | None,
) -> ScoreSummary:
    """Score `source` on a Dask cluster into `output` (file or folder) and `rejects` (CSV)."""
    import dask

    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        (staging / "parts").mkdir()
        (staging / "rejects").mkdir()
        tasks: list[Any] = []
        part_files: list[Path] = []
        for file in source.files:
            for part in _partitions(file, source.format):
                index = len(tasks)
                tasks.append(
                    dask.delayed(score_partition, pure=False)(
                        part,
                        plan,
                        source.schema,
                        str(staging / "parts" / PART_PATTERN.format(index)),
                        str(staging / "rejects" / PART_PATTERN.format(index)),
                        chunk_size,
                    )
                )
                part_files.append(file)
        with _client(scheduler) as client:
            stats: list[PartStats] = client.compute(tasks, sync=True)
        _write_rejects(staging / "rejects", part_files, stats, rejects, source.is_folder)
        _put_output_in_place(staging / "parts", len(tasks), output, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    reasons: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    populations: Counter[str] = Counter()
    unknown_skills: Counter[str] = Counter()
    for part in stats:
        reasons.update(part.reasons)
        missing.update(part.missing)
        populations.update(part.populations)
        unknown_skills.update(part.unknown_skills)
    return ScoreSummary(
        rows_read=sum(part.rows_read for part in stats),
        rows_scored=sum(part.rows_scored for part in stats),
        rows_rejected=sum(part.rows_rejected for part in stats),
        output=output,
        rejects=rejects,
        rejected_by_field=dict(reasons),
        missing_by_field=dict(missing),
        rows_by_population=dict(populations),
        roles_read_as_other=sum(part.other_roles for part in stats),
        unknown_skills=dict(unknown_skills),
        unknown_skill_rows=sum(part.unknown_skill_rows for part in stats),
    )


def score_partition(
    frame: pd.DataFrame,
    plan: ScoringPlan,
    schema: pa.Schema,
    scored_path: str,
    rejects_path: str,
    chunk_size: int,
) -> PartStats:
    """Score one partition in chunks; write its scored rows and rejects as Parquet parts."""
    model = load_model(plan.model)  # cached: loaded once per worker process
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    writers: list[TableWriter] = []
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    populations: Counter[str] = Counter()
    unknown_skills: Counter[str] = Counter()
    cache = FrameCache()
    buffer = MatrixBuffer()
    try:
        for start in range(0, max(table.num_rows, 1), chunk_size):
            chunk = table.slice(start, chunk_size)
            result = score_chunk(chunk, start + 1, model, plan, cache, buffer)
            if not writers:
                writers.append(
                    open_table_writer(Path(scored_path), "parquet", result.scored.schema)
                )
                writers.append(
                    open_table_writer(Path(rejects_path), "parquet", result.rejects.schema)
                )
            writers[0].write(result.scored)
            writers[1].write(result.rejects)
            counts.update(
                scored=result.scored.num_rows,
                rejected=result.rejects.num_rows,
                other_roles=result.other_roles,
                unknown_skill_rows=result.unknown_skill_rows,
            )
            reasons.update(result.reasons)
            missing.update(result.missing)
            populations.update(result.populations)
            unknown_skills.update(result.unknown_skills)
    finally:
        for writer in writers:
            writer.close()
    return PartStats(
        table.num_rows,
        counts["scored"],
        counts["rejected"],
        reasons,
        missing,
        populations,
        counts["other_roles"],
        unknown_skills,
        counts["unknown_skill_rows"],
    )


def _partitions(file: Path, fmt: str) -> list[Any]:
    import dask.dataframe as dd

    try:
        if fmt == "csv":
            compressed = file.name.lower().endswith(COMPRESSED_CSV)  # one partition per file
            blocksize = None if compressed else CSV_BLOCK_SIZE
            frame = dd.read_csv(str(file), blocksize=blocksize, **CSV_OPTIONS)
        else:
            frame = dd.read_parquet(str(file))
    except (ValueError, OSError, pa.ArrowInvalid) as error:
        raise DataError(f"{file}: cannot be read by dask ({error})") from None
    return list(frame.to_delayed())


@contextmanager
def _client(scheduler: str | None) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            raise ConfigError(
                f"--scheduler {scheduler}: cannot connect to a dask scheduler there ({error})"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _write_rejects(
    folder: Path, part_files: list[Path], stats: list[PartStats], rejects: Path, by_file: bool
) -> None:
    """Concatenate the rejects parts into the CSV, with row numbers counted per input file."""
    with atomic_table_file(rejects, "csv") as write:
        rows_before = 0
        for index, (file, part) in enumerate(zip(part_files, stats, strict=True)):
            if index and part_files[index - 1] != file:
                rows_before = 0
            table = pq.read_table(folder / PART_PATTERN.format(index))
            numbers = pc.add(table.column(ROW_NUMBER), rows_before)
            table = table.set_column(0, ROW_NUMBER, numbers)
            if by_file:
                names = pa.array([file.name] * table.num_rows, pa.large_string())
                table = table.add_column(0, FILE, names)
            write(table)
            rows_before += part.rows_read


def _put_output_in_place(parts: Path, count: int, output: Path, staging: Path) -> None:
    if output.suffix.lower() in (".csv", ".parquet"):
        _concatenate(parts, count, output)
        return
    check_replaceable_folder(output)
    os.chmod(parts, usual_mode(folder=True))
    if output.exists():
        os.replace(output, staging / "previous")
    os.replace(parts, output)


def _concatenate(parts: Path, count: int, output: Path) -> None:
    fmt = "csv" if output.suffix.lower() == ".csv" else "parquet"
    with atomic_table_file(output, fmt) as write:
        for index in range(count):
            part = pq.ParquetFile(parts / PART_PATTERN.format(index))
            write(part.schema_arrow.empty_table())  # the schema, even when no row was scored
            for batch in part.iter_batches():
                write(pa.Table.from_batches([batch]))


def check_replaceable_folder(output: Path) -> None:
    """Only replace a folder that holds nothing but the parts of an earlier run."""
    if not output.exists():
        return
    if not output.is_dir():
        raise DataError(
            f"{output}: exists and is not a folder; a dask output without .csv/.parquet "
            f"is a folder of Parquet parts"
        )
    others = [p.name for p in output.iterdir() if not _is_part_name(p.name)]
    if others:
        raise DataError(
            f"{output}: the folder holds other files ({', '.join(sorted(others)[:3])}); "
            f"refusing to replace it; choose a new or empty output folder"
        )


def _is_part_name(name: str) -> bool:
    return name.startswith("part-") and name.endswith(".parquet")
