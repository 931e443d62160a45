"""`mlpay report`: write the self-contained HTML report answering "are ML engineers paid more?"."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlpay_model.errors import InvalidInputError, MlpayError

# training.report's DEFAULT_MODELS: the default model, the one behind predict, whatif, compare
# and serve (analysed within each source's people in turn).
DEFAULT_MODELS = "default"
# mlpay_model.compare's DEFAULT_REFITS and MIN_REFITS, written out so that `mlpay --help` does
# not import numpy and pandas (tests check they agree).
DEFAULT_REFITS = 20
MIN_REFITS = 4

DESCRIPTION = """\
Write one HTML file (plots embedded, no network needed to view it) that compares ML engineers
with software engineers, data scientists, data engineers, research scientists and analysts:
controlled premiums with 90% intervals and raw medians, how the premium varies by country,
experience and education, which skills go with higher pay, and the claims of the common "Are
ML Engineers Paid More?" article checked against the data.

By default it analyses the default model, the one behind predict, whatif, compare and serve,
within each source's people in turn (side by side, each in its own pay), so the report and
the other commands give the same numbers. Other models (e.g. the single-source models aijobs,
kaggle and stackoverflow) may be named with --models.

Each model's training rows are rebuilt from its training config and the data in
MLPAY_DATA_DIR. Every interval covers the model's own uncertainty as well as the people: each
model's median booster is retrained --refits times on grouped bootstrap resamples of its
training rows, with the education and skill effects beside it refitted too (the default: about
2 s of CPU per refit, as many at once as there are cores; the boosters are shared with `mlpay
compare`'s cache; 0: people-only intervals, named so). Every figure names its source's pay
concept (base salary, total compensation or a compensation band). The same models and data
always give the same report (fixed seeds).
Needs the `train` extra (matplotlib).
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
        help="comma-separated shipped model names or folders (default: default, the model "
        "behind every other command, analysed per source population)",
    )
    parser.add_argument(
        "--refits",
        type=int,
        default=None,
        metavar="N",
        help=f"median boosters retrained per model for the intervals (default: {DEFAULT_REFITS}; "
        f"at least {MIN_REFITS}; 0: people-only intervals)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    if not models:
        raise MlpayError(f"--models {args.models!r}: give at least one model name")
    if len(set(models)) != len(models):
        raise MlpayError(f"--models {args.models!r}: a model is listed twice")
    if args.refits is not None and args.refits != 0 and args.refits < MIN_REFITS:
        raise InvalidInputError(
            "refits", args.refits, f"must be 0 (people-only intervals) or at least {MIN_REFITS}"
        )
    # Without the train extra this import fails; `mlpay` says which extra to install.
    from training.report import Settings, build_report

    settings = Settings() if args.refits is None else Settings(refits=args.refits)
    report = build_report(models, args.output, settings, progress=_progress)
    print(f"wrote {report.path} ({report.answer.headline.lower()}: see the summary at its top)")
    return 0


def _progress(message: str) -> None:
    print(f"mlpay report: {message}", file=sys.stderr, flush=True)
