"""`mlpay report`: write the self-contained HTML report answering "are ML engineers paid more?"."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlpay_model.errors import MlpayError

DEFAULT_MODELS = "aijobs,kaggle,stackoverflow"

DESCRIPTION = """\
Write one HTML file (plots embedded, no network needed to view it) that compares ML engineers
with software engineers, data scientists, data engineers, research scientists and analysts in
each source's model, side by side: controlled premiums with 90% intervals and raw medians, how
the premium varies by country, experience and education, which skills go with higher pay, and
the claims of the common "Are ML Engineers Paid More?" article checked against the data.

Each model's training rows are rebuilt from its training config and the data in
MLPAY_DATA_DIR. The same models and data always give the same report (fixed seeds). Needs the
`train` extra (matplotlib).
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the HTML report: are ML engineers paid more?",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-o", "--output", required=True, help="the HTML file to write")
    parser.add_argument(
        "--models",
        default=DEFAULT_MODELS,
        help=f"comma-separated shipped model names or folders (default: {DEFAULT_MODELS})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    if not models:
        raise MlpayError(f"--models {args.models!r}: give at least one model name")
    if len(set(models)) != len(models):
        raise MlpayError(f"--models {args.models!r}: a model is listed twice")
    try:
        from training.report import build_report
    except ImportError as error:
        raise MlpayError(
            f"mlpay report needs the train extra (pip install 'mlpay[train]'): {error}"
        ) from None

    report = build_report(models, args.output, progress=_progress)
    print(f"wrote {report.path} ({report.answer.headline.lower()}: see the summary at its top)")
    return 0


def _progress(message: str) -> None:
    print(f"mlpay report: {message}", file=sys.stderr, flush=True)
