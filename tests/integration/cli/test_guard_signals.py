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
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlpay_model._atomic import (
    AtomicFile,
    remove_stale_folders,
    remove_stale_temporaries,
    staging_folder,
)

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
@pytest.mark.slow
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


@pytest.mark.slow
def test_a_second_sigterm_during_the_clean_up_changes_nothing(big_input, tmp_path):
    output = tmp_path / "scored.csv"
    process = _start_score(big_input, output)
    _wait_for_temporaries(process, tmp_path)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err.decode()
    assert _temporaries(tmp_path) == []


@pytest.mark.slow
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


def _old_folder(path: Path, mode: int = 0o700) -> Path:
    path.mkdir()
    (path / "median.txt").write_text("trees")
    path.chmod(mode)
    long_ago = time.time() - 3600
    os.utime(path, (long_ago, long_ago))
    return path


def test_after_sigkill_the_next_staging_folder_removes_the_stale_one(tmp_path):
    target = tmp_path / "model"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from mlpay_model._atomic import staging_folder\n"
        "with staging_folder(Path(sys.argv[1])) as folder:\n"
        "    (folder / 'median.txt').write_text('trees')\n"
        "    print(folder, flush=True)\n"
        "    time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        left = Path(process.stdout.readline().strip())
        long_ago = time.time() - 3600
        os.utime(left, (long_ago, long_ago))
        assert remove_stale_folders(target) == []  # old, but its writer is alive (locked)
    finally:
        process.kill()
        process.communicate(timeout=60)
    assert left.is_dir()  # SIGKILL: nothing could clean up

    with staging_folder(target) as folder:
        assert not left.exists()
        os.replace(folder, target)
    assert sorted(os.listdir(tmp_path)) == ["model"]


@pytest.mark.parametrize(
    ("name", "mode", "removed"),
    [
        (".model.abcd1234", 0o700, True),  # staging_folder's pattern, old, unlocked
        (".model.ab_d1234", 0o700, True),
        (".model.old.abcd1234", 0o700, True),  # a replaced model (the target exists)
        (".model.abcd1234", 0o755, False),  # not created private: not a mkdtemp of ours
        (".model.notours", 0o700, False),  # not 8 random characters
        (".model.abcd1234.keep", 0o700, False),
        (".model.ABCD1234", 0o700, False),
        (".other.abcd1234", 0o700, False),  # another target's
        ("model.abcd1234", 0o700, False),  # not hidden
    ],
)
def test_only_clearly_stale_staging_folders_of_the_target_are_removed(
    tmp_path, name, mode, removed
):
    (tmp_path / "model").mkdir()
    path = _old_folder(tmp_path / name, mode)
    assert (remove_stale_folders(tmp_path / "model") == [path]) is removed
    assert path.exists() is not removed


def test_a_replaced_model_is_kept_while_the_target_is_missing(tmp_path):
    retired = _old_folder(tmp_path / ".model.old.abcd1234")  # killed between the two renames
    assert remove_stale_folders(tmp_path / "model") == []
    assert retired.exists()


def test_a_young_or_symlinked_staging_folder_is_kept(tmp_path):
    young = tmp_path / ".model.young123"
    young.mkdir(mode=0o700)
    elsewhere = _old_folder(tmp_path / "elsewhere")
    (tmp_path / ".model.link1234").symlink_to(elsewhere, target_is_directory=True)
    assert remove_stale_folders(tmp_path / "model") == []
    assert young.is_dir() and (elsewhere / "median.txt").exists()


def test_a_live_staging_folder_is_never_taken_for_a_stale_one(tmp_path):
    target = tmp_path / "model"
    with staging_folder(target) as live:
        long_ago = time.time() - 3600
        os.utime(live, (long_ago, long_ago))
        assert remove_stale_folders(target) == []
        with staging_folder(target) as second:  # a concurrent run for the same target
            assert live.is_dir() and second.is_dir()
            shutil.rmtree(second)
        shutil.rmtree(live)


def test_replacing_a_model_leaves_only_the_new_one(tmp_path):
    from training.export import install_artifact

    target = tmp_path / "out" / "model"
    for text in ("old", "new"):
        source = tmp_path / f"built-{text}"
        source.mkdir()
        (source / "median.txt").write_text(text)
        install_artifact(source, target)
    assert (target / "median.txt").read_text() == "new"
    assert sorted(os.listdir(target.parent)) == ["model"]
