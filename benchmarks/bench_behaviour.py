"""The behaviour suite as a benchmark (issue 22 step 1): today's violations, per property.

    .venv/bin/python benchmarks/bench_behaviour.py [--model default] \
        [--output benchmarks/results/behaviour.md] [--examples 5]

Runs every property of `behaviour_suite.py` (CheckList-style: minimum-functionality,
invariance and directional checks over 4 role families x 5 countries x 3 experience levels x
2 degrees) on the model given by name or folder, prints a table (property, people checked,
people breaking, violations, worst case) and the worst examples of each, and writes the same
as Markdown. A few seconds on the shipped default; no data needed (only the model).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # a script folder, not a package

import behaviour_suite as suite

from mlpay_model import SalaryModel

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "behaviour.md"


def _cell(text: str) -> str:
    return text.replace("|", "/")


def table(outcomes: list[suite.Outcome]) -> str:
    lines = [
        "| property | people checked | people breaking | violations | worst case |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for outcome in outcomes:
        worst = outcome.worst
        lines.append(
            f"| `{outcome.name}` | {outcome.checked} | {outcome.breaking} | "
            f"{len(outcome.violations)} | {_cell(str(worst)) if worst else '-'} |"
        )
    return "\n".join(lines)


def examples(outcomes: list[suite.Outcome], limit: int) -> str:
    blocks = []
    for outcome in outcomes:
        if outcome.violations:
            blocks.append("```\n" + outcome.report(limit) + "\n```")
    return "\n\n".join(blocks)


def markdown(
    asked: str, model: SalaryModel, outcomes: list[suite.Outcome], seconds: float, limit: int
) -> str:
    properties = "\n".join(
        f"- `{name}`: {' '.join((check.__doc__ or '').split())}"
        for name, check in suite.PROPERTIES.items()
    )
    tolerances = "\n".join(
        f"- `{name}` = {getattr(suite, name)}"
        for name in (
            "SKILL_TOLERANCE",
            "UNKNOWN_SKILL_TOLERANCE",
            "EDUCATION_TOLERANCE",
            "TITLE_TOLERANCE",
            "YEARS_TOLERANCE",
            "MIX_TOLERANCE",
            "ADDS_UP_TOLERANCE",
            "SHOWN_PERCENT",
        )
    )
    return f"""# Behaviour suite (issue 22)

Written by `.venv/bin/python benchmarks/bench_behaviour.py --model {asked}` (model
{model.name} {model.version}; {seconds:.1f} s on a shared 2-core machine).

Each property is one check over a grid of people: {len(suite.ROLE_TITLES)} role families
({", ".join(suite.ROLE_TITLES.values())}) x {len(suite.COUNTRIES)} countries
({", ".join(suite.COUNTRIES)}) x years {", ".join(map(str, suite.YEARS))} x degrees
{", ".join(suite.DEGREES)}, or the part of it a property needs, asked through `predict_salary`
as a user asks. A person breaks a property when any of their comparisons does (violations
counts the comparisons). The same checks run as tests in `tests/behaviour/`
(`MLPAY_BEHAVIOUR_MODEL=<name or folder>` picks the model).

{table(outcomes)}

## Properties

{properties}

Tolerances (reasons in `benchmarks/behaviour_suite.py`):

{tolerances}

## Worst examples

{examples(outcomes, limit)}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default", help="model name or folder (default)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--examples", type=int, default=5, help="worst cases shown per property")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    model = suite.resolve(args.model)
    outcomes = [check(model) for check in suite.PROPERTIES.values()]
    seconds = time.perf_counter() - started
    print(table(outcomes))
    print()
    print(examples(outcomes, args.examples).replace("```\n", "").replace("\n```", ""))
    print(f"\n{seconds:.1f} s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        markdown(args.model, model, outcomes, seconds, args.examples), encoding="utf-8"
    )
    print(f"written {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
