"""`mlpay predict` (one profile's salary) and `mlpay whatif` (the same with one change)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, Final

from mlpay_model._format import money, percent_points

if TYPE_CHECKING:
    from mlpay_model.predict import SalaryPrediction

# whatif options: (option, destination, profile argument it replaces, metavar, help)
CHANGES: Final[tuple[tuple[str, str, str, str, str], ...]] = (
    ("--add-skill", "add_skill", "skills", "SKILL", "add one skill"),
    ("--country-to", "country_to", "country", "COUNTRY", "move to another country"),
    ("--years-to", "years_to", "years_experience", "YEARS", "change the years of experience"),
    ("--education-to", "education_to", "education", "LEVEL", "change the education"),
    ("--role-to", "role_to", "role", "TITLE", "change the job title"),
)


def register(subparsers: Any) -> None:
    predict = subparsers.add_parser(
        "predict",
        help="predict the annual salary of one profile",
        description=(
            "Predict annual pay (USD) with its calibrated 80% range, the factors that moved "
            "it and warnings about inputs the model ignores or does not know."
        ),
    )
    _add_profile_arguments(predict)
    predict.set_defaults(handler=run_predict)

    whatif = subparsers.add_parser(
        "whatif",
        help="compare a profile's salary before and after one change",
        description="Predict a profile, then the same profile with one change, and compare.",
    )
    _add_profile_arguments(whatif)
    changes = whatif.add_mutually_exclusive_group(required=True)
    for option, destination, _field, metavar, text in CHANGES:
        changes.add_argument(option, dest=destination, metavar=metavar, help=text)
    whatif.set_defaults(handler=run_whatif)


def run_predict(args: argparse.Namespace) -> int:
    from mlpay_model.predict import predict_salary

    prediction = predict_salary(
        **_profile(args), model=args.model, population=args.population, currency=args.currency
    )
    if args.json:
        print(json.dumps(prediction.to_dict(), ensure_ascii=False))
    else:
        print(render_prediction(prediction, args.role))
    return 0


def run_whatif(args: argparse.Namespace) -> int:
    from mlpay_model.predict import predict_salary

    before_profile = _profile(args)
    field, value, description = _change(args)
    option = next(option for option, _d, name, _m, _h in CHANGES if name == field)
    _check_given(option, value, skills=field == "skills")
    after_profile = dict(before_profile)
    if field == "skills":
        after_profile["skills"] = ",".join(filter(None, (before_profile.get("skills"), value)))
    elif field == "role":  # the title changes with the role, the rank words carried over
        from mlpay_model.compare import arguments_with_role

        after_profile = arguments_with_role(before_profile, value)
        if after_profile["role"] != value:
            description += f" (as {after_profile['role']!r})"
    else:
        after_profile[field] = value
    before = predict_salary(
        **before_profile, model=args.model, population=args.population, currency=args.currency
    )
    after = predict_salary(
        **after_profile, model=args.model, population=args.population, currency=args.currency
    )
    if after.profile == before.profile and _title_key(after_profile) == _title_key(before_profile):
        from mlpay_model.errors import InvalidInputError

        raise InvalidInputError(
            option, value, "changes nothing: the profile reads the same before and after"
        )
    difference = after.median - before.median
    percent = 100.0 * difference / before.median
    if args.json:
        report = {
            "change": {
                "field": field,
                "value": value,
                "description": description,
                **({"title": after_profile["role"]} if field == "role" else {}),
            },
            "before": before.to_dict(),
            "after": after.to_dict(),
            "difference": {"median": difference, "median_percent": percent},
        }
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print(render_prediction(before, args.role, heading="Before"))
    print()
    title = after_profile["role"] if field == "role" else args.role
    print(render_prediction(after, title, heading=f"After ({description})"))
    print()
    sign = "+" if difference >= 0 else "-"
    print(
        f"Difference: {sign}{money(abs(difference), before.currency)} a year "
        f"({percent_points(percent)}) in the median"
    )
    return 0


def render_prediction(prediction: SalaryPrediction, title: str, heading: str = "") -> str:
    """A few readable lines: the median, the range, the person's factors and any warnings."""
    from mlpay_model.taxonomy import country_name

    profile = prediction.profile
    currency = prediction.currency
    lead = f"{heading}: " if heading else ""
    lines = [
        f"{lead}{title} in {country_name(profile['country'])}: "
        f"{money(prediction.median, currency)} a year (median {prediction.pay_concept})",
        f"  80% range: {money(prediction.low, currency)} to {money(prediction.high, currency)}",
        f"  pay year {_pay_year_text(prediction)}",
        f"  for the population of: {prediction.population_label} "
        f"({prediction.pay_concept}; --population picks another)",
        f"  model: {prediction.model}; read as: {_described_profile(profile)}",
    ]
    if prediction.rate_date is not None:
        lines.append(
            f"  in {currency}: 1 USD = {prediction.rate:.4f} {currency}, ECB reference rate of "
            f"{prediction.rate_date} (the model predicts USD)"
        )
    if prediction.by_source:
        lines.append("  the same person by source (each source's own pay and population):")
        lines.extend(
            f"    {figure.label} ({figure.pay_concept}): {money(figure.median, currency)}"
            for figure in prediction.by_source
        )
    from mlpay_model.predict import baseline_text, shown_factors

    factors = shown_factors(prediction)
    lines.append(f"  {baseline_text(prediction)}:")
    if factors:
        width = max(len(item.label) for item in factors)
        lines.extend(
            f"    {item.label:<{width}}  {percent_points(item.percent)}" for item in factors
        )
    else:
        lines.append("    none moves it by 0.05% or more")
    if prediction.warnings:
        lines.append("  warnings:")
        lines.extend(f"    - {warning}" for warning in prediction.warnings)
    return "\n".join(lines)


