"""The local engine: stream the input chunk by chunk through `score_chunk` in this process.

Memory holds a few chunks at a time (plus the model), whatever the file size: SCORING_THREADS
chunks are scored at once while the next one is parsed and the previous one written (Arrow
parses and writes, and the trees predict, without Python's lock, so one thread's I/O and trees
overlap another's normalising). Results are written in input order, each scoring thread has
its own FrameCache, and the output is byte for byte what one thread writes. Output and
rejects go to temporary files beside their targets and are renamed into place only after the
last chunk, so any failure (an error, Ctrl-C) leaves the previous files or none.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa
from tqdm import tqdm

from mlpay_model._atomic import AtomicFile
from mlpay_model.model.features import MatrixBuffer
from mlpay_model.normalise import FrameCache
from mlpay_model.scoring._chunk import FILE, ChunkResult, ScoringPlan, score_chunk
from mlpay_model.scoring._readers import Chunk
from mlpay_model.scoring._summary import ScoreSummary
from mlpay_model.scoring._writers import (
    CsvTableWriter,
    TableWriter,
    open_table_writer,
    table_format,
)

if TYPE_CHECKING:
    from mlpay_model.model import SalaryModel

SCORING_THREADS: Final = 2
"""Chunks scored at once: two, for the two cores the target machine has. Normalising holds
Python's lock for much of a chunk, so more threads would add memory, not speed."""


def score_local(
    chunks: Iterable[Chunk],
    *,
    model: SalaryModel,
    plan: ScoringPlan,
    output: Path,
    rejects: Path,
    with_file_column: bool,
    total_rows: int | None,
    progress: bool | None,
) -> ScoreSummary:
    """Score every chunk into `output` (CSV or Parquet by suffix) and `rejects` (CSV)."""
    output_file = AtomicFile(output)
    try:
        rejects_file = AtomicFile(rejects)
    except BaseException:
        output_file.discard()
        raise
    writers: list[TableWriter] = []
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    populations: Counter[str] = Counter()
    unknown_skills: Counter[str] = Counter()
    show = sys.stderr.isatty() if progress is None else progress
    local = threading.local()  # per scoring thread (neither is shared): a cache and a matrix

    def score(chunk: Chunk) -> ChunkResult:
        if not hasattr(local, "cache"):
            local.cache = FrameCache()
            local.buffer = MatrixBuffer()
        return score_chunk(chunk.table, chunk.first_row, model, plan, local.cache, local.buffer)

    scorers = ThreadPoolExecutor(max_workers=SCORING_THREADS, thread_name_prefix="mlpay-score")
    io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlpay-write")
    writing: Future[None] | None = None
    try:
        with tqdm(
            total=total_rows, unit=" rows", unit_scale=True, disable=not show, file=sys.stderr
        ) as bar:
            for chunk, result in _in_order(iter(chunks), score, scorers):
                rejected = result.rejects
                if with_file_column:
                    rejected = _with_file(rejected, chunk.file)
                if writing is not None:
                    writing.result()  # in order, and at most one chunk waiting to be written
                if not writers:
                    writers.append(
                        open_table_writer(
                            output_file.temp, table_format(output, "output"), result.scored.schema
                        )
                    )
                    writers.append(CsvTableWriter(rejects_file.temp, rejected.schema))
                writing = io.submit(_write_both, writers, result.scored, rejected)
                counts.update(
                    read=chunk.table.num_rows,
                    scored=result.scored.num_rows,
                    rejected=rejected.num_rows,
                    other_roles=result.other_roles,
                    unknown_skill_rows=result.unknown_skill_rows,
                )
                reasons.update(result.reasons)
                missing.update(result.missing)
                populations.update(result.populations)
                unknown_skills.update(result.unknown_skills)
                bar.update(chunk.table.num_rows)
        if writing is not None:
            writing.result()
        for writer in writers:
            writer.close()
        output_file.commit()
        rejects_file.commit()
    except BaseException:
        for pool in (scorers, io):  # no thread writes into what is removed
            pool.shutdown(wait=True, cancel_futures=True)
        for writer in writers:
            _close_quietly(writer)
        output_file.discard()
        rejects_file.discard()
        raise
    finally:
        for pool in (scorers, io):
            pool.shutdown(wait=True, cancel_futures=True)
    return ScoreSummary(
        rows_read=counts["read"],
        rows_scored=counts["scored"],
        rows_rejected=counts["rejected"],
        output=output,
        rejects=rejects,
        rejected_by_field=dict(reasons),
        missing_by_field=dict(missing),
        rows_by_population=dict(populations),
        roles_read_as_other=counts["other_roles"],
        unknown_skills=dict(unknown_skills),
        unknown_skill_rows=counts["unknown_skill_rows"],
    )


def _in_order(
    chunks: Iterator[Chunk], score: Callable[[Chunk], ChunkResult], pool: ThreadPoolExecutor
) -> Iterator[tuple[Chunk, ChunkResult]]:
    """Each chunk with its result, in input order; up to SCORING_THREADS chunks are scored at
    once (while one waits for Arrow or the compiled trees, another runs Python), and the next
    chunk is read meanwhile."""
    pending: deque[tuple[Chunk, Future[ChunkResult]]] = deque()
    for chunk in chunks:
        pending.append((chunk, pool.submit(score, chunk)))
        if len(pending) >= SCORING_THREADS:
            first, result = pending.popleft()
            yield first, result.result()
    while pending:
        first, result = pending.popleft()
        yield first, result.result()


def _write_both(writers: list[TableWriter], scored: pa.Table, rejected: pa.Table) -> None:
    writers[0].write(scored)
    writers[1].write(rejected)


def _with_file(rejected: pa.Table, file: Path) -> pa.Table:
    names = pa.array([file.name] * rejected.num_rows, pa.large_string())
    return rejected.add_column(0, FILE, names)


def _close_quietly(writer: TableWriter) -> None:
    with contextlib.suppress(Exception):  # the run already failed; that error is reported
        writer.close()
