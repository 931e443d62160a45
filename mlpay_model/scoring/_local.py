"""The local engine: stream the input chunk by chunk through `score_chunk` in this process.

Memory holds one chunk at a time (plus the model), whatever the file size. Output and
rejects go to temporary files beside their targets and are renamed into place only after the
last chunk, so any failure (an error, Ctrl-C) leaves the previous files or none.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from tqdm import tqdm

from mlpay_model._atomic import AtomicFile
from mlpay_model.normalise import FrameCache
from mlpay_model.scoring._chunk import FILE, ScoringPlan, score_chunk
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
    show = sys.stderr.isatty() if progress is None else progress
    cache = FrameCache()
    try:
        with tqdm(
            total=total_rows, unit=" rows", unit_scale=True, disable=not show, file=sys.stderr
        ) as bar:
            for chunk in chunks:
                result = score_chunk(chunk.table, chunk.first_row, model, plan, cache)
                rejected = result.rejects
                if with_file_column:
                    rejected = _with_file(rejected, chunk.file)
                if not writers:
                    writers.append(
                        open_table_writer(
                            output_file.temp, table_format(output, "output"), result.scored.schema
                        )
                    )
                    writers.append(CsvTableWriter(rejects_file.temp, rejected.schema))
                writers[0].write(result.scored)
                writers[1].write(rejected)
                counts.update(
                    read=chunk.table.num_rows,
                    scored=result.scored.num_rows,
                    rejected=rejected.num_rows,
                )
                reasons.update(result.reasons)
                missing.update(result.missing)
                bar.update(chunk.table.num_rows)
        for writer in writers:
            writer.close()
        output_file.commit()
        rejects_file.commit()
    except BaseException:
        for writer in writers:
            _close_quietly(writer)
        output_file.discard()
        rejects_file.discard()
        raise
    return ScoreSummary(
        rows_read=counts["read"],
        rows_scored=counts["scored"],
        rows_rejected=counts["rejected"],
        output=output,
        rejects=rejects,
        rejected_by_field=dict(reasons),
        missing_by_field=dict(missing),
    )


def _with_file(rejected: pa.Table, file: Path) -> pa.Table:
    names = pa.array([file.name] * rejected.num_rows, pa.large_string())
    return rejected.add_column(0, FILE, names)


def _close_quietly(writer: TableWriter) -> None:
    with contextlib.suppress(Exception):  # the run already failed; that error is reported
        writer.close()