def _pay_year_text(prediction: SalaryPrediction) -> str:
    """ "2024 (the latest in the model's data; --year picks another)" or "2023 (as given)"."""
    if prediction.pay_year is None:
        return "not known (the model records no pay years)"
    if not prediction.pay_year_defaulted:
        return f"{prediction.pay_year} (as given)"
    return f"{prediction.pay_year} (the latest in the model's data; --year picks another)"


def _add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    # Values stay text: predict_salary checks them and names the field in its error message.
    profile = parser.add_argument_group("profile")
    profile.add_argument("--role", required=True, help="job title, e.g. 'Senior ML Engineer'")
    profile.add_argument("--country", required=True, help="country name or ISO code")
    profile.add_argument("--years", help="years of professional experience")
    profile.add_argument("--education", help="e.g. bachelor, MSc, PhD")
    profile.add_argument(
        "--skills", help="skills separated by ',', ';' or ' + ', e.g. python,pytorch,aws"
    )
    profile.add_argument("--seniority", help="entry, mid, senior or executive")
    profile.add_argument("--employment-type", help="full_time, part_time, contract, freelance")
    profile.add_argument("--remote-ratio", help="percent of remote work (0-100) or remote/hybrid")
    profile.add_argument("--company-size", help="small, medium or large")
    profile.add_argument(
        "--year", help="the year the pay refers to (default: the latest in the model's data)"
    )
    parser.add_argument(
        "--model", default="default", help="model name or folder (default: %(default)s)"
    )
    parser.add_argument(
        "--population",
        help="the source population to price the person as (a pooled model: aijobs, kaggle "
        "or stackoverflow; default: the model's own)",
    )
    parser.add_argument(
        "--currency",
        default="USD",
        help="answer in this currency (e.g. EUR, GBP), converted from the model's USD with the "
        "shipped ECB reference rates (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _profile(args: argparse.Namespace) -> dict[str, Any]:
    """predict_salary keyword arguments from the parsed options (absent options left out)."""
    profile: dict[str, Any] = {"role": args.role, "country": args.country}
    optional = {
        "years_experience": args.years,
        "education": args.education,
        "skills": args.skills,
        "seniority": args.seniority,
        "employment_type": args.employment_type,
        "remote_ratio": args.remote_ratio,
        "company_size": args.company_size,
        "year": args.year,
    }
    options = {"years_experience": "--years", "remote_ratio": "--remote-ratio"}
    for name, value in {"role": args.role, "country": args.country, **optional}.items():
        if value is not None:
            option = options.get(name, "--" + name.replace("_", "-"))
            _check_given(option, value, skills=name == "skills")
    profile.update({name: value for name, value in optional.items() if value is not None})
    return profile


def _check_given(option: str, value: str, *, skills: bool = False) -> None:
    """An option given on the command line must say something: `--years ''` or
    `--skills ',,,'` is a usage mistake (leave the option out when the value is unknown)."""
    from mlpay_model.errors import InvalidInputError
    from mlpay_model.normalise._fields import skill_tokens

    if not value.strip():
        advice = (
            "it is required"
            if option in ("--role", "--country")
            else "leave the option out when unknown"
        )
        raise InvalidInputError(option, value, f"is empty; {advice}")
    if skills and not any(token.strip() for token in skill_tokens(value)):
        raise InvalidInputError(option, value, "holds no skill names")


def _change(args: argparse.Namespace) -> tuple[str, str, str]:
    """(profile field, new value, description) of the one whatif change given."""
    for option, destination, field, _metavar, _help in CHANGES:
        value = getattr(args, destination)
        if value is not None:
            if field == "skills":
                return field, value, f"add skill {value}"
            return field, value, f"{option.removeprefix('--').replace('-', ' ')} {value}"
    raise AssertionError("argparse requires one change")  # pragma: no cover


def _title_key(profile: dict[str, Any]) -> str | None:
    """The title as the model reads it (two titles of one family can be priced apart)."""
    from mlpay_model.taxonomy import title_key

    return title_key(profile["role"])


def _described_profile(profile: Any) -> str:
    parts = [f"{profile['role']}", str(profile["country"])]
    years = profile.get("years_experience")
    if isinstance(years, float) and years == years:
        parts.append(f"{years:g} years")
    for name in ("education", "seniority", "employment_type", "company_size"):
        if profile.get(name):
            parts.append(str(profile[name]))
    if profile.get("skills"):
        parts.append("skills " + "+".join(profile["skills"]))
    return ", ".join(parts)
