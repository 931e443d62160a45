"""The `mlpay` command line.

Each module in this package is one command: it exposes `register(subparsers)`, which adds its
parser and sets `handler=<function(args) -> int>`. Modules import heavy libraries inside their
handler, not at import time, so `mlpay predict` starts fast.

Exit codes: 0 success, 2 a user mistake (one line on stderr; also a command needing an
extra that is not installed, naming the extra and its `pip install`), 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM, as `timeout`, `docker stop` and CI cancellations send:
handled like Ctrl-C, so temporary files are removed and nothing half-written is left), and
BROKEN_PIPE_EXIT (1) when whoever reads the output stops early (`mlpay models --json | head
-c 10`): no traceback, but not 0 either, since the output was not all delivered (the command
may have stopped half-way), as a shell's `set -o pipefail` expects. When stdout is a pipe, a
reader that goes away stops the command at once (ReaderGone), even one that has printed
nothing yet (`mlpay compare ... | head -0` would otherwise compute for minutes).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import select
import signal
import stat
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any, Final, NoReturn, TextIO

from mlpay_model import __version__
from mlpay_model.data.datadir import pin_data_dir
from mlpay_model.errors import MlpayError, MlpayWarning

USER_ERROR_EXIT = 2
BROKEN_PIPE_EXIT = 1
INTERRUPTED_EXIT = 130
TERMINATED_EXIT = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread where Ctrl-C's KeyboardInterrupt would be, so every
    clean-up that Ctrl-C runs (temporary files removed) runs for it too."""


class ReaderGone(KeyboardInterrupt):
    """The reader of stdout (a pipe) has closed it: raised in the main thread like Ctrl-C's
    KeyboardInterrupt (so the same clean-ups run, and no `except Exception` swallows it)."""


EXTRA_OF_MODULE: Final[dict[str, str]] = {
    # pyproject's optional dependencies, by the top-level module a command imports
    **dict.fromkeys(("sklearn", "scipy", "mlflow", "pydantic", "matplotlib", "joblib"), "train"),
    "jinja2": "train",
    "dask": "dask",
    "distributed": "dask",
    "pyspark": "spark",
    **dict.fromkeys(("fastapi", "uvicorn", "starlette"), "serve"),
    **dict.fromkeys(("xgboost", "catboost", "threadpoolctl"), "bench"),
}


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
    pin_data_dir()  # a relative MLPAY_DATA_DIR: relative to where the user ran mlpay, for good
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
        with _sigterm_as_interrupt(), _stop_when_reader_goes(), _one_line_warnings(args.command):
            return int(args.handler(args))
    except ReaderGone:
        _discard_stdout()  # nothing left to deliver, and nobody to deliver it to
        return BROKEN_PIPE_EXIT
    except MlpayError as error:
        print(f"mlpay {args.command}: error: {error}", file=sys.stderr)
        return USER_ERROR_EXIT
    except ModuleNotFoundError as error:
        message = missing_extra_message(error)
        if message is None:  # not an optional dependency: a broken install, let it show
            raise
        print(f"mlpay {args.command}: error: {message}", file=sys.stderr)
        return USER_ERROR_EXIT
    except Terminated:
        print(f"mlpay {args.command}: terminated (SIGTERM)", file=sys.stderr)
        return TERMINATED_EXIT
    except KeyboardInterrupt:
        print(f"mlpay {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT


@contextmanager
def _one_line_warnings(command: str) -> Iterator[None]:
    """While the block runs, mlpay's own warnings (MlpayWarning: a model folder's unlisted
    files, a file's refused rows) print as one line, "mlpay <command>: warning: ...", like
    its errors; any other warning keeps Python's format."""
    previous = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if not issubclass(category, MlpayWarning):
            previous(message, category, filename, lineno, file, line)
            return
        stream: Any = file if file is not None else sys.stderr
        text = " ".join(str(message).splitlines())
        with suppress(OSError):  # as Python's own: a warning never fails the command
            stream.write(f"mlpay {command}: warning: {text}\n")

    warnings.showwarning = show
    try:
        yield
    finally:
        if warnings.showwarning is show:
            warnings.showwarning = previous


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated (once: a second SIGTERM during the
    clean-up is ignored). Only in the main thread, where Python runs signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _stop_when_reader_goes() -> Iterator[None]:
    """While the block runs with stdout a pipe, a thread watches for its reader to close it
    (poll's POLLERR on the write end) and then raises ReaderGone in the main thread (sending
    it SIGINT, whose handler is replaced for the block: a real Ctrl-C still does what it did).
    Elsewhere (a terminal, a file, not the main thread, no poll) the block just runs."""
    try:
        descriptor = sys.stdout.fileno()
        is_pipe = stat.S_ISFIFO(os.fstat(descriptor).st_mode)
    except (AttributeError, OSError, ValueError):  # replaced by a stream without a descriptor
        is_pipe = False
    previous = signal.getsignal(signal.SIGINT)
    if (
        not is_pipe
        or not hasattr(select, "poll")
        or threading.current_thread() is not threading.main_thread()
        or previous is None  # a handler installed outside Python: left alone
    ):
        yield
        return
    gone = threading.Event()
    main = threading.get_ident()
    wake_read, wake_write = os.pipe()  # a byte here ends the watch when the block ends

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if gone.is_set():
            raise ReaderGone
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    def watch() -> None:
        poller = select.poll()
        poller.register(descriptor, select.POLLERR)  # POLLERR: no reader left (Linux)
        poller.register(wake_read, select.POLLIN)
        ready = dict(poller.poll())
        if wake_read not in ready and ready.get(descriptor, 0) & (select.POLLERR | select.POLLHUP):
            gone.set()
            # A real signal, not _thread.interrupt_main: it also wakes a main thread blocked
            # in a system call (a sleep, a wait for workers).
            signal.pthread_kill(main, signal.SIGINT)

    signal.signal(signal.SIGINT, interrupt)
    watcher = threading.Thread(target=watch, name="mlpay-stdout-reader", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        try:
            os.write(wake_write, b"\0")
            watcher.join()
        finally:  # signal.signal first runs a pending SIGINT (ours): a late ReaderGone
            signal.signal(signal.SIGINT, previous)
            os.close(wake_read)
            os.close(wake_write)


def missing_extra_message(error: ModuleNotFoundError) -> str | None:
    """One line: which extra the command needs and how to install it (None when the missing
    module is not one of the extras')."""
    module = (error.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return (
        f"this needs the optional extra '{extra}' ({module} is not installed); "
        f"install it with: pip install 'mlpay[{extra}]'"
    )


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
