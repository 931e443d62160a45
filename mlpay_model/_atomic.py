"""Writing files and folders so that a reader sees the old one or the new one, never half.

Every write goes to a temporary name beside the target, `.<target name>.<random>` in the same
folder (so the final rename never crosses file systems), and is renamed over the target with
`os.replace` only once it is complete. On any failure, Ctrl-C included, the temporary is
removed and the target is left as it was. Temporaries are created private (0600 / 0700); a
committed file gets the permissions a new file gets under the umask.

A temporary file is locked (`flock`) by the process writing it for as long as it exists, so
one left by a killed process (SIGKILL, a power cut: no clean-up runs) is recognisable: the
next AtomicFile for the same target removes the temporaries `.<target name>.<8 random
characters>.tmp` beside it that belong to this user, are older than STALE_AFTER_SECONDS and
whose lock nobody holds (`remove_stale_temporaries`). Temporary folders are locked the same
way and a new one beside a target first removes the stale ones a killed process left there
(`remove_stale_folders`: `.<target name>.<8 random characters>` folders, or `.<target
name>.old.<8>` ones holding a replaced target while the target itself exists, private (0700),
this user's, older than STALE_AFTER_SECONDS and unlocked). Nothing else is ever removed.

    AtomicFile(target)            a temporary file beside `target`; `commit()` or `discard()`
                                  (for writers that stream into `.temp` chunk by chunk)
    atomic_file(target)           the same as a context manager yielding the temporary path
    write_text(target, text)      one whole text file (UTF-8)
    staging_folder(target, tag)   a temporary folder beside `target`, removed if the block
                                  fails (the caller renames it into place)
    locked_folder(target, tag)    a temporary folder beside `target`, locked while the block
                                  runs and otherwise left to the caller
    usual_mode(folder=...)        the permissions of a new file or folder under the umask
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from mlpay_model.errors import DataError

try:
    import fcntl
except ImportError:  # Windows: no flock, so stale temporaries are never guessed at
    fcntl = None  # type: ignore[assignment]

STALE_AFTER_SECONDS: Final = 10.0
"""A temporary younger than this is never removed by `remove_stale_temporaries` (it may be
between its creation and its lock)."""


def temporary_prefix(target: Path, tag: str = "") -> str:
    """The name every temporary beside `target` starts with: `.<name>.<tag>`."""
    return f".{Path(target).name}.{tag}"


class AtomicFile:
    """A temporary file beside `target`, renamed over it by `commit` or removed by `discard`.

    The target's folder must exist (a DataError names it otherwise).
    """

    def __init__(self, target: Path):
        self.target = Path(target)
        if not self.target.parent.is_dir():
            raise DataError(f"{self.target}: the folder {self.target.parent} does not exist")
        remove_stale_temporaries(self.target)
        try:
            handle, name = tempfile.mkstemp(
                prefix=temporary_prefix(self.target), suffix=".tmp", dir=self.target.parent
            )
        except OSError as error:
            raise DataError(
                f"{self.target}: cannot create a file in {self.target.parent} "
                f"({error.strerror or error})"
            ) from None
        self._handle: int | None = handle
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.temp = Path(name)

    def commit(self) -> None:
        """Flush the temporary to disk, give it the usual permissions and rename it over the
        target."""
        try:
            with open(self.temp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.chmod(self.temp, usual_mode(folder=False))
            os.replace(self.temp, self.target)
        except OSError as error:
            raise DataError(
                f"{self.target}: cannot be written ({error.strerror or error})"
            ) from None
        self._release()
        _fsync_folder(self.target.parent)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            os.close(handle)  # closing releases the lock


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files a killed mlpay left beside `target` (see the module
    docstring for which ones) and return them. Without flock (Windows) it removes none."""
    target = Path(target)
    pattern = re.compile(re.escape(temporary_prefix(target)) + r"[a-z0-9_]{8}\.tmp")
    return _remove_stale(target, pattern, folders=False)


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target` to write; it replaces `target` when the block
    succeeds and is removed when it fails."""
    file = AtomicFile(target)
    try:
        yield file.temp
        file.commit()
    except BaseException:
        file.discard()
        raise


def write_text(target: Path, text: str) -> None:
    """Write `text` (UTF-8) to `target` atomically; the target's folder must exist."""
    with atomic_file(target) as temporary:
        temporary.write_text(text, encoding="utf-8")


RETIRED_TAG: Final = "old."
"""The tag of the folder a replaced target is moved into until the new one is in place."""


def remove_stale_folders(target: Path) -> list[Path]:
    """Remove the temporary folders a killed mlpay left beside `target` (see the module
    docstring for which ones) and return them. Without flock (Windows) it removes none."""
    target = Path(target)
    prefix = re.escape(temporary_prefix(target))
    pattern = re.compile(prefix + r"(?P<retired>" + re.escape(RETIRED_TAG) + r")?[a-z0-9_]{8}")
    return _remove_stale(target, pattern, folders=True)


def _remove_stale(target: Path, pattern: re.Pattern[str], *, folders: bool) -> list[Path]:
    """Remove the entries beside `target` whose names match `pattern` and that are clearly
    a dead mlpay's: ours, old, of the right kind (a private folder or a plain file) and
    unlocked. A retired folder (the `retired` group) is kept while `target` is missing: a run
    killed mid-swap may have left the only copy in it."""
    if fcntl is None:
        return []
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    now = time.time()
    kind_flag = os.O_DIRECTORY if folders else 0
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        if match.groupdict().get("retired") and not target.exists():
            continue
        try:
            status = entry.stat(follow_symlinks=False)
            right_kind = (
                entry.is_dir(follow_symlinks=False) and status.st_mode & 0o777 == 0o700
                if folders
                else entry.is_file(follow_symlinks=False)
            )
            if (
                not right_kind
                or status.st_uid != os.geteuid()
                or now - status.st_mtime < STALE_AFTER_SECONDS
            ):
                continue
            handle = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | kind_flag)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live writer holds it
            os.close(handle)
            continue
        try:
            if folders:
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
        finally:
            os.close(handle)
    return removed


@contextmanager
def locked_folder(target: Path, tag: str = "") -> Iterator[Path]:
    """Yield a new private folder beside `target` (`.<name>.<tag><random>`), locked while the
    block runs (so that `remove_stale_folders` leaves it alone) and not removed by it.
    Stale temporary folders beside `target` are removed first."""
    target = Path(target)
    remove_stale_folders(target)
    folder = Path(tempfile.mkdtemp(prefix=temporary_prefix(target, tag), dir=target.parent))
    handle: int | None = None
    if fcntl is not None:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        yield folder
    finally:
        if handle is not None:
            os.close(handle)  # closing releases the lock (it follows the folder when renamed)


@contextmanager
def staging_folder(target: Path, tag: str = "") -> Iterator[Path]:
    """Yield a new private folder beside `target` (`.<name>.<tag><random>`) to fill and then
    rename into place; it is removed, with whatever it holds, when the block fails. It is
    locked while the block runs; stale ones beside `target` are removed first."""
    with locked_folder(target, tag) as folder:
        try:
            yield folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise


def usual_mode(*, folder: bool) -> int:
    """The permissions a new file or folder gets under the current umask (temporary files
    and folders are created private)."""
    current = os.umask(0)
    os.umask(current)
    return (0o777 if folder else 0o666) & ~current


def _fsync_folder(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # some systems cannot open a folder; the rename is still done
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
