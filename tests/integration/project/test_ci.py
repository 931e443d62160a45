"""CI runs the README's two set-up commands exactly as the README writes them (issue 23): a
newcomer who copies them gets what CI tested, with nothing exported before them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CI = ROOT / ".ci" / "run"


def readme_commands() -> list[str]:
    """The lines of the first ```bash block under "## Set up"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text[text.index("## Set up") :]
    block = re.search(r"```bash\n(.*?)```", setup, re.DOTALL)
    assert block is not None, "README: no ```bash block under '## Set up'"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_gives_two_commands_and_the_tests_read_a_relative_data_dir():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[1].startswith('MLPAY_DATA_DIR="${MLPAY_DATA_DIR:-../shared/data}" ')


def test_ci_runs_the_readme_commands_verbatim_in_order():
    lines = CI.read_text(encoding="utf-8").splitlines()
    positions = []
    for command in readme_commands():
        assert command in lines, f".ci/run does not run the README's command as written: {command}"
        positions.append(lines.index(command))
    assert positions == sorted(positions)


def test_ci_sets_no_data_dir_of_its_own_before_the_readme_commands():
    lines = CI.read_text(encoding="utf-8").splitlines()
    tests_command = lines.index(readme_commands()[1])
    for number, line in enumerate(lines[:tests_command], start=1):
        code = line.split("#", 1)[0]
        assert "MLPAY_DATA_DIR" not in code, f".ci/run line {number} sets it: {line}"
