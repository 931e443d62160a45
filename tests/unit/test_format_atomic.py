"""The one owner of number formatting (`mlpay_model._format`) and of atomic writes
(`mlpay_model._atomic`)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from mlpay_model._atomic import AtomicFile, atomic_file, staging_folder, write_text
from mlpay_model._format import (
    money,
    money_thousands,
    percent,
    percent_points,
    percent_tick,
)
from mlpay_model.errors import DataError


def test_money_to_the_unit_in_dollars_or_named_currency() -> None:
    assert money(123456.7) == "$123,457"
    assert money(950.0, "EUR") == "950 EUR"
    assert money(None) == "n/a" and money(math.nan) == "n/a"
    assert money_thousands(120_000.0) == "$120k"


def test_percent_signed_unsigned_and_typeset() -> None:
    assert percent(0.123) == "+12.3%" and percent(-0.04) == "-4.0%"
    assert percent(0.8, signed=False) == "80.0%"
    assert percent(-0.04, true_minus=True) == "\u22124.0%"
    assert percent(math.nan) == "n/a" and percent(None) == "n/a"
    assert percent_points(12.34) == "+12.3%"
    assert percent_tick(0.025) == "2.5%" and percent_tick(-0.075) == "\u22127.5%"


def _leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


def test_write_text_replaces_the_file_with_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path, error) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(error), atomic_file(target) as temporary:
        temporary.write_text("half", encoding="utf-8")
        assert temporary.parent == tmp_path and temporary.name.startswith(".out.csv.")
        raise error
    assert target.read_text(encoding="utf-8") == "old"
    assert _leftovers(tmp_path) == []


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        AtomicFile(tmp_path / "nowhere" / "out.csv")


def test_a_failed_staging_folder_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt), staging_folder(target) as folder:
        (folder / "median.txt").write_text("trees", encoding="utf-8")
        assert folder.name.startswith(".model.")
        raise KeyboardInterrupt
    assert _leftovers(tmp_path) == [] and not target.exists()
