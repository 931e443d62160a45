"""The `mlpay` command line.

Each module in this package is one command: it exposes `register(subparsers)`, which adds its
parser and sets `handler=<function(args) -> int>`. Modules import heavy libraries inside their
handler, not at import time, so `mlpay predict` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from mlpay_model.errors import MlpayError

USER_ERROR_EXIT = 2


class OneLineErrorParser(argparse.ArgumentParser):
    """Usage mistakes print one line naming the problem and pointing at --help, then exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USER_ERROR_EXIT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="mlpay",
        description="Predict tech and ML salaries, and answer: are ML engineers paid more?",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Spinning OpenMP threads starve each other on small shared machines; set before LightGBM
    # or scikit-learn is imported (command handlers import them lazily).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except MlpayError as error:
        print(f"mlpay {args.command}: error: {error}", file=sys.stderr)
        return USER_ERROR_EXIT
    except KeyboardInterrupt:
        print(f"mlpay {args.command}: interrupted", file=sys.stderr)
        return 130
