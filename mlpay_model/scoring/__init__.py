"""Batch scoring: predict pay for every row of a CSV or Parquet file (`mlpay score`).

`score_file(input, output, ...)` reads the input in chunks, normalises each chunk's profile
columns like `predict_salary` does (`mlpay_model.normalise.normalise_frame`), predicts, and writes
every input column plus pred_median, pred_low, pred_high (annual USD), then what each price is:
`population` (the source population it is priced as), `pay_concept` (that population's pay in
words) and `pay_year`; `contrib_<factor>` on request. A pooled model (one that reads `source`)
prices a row in its own population: `population=` for every row, else the row's source (the
publisher's with `source=`, or a `source` column), else the model's default; a single-source
model prices every row as its one source. Each input row ends up in exactly one of two files:
the output, or the rejects CSV with its 1-based data row number and the reason. Both are
written atomically; the input is only read.

Engines: "local" streams in this process (memory bounded by the chunk size); "dask" scores
the partitions on a Dask cluster with the same per-chunk function (see `_dask`).

Input kinds:
    canonical columns (default)  role, country, years_experience, education, skills and
                                 the context columns, raw or canonical values; others kept
    source=<registered source>   a publisher's own file, read whole by `load_profiles` (those
                                 files are small); the output columns are the canonical
                                 profile columns the reader produces
    mapping=FILE                 your own columns, kept untouched in the output, scored
                                 through a YAML column mapping (`sources.csv_mapping`,
                                 which reads the whole file)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa

from mlpay_model.errors import ConfigError, DataError
from mlpay_model.schema import SCORE_COLUMNS
from mlpay_model.scoring._chunk import (
    CONTRIBUTION_PREFIX,
    PRICED_AS_COLUMNS,
    SCORING_COLUMNS,
    ScoringPlan,
)
from mlpay_model.scoring._dask import check_replaceable_folder, score_dask
from mlpay_model.scoring._local import score_local
from mlpay_model.scoring._readers import (
    InputFiles,
    describe_input,
    iter_chunks,
    table_chunks,
)
from mlpay_model.scoring._summary import ScoreSummary
from mlpay_model.scoring._writers import TABLE_FORMATS, table_format

if TYPE_CHECKING:
    from mlpay_model.model import SalaryModel

DEFAULT_CHUNK_SIZE: Final = 200_000
ENGINES: Final[tuple[str, ...]] = ("local", "dask")
REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("role", "country")
HIDDEN_PREFIX: Final = "__mlpay_canonical__"

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "SCORE_COLUMNS",
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
    population: str | None = None,
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
    only when stderr is a terminal). `population`: price every row as that source population
    (one of the model's `populations`). Raises MlpayError subclasses for user mistakes (missing
    file, unknown model, bad mapping, output equal to input, ...).
    """
    from mlpay_model.model import load_model

    input_path, output_path = Path(input), Path(output)
    rejects_path = Path(rejects) if rejects is not None else default_rejects_path(output_path)
    _check_options(source, mapping, engine, scheduler, chunk_size)
    _check_output(output_path, engine)
    _check_paths(input_path, output_path, rejects_path)
    salary_model = load_model(model)  # fails fast (exit 2) on an unknown or broken model
    _check_population(salary_model, population, source)
    plan = ScoringPlan(
        model=str(salary_model.path), contributions=contributions, population=population
    )
    if source is not None:
        table = _publisher_table(input_path, source)
        plan = replace(plan, canonical=True)
    elif mapping is not None:
        table = _mapped_table(input_path, Path(mapping), chunk_size)
        plan = replace(plan, hidden_prefix=HIDDEN_PREFIX)  # raw values: normalised per chunk
    else:
        files = describe_input(input_path)
        _check_columns(files)
        _check_no_clash(files.schema, input_path)
        if engine == "dask":
            return score_dask(
                files,
                plan=plan,
                output=output_path,
                rejects=rejects_path,
                chunk_size=chunk_size,
                scheduler=scheduler,
            )
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
    return score_local(
        table_chunks(table, input_path, chunk_size),
        model=salary_model,
        plan=plan,
        output=output_path,
        rejects=rejects_path,
        with_file_column=False,
        total_rows=table.num_rows,
        progress=progress,
    )


