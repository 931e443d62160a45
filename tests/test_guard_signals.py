"""The signals door: `mlpay score` stopped by SIGINT or SIGTERM leaves no temporary file and
no half output, says so in one line and exits 130 / 143; after SIGKILL (no clean-up can run),
the next run removes the stale temporaries that are clearly its own, and nothing else.

The input is generated in tmp_path (400,000 canonical rows, about 3 s to score on one core),
so that the signal arrives while the temporaries exist.
"""

from __future__ import annotations

import csv
import fcntl
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlpay_model._atomic import AtomicFile, remove_stale_temporaries

ROWS = 400_000
ROLES = ("ml_engineer", "data_scientist", "data_engineer", "software_engineer", "data_analyst")
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "CA")


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("signals") / "profiles.csv"
    rng = random.Random(11)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["role", "country", "years_experience", "skills", "seniority"])
        for _ in range(ROWS):
            writer.writerow(
                [
                    rng.choice(ROLES),
                    rng.choice(COUNTRIES),
                    rng.randrange(30),
                    "python;sql",
                    rng.choice(("entry", "mid", "senior")),
                ]
            )
    return path


def _temporaries(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.name.startswith("."))


def _start_score(big_input: Path, output: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlpay_model",
            "score",
            str(big_input),
            "-o",
            str(output),
            "--chunk-size",
            "20000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_temporaries(process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 60
    while len(_temporaries(folder)) < 2:  # output and rejects temporaries
        assert process.poll() is None, "score ended before the signal could be sent"
        assert time.monotonic() < deadline, "no temporaries appeared"
        time.sleep(0.02)
    time.sleep(0.3)  # some chunks written: the temporaries hold data


@pytest.mark.parametrize(
    ("signum", "status", "words"),
    [
        (signal.SIGTERM, 143, "mlpay score: terminated (SIGTERM)"),
        (signal.SIGINT, 130, "mlpay score: interrupted"),
    ],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signalled_score_removes_its_temporaries(big_input, tmp_path, signum, status, words):
    output = tmp_path / "scored.csv"
    process = _start_score(big_input, output)
    _wait_for_temporaries(process, tmp_path)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    message = err.decode()
    assert process.returncode == status, message
    assert message.strip().splitlines() == [words]
    assert _temporaries(tmp_path) == []
    assert not output.exists() and not (tmp_path / "scored.rejects.csv").exists()


def test_a_second_sigterm_during_the_clean_up_changes_nothing(big_input, tmp_path):
    output = tmp_path / "scored.csv"
    process = _start_score(big_input, output)
    _wait_for_temporaries(process, tmp_path)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err.decode()
    assert _temporaries(tmp_path) == []


def test_after_sigkill_the_next_run_removes_the_stale_temporaries(big_input, tmp_path):
    output = tmp_path / "scored.csv"
    process = _start_score(big_input, output)
    _wait_for_temporaries(process, tmp_path)
    process.kill()
    process.communicate(timeout=60)
    stale = _temporaries(tmp_path)
    assert len(stale) == 2  # SIGKILL: nothing could clean up
    long_ago = time.time() - 3600
    for path in stale:
        os.utime(path, (long_ago, long_ago))

    small = tmp_path / "small.csv"
    small.write_text("role,country\nml_engineer,US\n")
    done = subprocess.run(
        [sys.executable, "-m", "mlpay_model", "score", str(small), "-o", str(output)],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert _temporaries(tmp_path) == []
    assert output.is_file()


def _old(path: Path) -> Path:
    path.write_text("x")
    long_ago = time.time() - 3600
    os.utime(path, (long_ago, long_ago))
    return path


@pytest.mark.parametrize(
    ("name", "removed"),
    [
        (".scored.csv.abcd1234.tmp", True),  # the AtomicFile pattern, old, unlocked
        (".scored.csv.abcd_234.tmp", True),
        (".scored.csv.notours.tmp", False),  # not 8 random characters
        (".scored.csv.abcd1234.tmp.keep", False),
        (".scored.csv.abcd1234", False),
        (".other.csv.abcd1234.tmp", False),  # another target's
        ("scored.csv.abcd1234.tmp", False),  # not hidden
        (".scored.csv.ABCD1234.tmp", False),  # mkstemp never uses capitals
    ],
)
def test_only_clearly_stale_temporaries_of_the_target_are_removed(tmp_path, name, removed):
    path = _old(tmp_path / name)
    assert (remove_stale_temporaries(tmp_path / "scored.csv") == [path]) is removed
    assert path.exists() is not removed


def test_a_young_or_locked_temporary_is_kept(tmp_path):
    young = tmp_path / ".scored.csv.young123.tmp"
    young.write_text("x")
    locked = _old(tmp_path / ".scored.csv.locked12.tmp")
    handle = os.open(locked, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a live writer
        assert remove_stale_temporaries(tmp_path / "scored.csv") == []
    finally:
        os.close(handle)
    assert young.exists() and locked.exists()
    assert remove_stale_temporaries(tmp_path / "scored.csv") == [locked]


def test_a_live_atomic_file_is_never_taken_for_a_stale_one(tmp_path):
    live = AtomicFile(tmp_path / "scored.csv")
    long_ago = time.time() - 3600
    os.utime(live.temp, (long_ago, long_ago))
    assert remove_stale_temporaries(tmp_path / "scored.csv") == []
    second = AtomicFile(tmp_path / "scored.csv")  # a concurrent writer of the same target
    assert live.temp.exists()
    live.discard()
    second.discard()
    assert _temporaries(tmp_path) == []
