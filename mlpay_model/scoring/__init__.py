"""Batch scoring: predict pay for every row of a CSV or Parquet file (`mlpay score`).

`score_file(input, output, ...)` reads the input in chunks, normalises each chunk's profile
columns like `predict_salary` does (`mlpay_model.inputs.normalise_frame`), predicts, and writes
every input column plus pred_median, pred_low, pred_high (annual USD; `contrib_<factor>` on
request). Each input row ends up in exactly one of two files: the output, or the rejects CSV
with its 1-based data row number and the reason. Both are written atomically; the input is
only read.

Engines: "local" streams in this process (memory bounded by the chunk size); "dask" scores
the partitions on a Dask cluster with the same per-chunk function (see `_dask`).

Input kinds:
    canonical columns (default)  role, country, years_experience, education, skills and
                                 the context columns, raw or canonical values; others kept
    source="aijobs"/...          a publisher's own file, read whole by `load_profiles` (those
                                 files are small); the output columns are the canonical
                                 profile columns the reader produces
    mapping=FILE                 your own column names through a YAML column mapping
                                 (`sources.csv_mapping.read_mapping`), applied per chunk
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pyarrow as pa

from mlpay_model.errors import ConfigError, DataError
from mlpay_model.scoring._chunk import (
    CONTRIBUTION_PREFIX,
    PREDICTION_COLUMNS,
    SCORING_COLUMNS,
    ScoringPlan,
)
from mlpay_model.scoring._readers import (
    InputFiles,
    describe_input,
    iter_chunks,
    table_chunks,
)
from mlpay_model.scoring._summary import ScoreSummary
from mlpay_model.scoring._writers import TABLE_FORMATS, table_format

DEFAULT_CHUNK_SIZE: Final = 200_000
ENGINES: Final[tuple[str, ...]] = ("local", "dask")
PUBLISHER_SOURCES: Final[tuple[str, ...]] = ("aijobs", "kaggle", "stackoverflow")
REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("role", "country")
# A mapped skills column split on these is left as text: normalise_frame splits on both.
_NATIVE_SEPARATORS: Final = (";", ",")

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "PREDICTION_COLUMNS",
    "ScoreSummary",
    "default_rejects_path",
    "score_file",
]


def score_file(
    input: Path | str,
    output: Path | str,
    *,
    model: str = "default",
    source: str | None = None,
    mapping: Path | str | None = None,
    rejects: Path | str | None = None,
    contributions: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool | None = None,
) -> ScoreSummary:
    """Score every row of `input` into `output` and `rejects`; see the module docstring.

    `output`: .csv or .parquet (dask: also a folder of Parquet parts). `rejects` defaults to
    `<output stem>.rejects.csv` beside the output. `progress`: show a progress bar (default:
    only when stderr is a terminal). Raises MlpayError subclasses for user mistakes (missing
    file, unknown model, bad mapping, output equal to input, ...).
    """
    from mlpay_model.model import load_model

    input_path, output_path = Path(input), Path(output)
    rejects_path = Path(rejects) if rejects is not None else default_rejects_path(output_path)
    _check_options(source, mapping, engine, scheduler, chunk_size)
    _check_output(output_path, engine)
    _check_paths(input_path, output_path, rejects_path)
    salary_model = load_model(model)  # fails fast (exit 2) on an unknown or broken model
    plan = ScoringPlan(model=str(salary_model.path), contributions=contributions)
    if source is not None:
        return _score_publisher_file(
            input_path, source, salary_model, plan, output_path, rejects_path, chunk_size, progress
        )
    files = describe_input(input_path)
    if mapping is not None:
        plan = _mapped_plan(plan, Path(mapping), files)
    else:
        _check_columns(files)
    _check_no_clash(files.schema, input_path)
    if engine == "dask":
        from mlpay_model.scoring._dask import score_dask

        return score_dask(
            files,
            plan=plan,
            output=output_path,
            rejects=rejects_path,
            chunk_size=chunk_size,
            scheduler=scheduler,
        )
    from mlpay_model.scoring._local import score_local

    return score_local(
        iter_chunks(files, chunk_size),
        model=salary_model,
        plan=plan,
        output=output_path,
        rejects=rejects_path,
        with_file_column=files.is_folder,
        total_rows=files.num_rows(),
        progress=progress,
    )


def default_rejects_path(output: Path) -> Path:
    """`<output stem>.rejects.csv` beside the output (for a folder: beside the folder)."""
    output = Path(output)
    stem = output.stem if output.suffix.lower() in TABLE_FORMATS else output.name
    return output.with_name(f"{stem}.rejects.csv")


def _score_publisher_file(
    path: Path,
    source: str,
    model: object,
    plan: ScoringPlan,
    output: Path,
    rejects: Path,
    chunk_size: int,
    progress: bool | None,
) -> ScoreSummary:
    from mlpay_model.scoring._local import score_local
    from mlpay_model.sources import load_profiles

    if source not in PUBLISHER_SOURCES:
        raise DataError(
            f"unknown source {source!r}; expected one of {', '.join(PUBLISHER_SOURCES)} "
            "(for your own columns use a mapping file)"
        )
    profiles = load_profiles(source, path)
    table = _profiles_table(profiles)
    _check_no_clash(table.schema, path)
    return score_local(
        table_chunks(table, path, chunk_size),
        model=model,  # type: ignore[arg-type]
        plan=ScoringPlan(model=plan.model, contributions=plan.contributions, canonical=True),
        output=output,
        rejects=rejects,
        with_file_column=False,
        total_rows=table.num_rows,
        progress=progress,
    )


def _profiles_table(profiles: object) -> pa.Table:
    """A canonical profile frame as Arrow, with fixed types (skills a list of text)."""
    from mlpay_model.schema import FLOAT_COLUMNS, PROFILE_COLUMNS

    def kind(name: str) -> pa.DataType:
        if name in FLOAT_COLUMNS:
            return pa.float64()
        if name in ("year", "row_number"):
            return pa.int64()
        if name == "skills":
            return pa.list_(pa.large_string())
        return pa.large_string()

    schema = pa.schema([pa.field(name, kind(name)) for name in PROFILE_COLUMNS])
    return pa.Table.from_pandas(profiles, schema=schema, preserve_index=False)


def _mapped_plan(plan: ScoringPlan, mapping: Path, files: InputFiles) -> ScoringPlan:
    from mlpay_model.sources.csv_mapping import read_mapping

    spec = read_mapping(mapping)
    renames = {
        column: field for field, column in spec.columns.items() if field in SCORING_COLUMNS
    }
    missing = [column for column in renames if column not in files.schema.names]
    if missing:
        raise DataError(
            f"{files.path}: no column {missing[0]!r}, which {mapping} maps to "
            f"{renames[missing[0]]}; the file has: {', '.join(files.schema.names)}"
        )
    separator = spec.skills_separator
    return ScoringPlan(
        model=plan.model,
        contributions=plan.contributions,
        renames=renames,
        skills_separator=None if separator in _NATIVE_SEPARATORS else separator,
    )


def _check_options(
    source: str | None,
    mapping: Path | str | None,
    engine: str,
    scheduler: str | None,
    chunk_size: int,
) -> None:
    if engine not in ENGINES:
        raise ConfigError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if source is not None and mapping is not None:
        raise ConfigError("give either --source or --mapping, not both")
    if scheduler is not None and engine != "dask":
        raise ConfigError("--scheduler needs --engine dask")
    if source is not None and engine == "dask":
        raise ConfigError(
            f"--source {source} reads a publisher's file whole, in one process; "
            "use --engine local (publisher files are small)"
        )
    if chunk_size <= 0:
        raise ConfigError(f"chunk size {chunk_size}: must be a positive number of rows")


def _check_output(output: Path, engine: str) -> None:
    if engine == "dask" and output.suffix.lower() not in TABLE_FORMATS:
        from mlpay_model.scoring._dask import check_replaceable_folder

        check_replaceable_folder(output)  # a folder of Parquet parts
        return
    table_format(output, "output")
    if output.is_dir():
        raise DataError(f"{output}: is a folder; expected an output file name")


def _check_paths(input: Path, output: Path, rejects: Path) -> None:
    for path, role in ((output, "output"), (rejects, "rejects")):
        if not path.parent.is_dir():
            raise DataError(f"{path}: the folder {path.parent} does not exist (for the {role})")
    resolved_input = input.resolve()
    resolved_output = output.resolve()
    resolved_rejects = rejects.resolve()
    if resolved_output == resolved_input:
        raise DataError(f"{output}: the output is the input; choose another output path")
    if resolved_rejects in (resolved_input, resolved_output):
        raise DataError(f"{rejects}: the rejects file would overwrite the input or the output")
    if input.is_dir():
        for path in (resolved_output, resolved_rejects):
            if resolved_input in path.parents:
                raise DataError(
                    f"{path}: inside the input folder {input}; a later run would read it as "
                    "a part; write outside it"
                )
    if rejects.suffix.lower() != ".csv":
        raise DataError(f"{rejects}: the rejects file is a CSV; give a path ending in .csv")


def _check_columns(files: InputFiles) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in files.schema.names]
    if missing:
        raise DataError(
            f"{files.files[0]}: missing column(s) {', '.join(missing)}; the input needs the "
            f"profile columns {', '.join(SCORING_COLUMNS)} (at least role and country), or "
            f"--mapping FILE naming your columns, or --source for a publisher's file; "
            f"the file has: {', '.join(files.schema.names)}"
        )


def _check_no_clash(schema: pa.Schema, path: Path) -> None:
    added = [*PREDICTION_COLUMNS.values()]
    clashes = [
        name for name in schema.names if name in added or name.startswith(CONTRIBUTION_PREFIX)
    ]
    if clashes:
        raise DataError(
            f"{path}: already has column(s) {', '.join(clashes)} (an mlpay output?); "
            "scoring adds these: drop or rename them first"
        )
