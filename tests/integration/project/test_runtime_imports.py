"""The runtime stands without the training pipeline.

`mlpay_model` never imports `training` (only the commands that train and report do), and
rebuilding a model's training rows (`load_reference`, what `mlpay compare` runs) works on a
runtime-only install: no pydantic, scikit-learn or mlflow.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
MAY_IMPORT_TRAINING = {
    REPO / "mlpay_model" / "cli" / "train.py",
    REPO / "mlpay_model" / "cli" / "report.py",
}
TRAINING_ONLY = ("pydantic", "sklearn", "mlflow", "training", "matplotlib")

BLOCKER = """
import importlib.abc, sys

BLOCKED = {blocked!r}


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is blocked: a runtime-only install")
        return None


sys.meta_path.insert(0, Blocker())
"""


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in `path`, at any depth (function bodies included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_the_runtime_never_imports_the_training_package():
    offenders = [
        f"{path.relative_to(REPO)}:{line}: {module}"
        for path in sorted((REPO / "mlpay_model").rglob("*.py"))
        if path not in MAY_IMPORT_TRAINING
        for line, module in imported_modules(path)
        if module == "training" or module.startswith("training.")
    ]
    assert not offenders, offenders


def run_blocked(code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where TRAINING_ONLY packages cannot be imported (the
    program's global BLOCKED names them)."""
    program = BLOCKER.format(blocked=TRAINING_ONLY) + code
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        check=False,
        timeout=timeout,
    )


def test_the_blocker_blocks():
    done = run_blocked("import pydantic\n")
    assert done.returncode != 0 and "blocked" in done.stderr


def test_a_manifest_config_is_read_as_a_recipe_without_pydantic():
    done = run_blocked(
        "import json, sys\n"
        "from mlpay_model.data.recipe import DataRecipe\n"
        "for name in ('aijobs', 'kaggle', 'stackoverflow'):\n"
        "    manifest = json.load(open(f'models/{name}/manifest.json'))\n"
        "    recipe = DataRecipe.from_config(manifest['config'])\n"
        "    assert recipe.sources and recipe.features, name\n"
        "assert not any(m.split('.')[0] in BLOCKED for m in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.usefixtures("data_dir")
def test_load_reference_works_with_pydantic_sklearn_and_mlflow_blocked():
    done = run_blocked(
        "import json, sys\n"
        "from mlpay_model.compare import load_reference\n"
        "from mlpay_model.model import load_model\n"
        "model = load_model('aijobs')\n"
        "reference = load_reference(model.manifest)\n"
        "print(json.dumps({'rows': len(reference.profiles),\n"
        "    'kept': [item.rows_kept for item in reference.files],\n"
        "    'matches': [item.matches_model for item in reference.files],\n"
        "    'manifest_kept': [entry['rows_kept'] for entry in model.manifest['data']],\n"
        "    'blocked_loaded': sorted(m for m in sys.modules if m.split('.')[0] in BLOCKED)}))\n"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["matches"] == [True]
    assert result["kept"] == result["manifest_kept"]  # the same rows the model was trained on
    assert result["rows"] == sum(result["kept"])
    assert result["blocked_loaded"] == []


@pytest.mark.usefixtures("data_dir")
@pytest.mark.slow  # 20 refits of aijobs (the cache is cold without test_cli_compare)
def test_mlpay_compare_runs_on_a_runtime_only_install():
    done = run_blocked(
        "import sys\n"
        "from mlpay_model.cli import main\n"
        "sys.exit(main(['compare', '--role', 'Machine Learning Engineer', '--vs',\n"
        "    'Data Scientist', '--model', 'aijobs', '--country', 'DE']))\n"
    )
    assert done.returncode == 0, done.stderr
    assert "training extra" not in done.stderr
