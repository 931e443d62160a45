"""`mlpay report`: write the self-contained HTML report answering "are ML engineers paid more?"."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlpay_model.data.sources.registry import default_model_names
from mlpay_model.errors import InvalidInputError, MlpayError

DESCRIPTION = """\
Write one HTML file (plots embedded, no network needed to view it) that compares ML engineers
with software engineers, data scientists, data engineers, research scientists and analysts in
each source's model, side by side: controlled premiums with 90% intervals and raw medians, how
the premium varies by country, experience and education, which skills go with higher pay, and
the claims of the common "Are ML Engineers Paid More?" article checked against the data.

Each model's training rows are rebuilt from its training config and the data in
MLPAY_DATA_DIR. The headline premiums (against software engineers and data scientists) also
get a model-refit interval: each model's median booster is retrained --refits times on
bootstrap resamples of its training rows (0.2 to 1.5 s per refit and model with the shipped
settings; 0 skips it). The same models and data always give the same report (fixed seeds).
Needs the `train` extra (matplotlib).
"""


def register(subparsers: Any) -> None:
    default_models = ",".join(default_model_names())  # one shipped model per source
    parser = subparsers.add_parser(
        "report",
        help="write the HTML report: are ML engineers paid more?",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-o", "--output", required=True, help="the HTML file to write")
    parser.add_argument(
        "--models",
        default=default_models,
        help=f"comma-separated shipped model names or folders (default: {default_models})",
    )
    parser.add_argument(
        "--refits",
        type=int,
        default=None,
        metavar="N",
        help="median boosters retrained per model for the model-refit interval "
        "(at least 2; default: training.report.analysis.DEFAULT_REFITS; 0 skips the check)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    if not models:
        raise MlpayError(f"--models {args.models!r}: give at least one model name")
    if len(set(models)) != len(models):
        raise MlpayError(f"--models {args.models!r}: a model is listed twice")
    if args.refits is not None and (args.refits < 0 or args.refits == 1):
        raise InvalidInputError(
            "refits", args.refits, "must be 0 (skip the check) or at least 2 (a spread)"
        )
    try:
        from training.report import Settings, build_report
    except ImportError as error:
        raise MlpayError(
            f"mlpay report needs the train extra (pip install 'mlpay[train]'): {error}"
        ) from None

    settings = Settings() if args.refits is None else Settings(refits=args.refits)
    report = build_report(models, args.output, settings, progress=_progress)
    print(f"wrote {report.path} ({report.answer.headline.lower()}: see the summary at its top)")
    return 0


def _progress(message: str) -> None:
    print(f"mlpay report: {message}", file=sys.stderr, flush=True)
