"""Write the README's numbers from the commands that make them, so they cannot go stale
(issue 22 item 6; `tests/integration/project/test_readme.py` checks them).

    .venv/bin/python benchmarks/readme_tables.py           # rewrite the README's blocks
    .venv/bin/python benchmarks/readme_tables.py --check   # exit 1 when the README differs

Each block sits in README.md between `<!-- NAME:start -->` and `<!-- NAME:end -->`. Tables are
the first Markdown table under a heading of a results file (run the benchmark first):

    out_of_time   benchmarks/results/out_of_time.md, "## Summary (the README's table)"
                  (written by `python benchmarks/bench_out_of_time.py`)
    behaviour     benchmarks/results/behaviour.md, "# Behaviour suite"
                  (written by `python benchmarks/bench_behaviour.py`)

Command outputs are run here, with the shipped default model:

    predict       the output of the README's first command (`mlpay predict` of PREDICT_ARGS)
    score         the summary line of `mlpay score examples/profiles.csv -o scored.csv`
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
README: Final = REPO_ROOT / "README.md"
BLOCKS: Final[dict[str, tuple[str, str]]] = {
    "out_of_time": ("benchmarks/results/out_of_time.md", "## Summary (the README's table)"),
    "behaviour": ("benchmarks/results/behaviour.md", "# Behaviour suite"),
}
COMMANDS: Final = ("predict", "score")
PREDICT_ARGS: Final = (
    'predict --role "Machine Learning Engineer" --country DE --years 5 --education master '
    "--skills python,pytorch"
)
"""The README's first command's `mlpay` arguments, as written there."""
PREDICT_ARGV: Final = shlex.split(PREDICT_ARGS)
SCORE_COMMAND: Final = "mlpay score examples/profiles.csv -o scored.csv"


def mlpay(argv: list[str], cwd: Path) -> str:
    """The standard output of `mlpay ARGV` run in CWD by this Python (exit 0 or 1)."""
    done = subprocess.run(
        [sys.executable, "-m", "mlpay_model", *argv],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise RuntimeError(f"mlpay {' '.join(argv)}: exit {done.returncode}: {done.stderr}")
    return done.stdout


def command_block(name: str, root: Path = REPO_ROOT) -> str:
    """A command's output as the README shows it, run now."""
    if name == "predict":
        return f"```\n{mlpay(PREDICT_ARGV, root).rstrip()}\n```"
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "examples").mkdir()
        shutil.copy(root / "examples" / "profiles.csv", work / "examples" / "profiles.csv")
        summary = mlpay(SCORE_COMMAND.split()[1:], work).strip()
    return f"```bash\n{SCORE_COMMAND}\n# {summary}\n```"


def block(name: str, root: Path = REPO_ROOT) -> str:
    return command_block(name, root) if name in COMMANDS else result_table(name, root)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def result_table(name: str, root: Path = REPO_ROOT) -> str:
    """The first Markdown table under the block's heading in its results file."""
    path, heading = BLOCKS[name]
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(heading)]
    if not starts:
        raise ValueError(f"{path}: no heading {heading!r}")
    table: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if line.startswith("|"):
            table.append(line)
        elif table or line.startswith("#"):
            break
    if not table:
        raise ValueError(f"{path}: no table under {heading!r}")
    return "\n".join(table)


def readme_block(text: str, name: str) -> str:
    """The text between the block's markers in the README (without surrounding blank lines)."""
    start, end = markers(name)
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"README.md: needs one {start} before one {end}")
    return text[text.index(start) + len(start) : text.index(end)].strip("\n")


def with_tables(text: str, root: Path = REPO_ROOT) -> str:
    """The README text with every block replaced by what its command or results file says."""
    for name in (*COMMANDS, *BLOCKS):
        start, end = markers(name)
        readme_block(text, name)  # the markers are there, once, in order
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = f"{before}{start}\n{block(name, root)}\n{end}{after}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether README differs")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = with_tables(text)
    if args.check:
        if new != text:
            print("README.md: tables differ from benchmarks/results (run without --check)")
            return 1
        print("README.md: tables match benchmarks/results")
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: tables updated from benchmarks/results")
    else:
        print("README.md: tables already match benchmarks/results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
