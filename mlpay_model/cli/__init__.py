"""The `mlpay` command line.

Each module in this package is one command: it exposes `register(subparsers)`, which adds its
parser and sets `handler=<function(args) -> int>`. Modules import heavy libraries inside their
handler, not at import time, so `mlpay predict` starts fast.

Exit codes: 0 success, 2 a user mistake (one line on stderr), 130 interrupted, and
BROKEN_PIPE_EXIT (1) when whoever reads the output stops early (`mlpay models --json | head
-c 10`): no traceback, but not 0 either, since the output was not all delivered (the command
may have stopped half-way), as a shell's `set -o pipefail` expects.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from mlpay_model import __version__
from mlpay_model.errors import MlpayError

USER_ERROR_EXIT = 2
BROKEN_PIPE_EXIT = 1


class OneLineErrorParser(argparse.ArgumentParser):
    """Usage mistakes print one line naming the problem and pointing at --help, then exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USER_ERROR_EXIT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="mlpay",
        description="Predict tech and ML salaries, and answer: are ML engineers paid more?",
    )
    parser.add_argument("--version", action="version", version=f"mlpay {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Spinning OpenMP threads starve each other on small shared machines; set before LightGBM
    # or scikit-learn is imported (command handlers import them lazily).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        status = _run(build_parser(), argv)
        sys.stdout.flush()  # a reader that has gone shows here, not at interpreter exit
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE_EXIT
    return status


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except MlpayError as error:
        print(f"mlpay {args.command}: error: {error}", file=sys.stderr)
        return USER_ERROR_EXIT
    except KeyboardInterrupt:
        print(f"mlpay {args.command}: interrupted", file=sys.stderr)
        return 130


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail again (and print
    "Exception ignored ... BrokenPipeError")."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a stream without a descriptor
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
