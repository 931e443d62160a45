"""The README is the entry, and its numbers cannot go stale (issue 23 item 5, issue 22 item 6).

Its tables are the benchmark results' own (`benchmarks/results/out_of_time.md`'s summary,
`benchmarks/results/behaviour.md`'s table) and its command outputs are what the commands print
today with the shipped default model: `benchmarks/readme_tables.py` writes them between
`<!-- NAME:start -->` / `<!-- NAME:end -->` markers, and these tests fail while they differ.
Every relative link of the README and docs/ resolves, to a file and to a heading.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))  # a script folder, not a package

import readme_tables  # noqa: E402

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
FIX = "run `.venv/bin/python benchmarks/readme_tables.py`"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_the_readme_is_an_entry_of_about_200_lines():
    text = readme()
    assert len(text.splitlines()) <= 250, "README.md: move details to docs/ (<= ~250 lines)"
    for heading in ("## Set up", "## Five minutes of use", "## Layout", "## Documentation"):
        assert f"\n{heading}" in text, heading
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in text, f"README.md does not link docs/{page.name}"


@pytest.mark.parametrize("name", list(readme_tables.BLOCKS))
def test_a_readme_table_is_the_results_files_table(name):
    path, heading = readme_tables.BLOCKS[name]
    assert readme_tables.readme_block(readme(), name) == readme_tables.result_table(name), (
        f"README.md's {name} table differs from {path} ({heading!r}): {FIX}"
    )


def test_the_first_command_in_the_readme_is_the_one_whose_output_it_shows():
    setup = readme().split("## Set up", 1)[1]
    first = re.search(r"```bash\n(.*?)\n", setup).group(1)
    assert first.endswith(f".venv/bin/mlpay {readme_tables.PREDICT_ARGS}")
    assert readme_tables.SCORE_COMMAND in readme()


@pytest.mark.parametrize("name", readme_tables.COMMANDS)
def test_a_command_output_in_the_readme_is_what_the_command_prints_today(name):
    assert readme_tables.readme_block(readme(), name) == readme_tables.command_block(name), (
        f"README.md's {name} output differs from what the command prints now: {FIX}"
    )


def test_writing_the_blocks_changes_nothing_outside_them(monkeypatch):
    monkeypatch.setattr(readme_tables, "command_block", lambda name, root=ROOT: f"<{name}>")
    names = (*readme_tables.COMMANDS, *readme_tables.BLOCKS)

    def outside(text: str) -> str:
        for name in names:
            start, end = readme_tables.markers(name)
            text = re.sub(f"{re.escape(start)}.*?{re.escape(end)}", name, text, flags=re.S)
        return text

    filled = readme_tables.with_tables(readme())
    assert outside(filled) == outside(readme())
    assert [readme_tables.readme_block(filled, name) for name in readme_tables.COMMANDS] == [
        f"<{name}>" for name in readme_tables.COMMANDS
    ]
    assert readme_tables.with_tables(filled) == filled


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_relative_link_resolves_to_a_file_and_heading(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: link to {target}: no such file"
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), f"{page.name}: link to {target}: no such heading"
