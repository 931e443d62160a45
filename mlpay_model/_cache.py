"""The user's cache folder: what mlpay can rebuild (model refits), never a model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

CACHE_VARIABLE: Final = "MLPAY_CACHE_DIR"


def cache_dir() -> Path | None:
    """$MLPAY_CACHE_DIR, else $XDG_CACHE_HOME/mlpay, else ~/.cache/mlpay; None when
    $MLPAY_CACHE_DIR is "off" (or empty, "0", "none")."""
    value = os.environ.get(CACHE_VARIABLE)
    if value is not None:
        if value.strip().lower() in ("", "off", "0", "none"):
            return None
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "mlpay"


def is_inside(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or below it (both resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True