def default_rejects_path(output: Path) -> Path:
    """`<output stem>.rejects.csv` beside the output (for a folder: beside the folder)."""
    output = Path(output)
    stem = output.stem if output.suffix.lower() in TABLE_FORMATS else output.name
    return output.with_name(f"{stem}.rejects.csv")


def _check_population(model: SalaryModel, population: str | None, source: str | None) -> None:
    """--population must be one of the model's populations; a pooled model given a
    publisher's file of a source it did not learn needs --population (never a silent
    default)."""
    from mlpay_model.errors import did_you_mean

    known = model.populations
    if population is not None and population not in known:
        raise ConfigError(
            f"--population {population!r}: not a population model {model.name} learned; "
            f"expected one of {', '.join(known)}{did_you_mean(population, known)}"
        )
    if population is None and source is not None and model.uses("source") and source not in known:
        raise ConfigError(
            f"--source {source}: model {model.name} did not learn the {source} population "
            f"(it prices {', '.join(known)}); choose one with --population NAME"
        )


def _publisher_table(path: Path, source: str) -> pa.Table:
    """A publisher's file read whole by its source reader, as canonical profile columns."""
    from mlpay_model.data.sources import load_profiles
    from mlpay_model.data.sources.registry import publisher_source_names, unknown_source_message

    publishers = publisher_source_names()  # the registered sources that need no mapping
    if source not in publishers:
        raise ConfigError(
            f"{unknown_source_message(source, publishers)} "
            "(for your own columns use --mapping FILE)"
        )
    table = _profiles_table(load_profiles(source, path))
    _check_no_clash(table.schema, path)
    return table


def _mapped_table(path: Path, mapping: Path, chunk_size: int) -> pa.Table:
    """The user's columns, untouched, beside the mapped profile columns as the file holds them.

    `sources.csv_mapping` only renames and converts (column names, skills separator); the
    chunks then normalise those columns like any other input, so a bad cell is one reject
    (with its row number) in the rejects file, not an aborted run. `csv_mapping` reads a
    whole file, so this does too: mapped files are HR exports, small next to a chunk.
    """
    from mlpay_model.data.sources.csv_mapping import read_mapped_columns

    files = describe_input(path)
    if files.is_folder:
        raise ConfigError(f"{path}: --mapping reads one file, not a folder of parts")
    _check_no_clash(files.schema, path)
    user = pa.concat_tables(chunk.table for chunk in iter_chunks(files, chunk_size))
    mapped = read_mapped_columns(path, mapping)
    if len(mapped) != user.num_rows:  # both read every data row; a bug otherwise
        raise AssertionError(f"{path}: {user.num_rows} rows but {len(mapped)} mapped")
    for name in mapped.columns:
        kind = pa.list_(pa.large_string()) if name == "skills" else pa.large_string()
        values = pa.array(mapped[name].tolist(), kind)
        user = user.append_column(HIDDEN_PREFIX + name, values)
    return user


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
    if (source is not None or mapping is not None) and engine == "dask":
        option = "--source" if source is not None else "--mapping"
        raise ConfigError(
            f"{option} reads the whole file in one process; use --engine local "
            "(publisher files and mapped HR exports are small)"
        )
    if chunk_size <= 0:
        raise ConfigError(f"chunk size {chunk_size}: must be a positive number of rows")


def _check_output(output: Path, engine: str) -> None:
    if engine == "dask" and output.suffix.lower() not in TABLE_FORMATS:
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
    added = [*SCORE_COLUMNS.values(), *PRICED_AS_COLUMNS]
    clashes = [
        name for name in schema.names if name in added or name.startswith(CONTRIBUTION_PREFIX)
    ]
    if clashes:
        raise DataError(
            f"{path}: already has column(s) {', '.join(clashes)} (an mlpay output?); "
            "scoring adds these: drop or rename them first"
        )
