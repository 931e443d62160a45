"""`mlpay compare`: the pay premium of one role over others, for the same people."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlpay_model._format import money, percent

if TYPE_CHECKING:
    from mlpay_model.compare import RoleComparison

DESCRIPTION = """\
Compare the pay of ROLE with each --vs role, holding everything else fixed.

The reference population is the model's training rows that match the filters (rebuilt from
the model's training config and the data in MLPAY_DATA_DIR; at most 5,000 people, sampled
with a fixed seed). Each person's pay is predicted as ROLE and as the other role with
everything else unchanged; the premium is the median of the per-person ratios minus one,
with a 90% bootstrap interval over people (1,000 resamples, seeded). That interval keeps the
fitted model fixed: it shows which people are in the data, not how well the data pins the
model down (it can be almost zero wide); `mlpay report` adds a model-refit interval for the
headline comparisons. Beside it: the raw
median observed pay of each role within the filters (a Kaggle pay band counts as its
geometric midpoint), which does not hold anything fixed.

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
        "--model", default="default", help="shipped model name or model folder (default: default)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list, one per --vs")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mlpay_model.compare import compare_roles, load_reference, parse_filters, resolve_roles
    from mlpay_model.model import load_model

    role, versus = resolve_roles(args.role, args.vs)
    filters = parse_filters(
        country=args.country,
        years=args.years,
        education=args.education,
        seniority=args.seniority,
    )
    model = load_model(args.model)
    reference = load_reference(model.manifest)
    for line in reference.mismatches():
        print(f"mlpay compare: warning: {line}", file=sys.stderr)
    results = compare_roles(model, reference.profiles, role, versus, filters)
    if args.json:
        print(json.dumps([result.to_dict() for result in results], ensure_ascii=False))
    else:
        print(render(results, filters.describe()))
    return 0


def render(results: Sequence[RoleComparison], filters: str) -> str:
    """The comparison as a few lines of plain text."""
    first = results[0]
    people = next((r.n for r in results if r.status == "ok"), 0)
    lines = [
        f"model {first.model} (version {first.model_version}); filters: {filters}; "
        f"{first.n_matching:,} training rows match",
    ]
    if people:
        sampled = (
            f" (sampled with a fixed seed from the {first.n_matching:,})"
            if people < first.n_matching
            else ""
        )
        lines.append(
            f"premium = median over {people:,} people{sampled} of "
            "predicted pay as the role / as the other role, minus 1"
        )
        lines.append(
            "90% interval over people: resamples the people, model fixed (not the model's own "
            "uncertainty; see mlpay report)"
        )
    for result in results:
        lines.append("")
        heading = f"{result.role} vs {result.vs}: "
        if result.premium is not None and result.ci is not None:
            low, high = result.ci
            heading += (
                f"{percent(result.premium)} "
                f"(90% interval over people {percent(low)} to {percent(high)})"
            )
        else:
            heading += f"not compared: {result.note}"
        lines.append(heading)
        lines.append(
            f"  raw median pay: {result.role} {money(result.raw_median_role)} "
            f"({result.n_role:,} rows), {result.vs} {money(result.raw_median_vs)} "
            f"({result.n_vs:,} rows)"
        )
    return "\n".join(lines)
