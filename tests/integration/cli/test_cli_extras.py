"""A command that needs an extra which is not installed says which one and how to install it.

Each case runs `mlpay` in a fresh interpreter with one module blocked (`sys.modules[name] =
None`, which makes `import name` fail as if it were not installed) and expects one line on
stderr, exit code 2 and no traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlpay_model.cli import EXTRA_OF_MODULE, missing_extra_message

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "examples" / "profiles.csv"


def mlpay_without(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None\n"
        "from mlpay_model.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("module", "command", "extra"),
    [
        ("pydantic", ["train", "--config", str(ROOT / "configs" / "aijobs.yaml")], "train"),
        ("sklearn", ["train", "--config", str(ROOT / "configs" / "aijobs.yaml")], "train"),
        ("jinja2", ["report", "-o", "report.html"], "train"),
        ("dask", ["score", str(EXAMPLE), "-o", "scored.parquet", "--engine", "dask"], "dask"),
    ],
)
@pytest.mark.slow  # a fresh interpreter per case, 1-3 s at load 5
def test_a_command_without_its_extra_names_it_in_one_line(
    module: str, command: list[str], extra: str, tmp_path: Path
) -> None:
    done = mlpay_without(module, *command, cwd=tmp_path)

    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0] == (
        f"mlpay {command[0]}: error: this needs the optional extra '{extra}' ({module} is not "
        f"installed); install it with: pip install 'mlpay[{extra}]'"
    )
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_every_optional_dependency_maps_to_an_extra_of_pyproject() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRA_OF_MODULE.values()) <= set(extras)


def test_a_missing_module_outside_the_extras_is_not_explained_away() -> None:
    assert missing_extra_message(ModuleNotFoundError("x", name="numpy")) is None
    error = ModuleNotFoundError("No module named 'mlflow.pyfunc'", name="mlflow.pyfunc")
    assert "pip install 'mlpay[train]'" in (missing_extra_message(error) or "")
