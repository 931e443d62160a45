"""`mlpay compare`: the pay premium of one role over others, for the same people."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlpay_model._format import money, percent
from mlpay_model.cli.report import DEFAULT_REFITS, MIN_REFITS

if TYPE_CHECKING:
    from mlpay_model.compare import RoleComparison

DESCRIPTION = """\
Compare the pay of ROLE with each --vs role, holding everything else fixed.

The reference population is the model's training rows that match the filters (rebuilt from
the model's training config and the data in MLPAY_DATA_DIR; at most 5,000 people, sampled
with a fixed seed). Each person's pay is predicted as ROLE and as the other role with
everything else unchanged; the premium is the median of the per-person ratios minus one.
The job title changes with the role: each person is titled as the role (its usual title,
e.g. "Machine Learning Engineer"), keeping the rank words of their own title ("Senior ...").

Its 90% interval covers the model's own uncertainty and the people: the model's median booster
is refitted --refits times (default 20) on grouped bootstrap resamples of its training rows,
the premium recomputed under each refit, and that spread joined with a bootstrap over people
(1,000 resamples, seeded). Refits are fitted once per model and data (about 1.4 s of CPU
each for the default, as many at once as there are cores; under a second for a single-source
model) and cached as LightGBM text models in $MLPAY_CACHE_DIR (default ~/.cache/mlpay; "off"
to not cache).
The people-only interval (model fixed; it can be almost zero wide) is printed beside it, named
so; --refits 0 gives it alone. Beside them: the raw median observed pay of each role within the
filters (a Kaggle pay band counts as its geometric midpoint), which does not hold anything
fixed. Every figure is of the model's pay concept: base salary (aijobs), total compensation
(Stack Overflow) or a yearly compensation band (Kaggle).

A model of several sources (the pooled default) is compared within each source's people in
turn, each in its own pay concept (--population picks one): one premium over all of them would
mix base salary, total compensation and pay bands.

--years N keeps people with N-2 to N+2 years of experience. A role the model folds into
__other__, or with fewer than 30 training rows within the filters, is shown as a flagged
row ("not compared: ...", status in --json) instead of a premium.

Roles are job titles as you would type them ("Machine Learning Engineer", "Data
Scientist") or role families (ml_engineer, data_scientist).
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="controlled pay premium of one role over others (are ML engineers paid more?)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--role", required=True, help="the role whose premium is measured")
    parser.add_argument(
        "--vs",
        action="append",
        required=True,
        metavar="ROLE",
        help="a role to compare against (repeat for several)",
    )
    parser.add_argument("--country", help="only people living in this country (name or code)")
    parser.add_argument(
        "--years", type=float, metavar="N", help="only people with N-2 to N+2 years of experience"
    )
    parser.add_argument("--education", help="only people with this highest education")
    parser.add_argument(
        "--seniority", help="only people at this level: entry, mid, senior, executive (aijobs)"
    )
    parser.add_argument(
        "--population",
        help="only the people of this source (a model of several sources; default: each in turn)",
    )
    parser.add_argument(
        "--model", default="default", help="shipped model name or model folder (default: default)"
    )
    parser.add_argument(
        "--refits",
        type=int,
        default=None,
        metavar="N",
        help=f"model refits for the interval (default: {DEFAULT_REFITS}; at least {MIN_REFITS}; "
        "0: people-only interval)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list, one per --vs (ci: model + people; ci_people: people only)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mlpay_model.compare import (
        compare_roles,
        load_reference,
        model_refits,
        parse_filters,
        resolve_roles,
    )
    from mlpay_model.errors import InvalidInputError
    from mlpay_model.model import load_model

    refits = DEFAULT_REFITS if args.refits is None else args.refits
    if refits != 0 and refits < MIN_REFITS:
        raise InvalidInputError(
            "refits", refits, f"must be 0 (people-only interval) or at least {MIN_REFITS}"
        )
    role, versus = resolve_roles(args.role, args.vs)
    filters = parse_filters(
        country=args.country,
        years=args.years,
        education=args.education,
        seniority=args.seniority,
        population=args.population,
    )
    model = load_model(args.model)
    reference = load_reference(model.manifest)
    for line in reference.mismatches():
        print(f"mlpay compare: warning: {line}", file=sys.stderr)
    fitted = None
    if refits:
        fitted = model_refits(
            model, reference.profiles, refits=refits, progress=_progress(refits, args.json)
        )
    results = compare_roles(model, reference.profiles, role, versus, filters, refits=fitted)
    if args.json:
        print(json.dumps([result.to_dict() for result in results], ensure_ascii=False))
    else:
        print(render(results, filters.describe()))
    return 0


