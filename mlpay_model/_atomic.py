"""Writing files and folders so that a reader sees the old one or the new one, never half.

Every write goes to a temporary name beside the target, `.<target name>.<random>` in the same
folder (so the final rename never crosses file systems), and is renamed over the target with
`os.replace` only once it is complete. On any failure, Ctrl-C included, the temporary is
removed and the target is left as it was. Temporaries are created private (0600 / 0700); a
committed file gets the permissions a new file gets under the umask.

    AtomicFile(target)            a temporary file beside `target`; `commit()` or `discard()`
                                  (for writers that stream into `.temp` chunk by chunk)
    atomic_file(target)           the same as a context manager yielding the temporary path
    write_text(target, text)      one whole text file (UTF-8)
    staging_folder(target, tag)   a temporary folder beside `target`, removed if the block
                                  fails (the caller renames it into place)
    usual_mode(folder=...)        the permissions of a new file or folder under the umask
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlpay_model.errors import DataError


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
        handle, name = tempfile.mkstemp(
            prefix=temporary_prefix(self.target), suffix=".tmp", dir=self.target.parent
        )
        os.close(handle)
        self.temp = Path(name)

    def commit(self) -> None:
        """Flush the temporary to disk, give it the usual permissions and rename it over the
        target."""
        with open(self.temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(self.temp, usual_mode(folder=False))
        os.replace(self.temp, self.target)
        _fsync_folder(self.target.parent)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


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


@contextmanager
def staging_folder(target: Path, tag: str = "") -> Iterator[Path]:
    """Yield a new private folder beside `target` (`.<name>.<tag><random>`) to fill and then
    rename into place; it is removed, with whatever it holds, when the block fails."""
    target = Path(target)
    folder = Path(tempfile.mkdtemp(prefix=temporary_prefix(target, tag), dir=target.parent))
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
