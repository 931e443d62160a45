"""`mlpay data summary`: what a salary file gives the model, before any training."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mlpay_model.data.sources.registry import names_text, source_names


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("data", help="inspect salary data files")
    commands = parser.add_subparsers(dest="data_command", metavar="DATA_COMMAND", required=True)
    summary = commands.add_parser(
        "summary",
        help="rows read and kept, drops per quality rule, factor coverage, unknown values",
        description=(
            "Read a salary file with a source adapter, apply that source's default quality "
            "rules and report what is left for a model to learn from."
        ),
    )
    # Validated by load_profiles (a one-line error) rather than argparse choices.
    summary.add_argument(
        "--source", required=True, metavar="SOURCE", help=names_text(source_names())
    )
    summary.add_argument("--path", required=True, help="the data file (CSV, zip or Parquet)")
    summary.add_argument("--mapping", help="YAML column mapping (csv source only)")
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.set_defaults(handler=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    from mlpay_model.data.quality import QualityRules, apply_quality_rules
    from mlpay_model.data.sources import read_source
    from mlpay_model.data.summary import render_summary, summarize

    rows = read_source(args.source, args.path, args.mapping)
    result = apply_quality_rules(rows.profiles, QualityRules.for_source(args.source))
    report = summarize(rows, result)
    print(json.dumps(report, ensure_ascii=False) if args.json else render_summary(report))
    return 0
