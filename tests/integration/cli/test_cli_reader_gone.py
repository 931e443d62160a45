"""A reader of mlpay's stdout that goes away stops the command at once (issue 23): `mlpay
compare ... | head -0` used to compute for minutes, since nothing is written (and so no
BrokenPipeError seen) until the end. Exit 1 (BROKEN_PIPE_EXIT), nothing on stderr, and the
clean-ups of an interrupted command run; Ctrl-C on a piped command still means Ctrl-C."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import pytest

from mlpay_model.cli import BROKEN_PIPE_EXIT, INTERRUPTED_EXIT

# A command that computes for a minute before printing anything (`mlpay_model.cli._run` with
# the parser of one command, as `main` runs a real one).
SLOW_COMMAND = """
import sys, time
from mlpay_model.cli import OneLineErrorParser, _run
parser = OneLineErrorParser(prog="mlpay")
slow = parser.add_subparsers(dest="command", required=True).add_parser("slow")
started = lambda: print("started", file=sys.stderr, flush=True)
slow.set_defaults(handler=lambda args: started() or time.sleep(60) or print("done") or 0)
sys.exit(_run(parser, ["slow"]))
"""


COMPARE = ("--role", "Machine Learning Engineer", "--vs", "Software Engineer")


def start(argv: list[str], stdout: int, **options) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        stdout=stdout,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's
        **options,
    )


def closed_pipe() -> int:
    """The write end of a pipe whose reader has gone (`| head -0`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


def test_a_reader_gone_before_anything_is_written_stops_the_command_at_once():
    write_end = closed_pipe()
    began = time.monotonic()
    process = start([sys.executable, "-c", SLOW_COMMAND], write_end)
    os.close(write_end)
    _, err = process.communicate(timeout=50)
    assert process.returncode == BROKEN_PIPE_EXIT
    assert err.strip() in (b"", b"started")  # stopped before or in the command; no traceback
    assert time.monotonic() - began < 30  # the command sleeps 60 s


def test_a_reader_that_goes_later_stops_the_command_then():
    read_end, write_end = os.pipe()
    process = start([sys.executable, "-c", SLOW_COMMAND], write_end)
    os.close(write_end)
    assert process.stderr is not None and process.stderr.readline() == b"started\n"
    time.sleep(1)
    assert process.poll() is None  # still computing while the reader is there
    os.close(read_end)
    began = time.monotonic()
    _, err = process.communicate(timeout=50)
    assert process.returncode == BROKEN_PIPE_EXIT and err == b""
    assert time.monotonic() - began < 30


def test_ctrl_c_on_a_piped_command_is_still_an_interruption():
    read_end, write_end = os.pipe()
    process = start([sys.executable, "-c", SLOW_COMMAND], write_end)
    os.close(write_end)
    assert process.stderr is not None and process.stderr.readline() == b"started\n"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=50)
    os.close(read_end)
    assert process.returncode == INTERRUPTED_EXIT
    assert err == b"mlpay slow: interrupted\n"


def test_score_piped_into_a_gone_reader_stops_and_leaves_nothing_behind(tmp_path):
    """A real command: it writes its output file only at the end (atomically), so a command
    that stopped early leaves no output and no temporary file."""
    source = tmp_path / "in.csv"
    with open(source, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["role", "country", "years_experience"])
        writer.writerows([["ML Engineer", "US", "3"]] * 200_000)
    out = tmp_path / "out"
    out.mkdir()
    write_end = closed_pipe()
    process = start(
        [sys.executable, "-m", "mlpay_model", "score", str(source), "-o", str(out / "s.csv")],
        write_end,
    )
    os.close(write_end)
    _, err = process.communicate(timeout=300)
    assert process.returncode == BROKEN_PIPE_EXIT and err == b""
    assert list(out.iterdir()) == []


@pytest.mark.data
def test_compare_into_head_0_stops_at_once(data_dir, tmp_path):
    """The issue's case, with a cold refit cache: it used to run on for minutes (measured:
    still computing when stopped after 90 s)."""
    write_end = closed_pipe()
    began = time.monotonic()
    process = start(
        [sys.executable, "-m", "mlpay_model", "compare", *COMPARE],
        write_end,
        env={**os.environ, "MLPAY_CACHE_DIR": str(tmp_path / "cache")},
    )
    os.close(write_end)
    _, err = process.communicate(timeout=300)
    assert process.returncode == BROKEN_PIPE_EXIT and err == b""
    assert time.monotonic() - began < 30
