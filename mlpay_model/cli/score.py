"""`mlpay score`: predict pay for every row of a CSV or Parquet file, streaming in chunks."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from mlpay_model.data.sources.registry import publisher_source_names, sources

DESCRIPTION = """\
Predict the median pay and its 80% interval for every row of INPUT and write OUTPUT (CSV or
Parquet, by extension) with every input column plus pred_median, pred_low and pred_high
(annual USD), then population, pay_concept and pay_year: the source population each row is
priced as, what that pay is (base salary, total compensation, ...) and the year it is for.
Rows that cannot be scored go to the rejects CSV with their 1-based data row number and the
reason (field and value). The output and rejects files appear only when the whole run
succeeds; INPUT is never modified.

A pooled model (several source populations) prices each row in its own population: the
--source file's, or a `source` column's (empty: the model's default); --population NAME
prices every row as NAME instead. A single-source model prices every row as its one source.

INPUT holds canonical columns by default: role, country, years_experience, education, skills
(';'- or ','-separated in CSV, a list in Parquet) and optionally seniority, employment_type,
remote_ratio, company_size, year, source. Raw values are normalised as in `mlpay predict`
(job titles, country names, education words). Other columns are carried through untouched.

{source_paragraph}
--mapping FILE scores your own columns through a YAML column mapping (see
configs/mappings/example_hr.yaml); your columns are kept in the output. The mapping reader
also loads the whole file, so --source and --mapping run with the local engine only.

--engine dask scores the partitions of INPUT (a file or a folder of parts) on a Dask cluster:
--scheduler ADDRESS, or a local cluster with one worker per core. OUTPUT ending in .parquet
or .csv is one file; any other OUTPUT is a folder of Parquet parts (part-00000.parquet, ...).

Exit code: 0 all rows scored, 1 some rows rejected, 2 a usage or input error.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score a CSV or Parquet file of profiles in batch",
        description=DESCRIPTION.format(source_paragraph=_source_paragraph()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="CSV or Parquet file (or folder of parts)")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTPUT",
        help="output .csv or .parquet (dask engine: also a folder of Parquet parts)",
    )
    reading = parser.add_mutually_exclusive_group()
    reading.add_argument(
        "--source",
        choices=publisher_source_names(),
        help="INPUT is a publisher's raw file, read whole by that source's reader",
    )
    reading.add_argument("--mapping", metavar="FILE", help="YAML mapping of your column names")
    parser.add_argument(
        "--population",
        metavar="NAME",
        help="price every row as this source population of the model (a pooled model reads "
        "each row's source otherwise: --source, or a source column; default its default)",
    )
    parser.add_argument(
        "--model", default="default", help="shipped model name or model folder (default: default)"
    )
    parser.add_argument(
        "--rejects",
        metavar="PATH",
        help="rejects CSV (default: <output stem>.rejects.csv beside the output)",
    )
    parser.add_argument(
        "--contributions",
        action="store_true",
        help="add contrib_baseline (USD) and contrib_<factor> columns: the person's factors in "
        "percent, as mlpay predict explains them (about 1.5 ms a row; docs/scoring.md)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: stream in this process (default); dask: score partitions on a cluster",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask scheduler address (default: start a local cluster for the run)",
    )
    parser.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="rows scored at a time: bounds memory (default 200000)",
    )
    parser.set_defaults(handler=run_score)


def run_score(args: argparse.Namespace) -> int:
    from mlpay_model.scoring import DEFAULT_CHUNK_SIZE, score_file

    summary = score_file(
        args.input,
        args.output,
        model=args.model,
        source=args.source,
        mapping=args.mapping,
        population=args.population,
        rejects=args.rejects,
        contributions=args.contributions,
        engine=args.engine,
        scheduler=args.scheduler,
        chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE,
    )
    print(summary.render())
    return 1 if summary.rows_rejected else 0


def _source_paragraph() -> str:
    """What --source reads, one entry per registered publisher source."""
    readers = ", ".join(s.reader_help or s.name for s in sources() if not s.needs_mapping)
    return textwrap.fill(
        f"--source reads a publisher's own file ({readers}) through the data layer; those "
        "readers load the whole file (publisher files are small) and the output columns are "
        "the canonical profile columns they produce.",
        width=92,
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a positive number of rows")
    return value