def _progress(refits: int, quiet: bool) -> Any:
    """Say once, on stderr, that the refits are being fitted (not when read from the cache)."""
    said: list[bool] = []

    def progress(_stage: str) -> None:
        if not said and not quiet and sys.stderr.isatty():
            print(
                f"mlpay compare: fitting {refits} model refits (once per model and data; "
                "cached)...",
                file=sys.stderr,
            )
        said.append(True)

    return progress


def interval_text(result: RoleComparison) -> str:
    """The 90% interval(s) in words; never an interval of zero width."""
    parts = []
    if result.interval == "model + people" and result.ci is not None:
        low, high = result.ci
        parts.append(f"90% interval, model + people: {percent(low)} to {percent(high)}")
    if result.ci_people is not None:
        low, high = result.ci_people
        if percent(low) == percent(high):
            parts.append(
                "over people only (model fixed): no spread"
                + ("" if parts else "; this is not the model's uncertainty (use --refits)")
            )
        else:
            parts.append(f"over people only: {percent(low)} to {percent(high)}")
    return "; ".join(parts)


def render(results: Sequence[RoleComparison], filters: str) -> str:
    """The comparison as a few lines of plain text; a model of several sources: one block per
    source population, each in its own pay."""
    blocks: dict[str | None, list[RoleComparison]] = {}
    for result in results:
        blocks.setdefault(result.population, []).append(result)
    first = results[0]
    model = f"model {first.model} (version {first.model_version})"
    if len(blocks) == 1:
        return "\n".join([f"{model}; {_block_header(first, filters)}", *_block(results)])
    lines = [f"{model}: each source's people in turn, in its own pay (--population picks one)"]
    for block in blocks.values():
        label = _population_label(block[0].population)
        lines += ["", f"== {label}: {_block_header(block[0], filters)}", *_block(block)]
    return "\n".join(lines)


def _population_label(population: str | None) -> str:
    from mlpay_model.data.sources.registry import find_source

    entry = find_source(population or "")
    return entry.label if entry is not None else str(population)


def _block_header(result: RoleComparison, filters: str) -> str:
    return (
        f"pay: {result.pay_concept}; filters: {filters}; {result.n_matching:,} training rows match"
    )


def _block(results: Sequence[RoleComparison]) -> list[str]:
    """The lines of one population's comparisons (after its header line)."""
    first = results[0]
    lines = []
    people = next((r.n for r in results if r.status == "ok"), 0)
    if people:
        sampled = (
            f" (sampled with a fixed seed from the {first.n_matching:,})"
            if people < first.n_matching
            else ""
        )
        lines.append(
            f"premium = median over {people:,} people{sampled} of "
            f"predicted {first.pay_concept} as the role / as the other role, minus 1"
        )
        refits = next((r.refits for r in results if r.status == "ok"), 0)
        if refits:
            lines.append(
                f"90% interval: the model refitted {refits} times on bootstrap resamples of its "
                "training rows, and the people resampled"
            )
        else:
            lines.append(
                "90% interval over people only: resamples the people, model fixed (not the "
                "model's own uncertainty)"
            )
    for result in results:
        lines.append("")
        heading = f"{result.role} vs {result.vs}: "
        if result.premium is not None and result.ci is not None:
            heading += f"{percent(result.premium)} ({interval_text(result)})"
        else:
            heading += f"not compared: {result.note}"
        lines.append(heading)
        if result.status == "not_in_data":
            continue
        lines.append(
            f"  raw median {first.pay_concept}: {result.role} {money(result.raw_median_role)} "
            f"({result.n_role:,} rows), {result.vs} {money(result.raw_median_vs)} "
            f"({result.n_vs:,} rows)"
        )
    return lines
