"""The behaviour suite (issue 22 item 2): CheckList-style properties of a salary model.

Minimum-functionality, invariance and directional checks over a grid of people (4 role
families x 5 countries x 3 experience levels x 2 degrees), each property ONE named function
`check(model) -> Outcome`: the people checked and the violations, each violation the person,
what was compared and the numbers. The model is observed only through the public API
(`predict_salary` on a model from `load_model`, its `contributions`, `warnings`, `profile`):
what a user sees. One call costs about 0.3-0.5 ms, so the ~10k calls of the whole suite take a
few seconds; answers are cached per model, so checks that share people share calls.

Used by `benchmarks/bench_behaviour.py` (the table of today's violations) and
`tests/behaviour/` (one test per property).

Words the checks look for, so a model can meet them: a warning "names" an unknown skill word
when the word appears in it; a warning says a factor was "not given" when it mentions the
factor (`experience`/`years`, `education`) and one of NOT_GIVEN_WORDS; a contribution "names a
skill as paying less" when its name contains the skill (e.g. "skills: python" or "python") and
its percent is negative.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlpay_model import SalaryModel, SalaryPrediction, load_model, predict_salary
from mlpay_model.schema import EDUCATION_LEVELS as SCHEMA_EDUCATION_LEVELS

# --- the grid --------------------------------------------------------------------------------

ROLE_TITLES: Mapping[str, str] = {  # role family (taxonomy/roles.yaml) -> the title typed
    "ml_engineer": "Machine Learning Engineer",
    "data_scientist": "Data Scientist",
    "software_engineer": "Software Engineer",
    "data_analyst": "Data Analyst",
}
COUNTRY_NAMES: Mapping[str, str] = {  # ISO code -> the name people type
    "US": "United States",
    "DE": "Germany",
    "GB": "United Kingdom",
    "IN": "India",
    "BR": "Brazil",
}
COUNTRIES: tuple[str, ...] = tuple(COUNTRY_NAMES)
YEARS: tuple[int, ...] = (1, 5, 12)
DEGREES: tuple[str, ...] = ("bachelor", "master")

KNOWN_SKILLS: tuple[str, ...] = (
    "python",
    "sql",
    "pytorch",
    "kubernetes",
    "aws",
    "docker",
    "tensorflow",
)
# one known skill added to a list that has some already (base -> added)
SKILL_STEPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("python",), "pytorch"),
    (("python",), "sql"),
    (("sql",), "python"),
    (("python",), "aws"),
    (("python", "pytorch"), "kubernetes"),
    (("python", "pytorch"), "tensorflow"),
    (("python", "sql"), "docker"),
)
INVENTED_SKILLS: tuple[str, ...] = (  # words no skill vocabulary holds
    "zorblax",
    "quuxify",
    "flurbnet",
    "snarfle",
    "glimmux",
    "vextrol",
    "plonkify",
    "wuzzle",
    "krandor",
    "blorptask",
    "zintex",
    "frobnitz",
)
UNKNOWN_SKILL_BASES: tuple[tuple[str, ...], ...] = ((), ("python",), ("python", "pytorch"))
UNKNOWN_SKILL_COUNTS: tuple[int, ...] = (1, 4, 12)  # the issue saw +5.3% at 4, +8.3% at 12

EDUCATION_LADDER: tuple[str, ...] = ("bachelor", "master", "doctorate")
# every level a person can give: the population's mix
# is a weighted average of them, so "not given" must lie within their range
EDUCATION_LEVELS: tuple[str, ...] = SCHEMA_EDUCATION_LEVELS
TITLE_LADDER: tuple[tuple[str, str], ...] = (  # (lower, higher) title prefixes
    ("Junior", ""),
    ("", "Senior"),
    ("Senior", "Staff"),
    ("Senior", "Principal"),
)
YEARS_SWEEP: tuple[int, ...] = tuple(range(21))  # 0..20: most of every population's people

# --- tolerances ------------------------------------------------------------------------------

# A known skill may lower the median by at most 2%: below that it is the trees' noise around
# "no effect"; more is a claim that the skill pays less, which the explanation must then make.
SKILL_TOLERANCE = 0.02
# Unknown words must change nothing; 1e-9 relative only absorbs float summation order.
UNKNOWN_SKILL_TOLERANCE = 1e-9
# Each education step up may be at most 1% lower: the surveys' bachelor -> master -> doctorate
# premiums are several percent, so a larger inversion contradicts the evidence, not noise.
EDUCATION_TOLERANCE = 0.01
# A title level up may be at most 1% lower: senior/staff titles pay clearly more in every source.
TITLE_TOLERANCE = 0.01
# One more year may lower the median by at most 1% against the best of the fewer years
# (the running maximum, so a slow slide over many years is caught too).
YEARS_TOLERANCE = 0.01
# "Not given" may lie at most 0.5% outside the range of the given values (tree steps).
MIX_TOLERANCE = 0.005
# The explanation must add up: median == baseline * prod(1 + percent / 100) to 1e-6.
ADDS_UP_TOLERANCE = 1e-6
# A contribution counts as shown from 0.05% on: `mlpay predict` prints factors from there.
SHOWN_PERCENT = 0.05

NOT_GIVEN_WORDS: tuple[str, ...] = (
    "not given",
    "not known",
    "unknown",
    "missing",
    "not stated",
    "mix",
)


# --- people, violations, outcomes ------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One profile as typed: what `predict_salary` gets."""

    role: str
    country: str
    years: float | str | None = None
    education: str | None = None
    skills: tuple[str, ...] | str = ()

    def but(self, **changes: Any) -> Person:
        return dataclasses.replace(self, **changes)

    def __str__(self) -> str:
        parts = [self.role, self.country]
        if self.years is not None:
            parts.append(f"{self.years}y")
        if self.education is not None:
            parts.append(self.education)
        if self.skills:
            skills = self.skills if isinstance(self.skills, str) else ",".join(self.skills)
            parts.append(f"skills={skills}")
        return ", ".join(map(str, parts))


@dataclass(frozen=True)
class Violation:
    """A person breaking a property: what was compared (`case`), the medians compared
    (`values`, name -> annual USD) and `size`, the relative size of the break (to rank)."""

    person: Person
    case: str
    values: Mapping[str, float] = field(default_factory=dict)
    size: float = 0.0
    note: str = ""
    size_label: str = ""

    def __str__(self) -> str:
        numbers = ", ".join(f"{name} ${value:,.0f}" for name, value in self.values.items())
        text = f"{self.person} | {self.case}"
        if numbers:
            text += f": {numbers}"
        if self.size:
            label = f"{self.size_label} " if self.size_label else ""
            text += f" ({label}{self.size:+.1%})"
        if self.note:
            text += f"; {self.note}"
        return text


@dataclass(frozen=True)
class Outcome:
    """One property's result: `checked` people (the base people of the grid it was tried
    on) and the violations (possibly several per person)."""

    name: str
    checked: int
    violations: tuple[Violation, ...]

    @property
    def breaking(self) -> int:
        return len({violation.person for violation in self.violations})

    @property
    def worst(self) -> Violation | None:
        if not self.violations:
            return None
        return max(self.violations, key=lambda violation: abs(violation.size))

    def report(self, limit: int = 20) -> str:
        """The people who break the property, worst first, in lines."""
        lines = [
            f"{self.name}: {self.breaking} of {self.checked} people break it "
            f"({len(self.violations)} violations)"
        ]
        ranked = sorted(self.violations, key=lambda violation: -abs(violation.size))
        lines += [f"  {violation}" for violation in ranked[:limit]]
        if len(ranked) > limit:
            lines.append(f"  ... and {len(ranked) - limit} more")
        return "\n".join(lines)


class Oracle:
    """Answers of one model, asked as a user asks (`predict_salary`), each asked once."""

    def __init__(self, model: SalaryModel) -> None:
        self.model = model
        self._answers: dict[Person, SalaryPrediction] = {}

    def ask(self, person: Person) -> SalaryPrediction:
        answer = self._answers.get(person)
        if answer is None:
            answer = predict_salary(
                person.role,
                person.country,
                person.years,
                person.education,
                list(person.skills) if isinstance(person.skills, tuple) else person.skills,
                model=self.model,
            )
            self._answers[person] = answer
        return answer

    def median(self, person: Person) -> float:
        return self.ask(person).median


@functools.lru_cache(maxsize=4)
def _oracle(model: SalaryModel) -> Oracle:
    return Oracle(model)


def resolve(model: SalaryModel | str) -> SalaryModel:
    """A loaded model: itself, or `load_model(name or folder)`."""
    return model if isinstance(model, SalaryModel) else load_model(model)


def grid(
    *,
    years: Sequence[float | None] = YEARS,
    degrees: Sequence[str | None] = DEGREES,
    skills: tuple[str, ...] = (),
) -> list[Person]:
    """The grid of people: role families x countries x `years` x `degrees`."""
    return [
        Person(title, country, year, degree, skills)
        for title in ROLE_TITLES.values()
        for country in COUNTRIES
        for year in years
        for degree in degrees
    ]


def _change(new: float, old: float) -> float:
    return new / old - 1.0


def _outcome(name: str, people: Iterable[Person], violations: Iterable[Violation]) -> Outcome:
    return Outcome(name, len(set(people)), tuple(violations))


def _names_skill_as_negative(contributions: Mapping[str, float], skill: str) -> bool:
    """True when a contribution's name holds the skill word and its percent is negative."""
    return any(
        skill in re.split(r"[^a-z0-9+#]+", name.casefold()) and percent <= -SHOWN_PERCENT
        for name, percent in contributions.items()
    )


def _skill_contributions(contributions: Mapping[str, float]) -> str:
    """The explanation's skill contributions, as text ("skills: python -2.4%", or "skills
    +0.0%" when none is named)."""
    named = [
        f"{name} {percent:+.1f}%"
        for name, percent in contributions.items()
        if _factor_of(name, ()) == "skills"
    ]
    return ", ".join(named) or "skills +0.0%"


def _says_ignored(warnings: Sequence[str], factor: str) -> bool:
    """True when a warning says the model ignores `factor` altogether (then no word of it
    needs naming)."""
    return any(factor in text and "ignored" in text for text in warnings)


def _says_not_given(warnings: Sequence[str], factor_words: Sequence[str]) -> bool:
    return any(
        any(word in text.casefold() for word in factor_words)
        and any(phrase in text.casefold() for phrase in NOT_GIVEN_WORDS)
        for text in warnings
    )


# --- the properties --------------------------------------------------------------------------


def known_skill_never_lowers(model: SalaryModel) -> Outcome:
    """Listing one known skill never lowers the median by more than SKILL_TOLERANCE against
    listing none, unless the explanation names that skill as paying less."""
    ask = _oracle(model)
    people = grid()
    violations = []
    for person in people:
        before = ask.median(person)
        for skill in KNOWN_SKILLS:
            answer = ask.ask(person.but(skills=(skill,)))
            change = _change(answer.median, before)
            if change < -SKILL_TOLERANCE and not _names_skill_as_negative(
                answer.contributions, skill
            ):
                violations.append(
                    Violation(
                        person,
                        f"skills={skill} vs none",
                        {"none": before, skill: answer.median},
                        change,
                        f"explanation: {_skill_contributions(answer.contributions)}",
                    )
                )
    return _outcome("known_skill_never_lowers", people, violations)


def unknown_skills_change_nothing(model: SalaryModel) -> Outcome:
    """Invented skill words change nothing (median equal to 1e-9) and a warning names each
    (or says the model ignores skills)."""
    ask = _oracle(model)
    people = grid()
    violations = []
    for person in people:
        for base in UNKNOWN_SKILL_BASES:
            before = ask.median(person.but(skills=base))
            for count in UNKNOWN_SKILL_COUNTS:
                words = INVENTED_SKILLS[:count]
                answer = ask.ask(person.but(skills=base + words))
                change = _change(answer.median, before)
                unnamed = [
                    word
                    for word in words
                    if not any(word in text.casefold() for text in answer.warnings)
                    and not _says_ignored(answer.warnings, "skills")
                ]
                if abs(change) > UNKNOWN_SKILL_TOLERANCE or unnamed:
                    violations.append(
                        Violation(
                            person,
                            f"skills={','.join(base) or '(none)'} + {count} invented",
                            {"without": before, "with": answer.median},
                            change,
                            f"no warning names {','.join(unnamed)}" if unnamed else "",
                        )
                    )
    return _outcome("unknown_skills_change_nothing", people, violations)


def one_more_skill_never_lowers(model: SalaryModel) -> Outcome:
    """Adding one more known skill never lowers the median by more than SKILL_TOLERANCE,
    unless the explanation names the added skill as paying less."""
    ask = _oracle(model)
    people = grid()
    violations = []
    for person in people:
        for base, added in SKILL_STEPS:
            before = ask.median(person.but(skills=base))
            answer = ask.ask(person.but(skills=(*base, added)))
            change = _change(answer.median, before)
            if change < -SKILL_TOLERANCE and not _names_skill_as_negative(
                answer.contributions, added
            ):
                violations.append(
                    Violation(
                        person,
                        f"{','.join(base)} + {added}",
                        {",".join(base): before, f"+{added}": answer.median},
                        change,
                    )
                )
    return _outcome("one_more_skill_never_lowers", people, violations)


def education_ordered(model: SalaryModel) -> Outcome:
    """bachelor <= master <= doctorate (each step at most EDUCATION_TOLERANCE lower), and
    "not given" within the range of all levels (MIX_TOLERANCE): the population's mix."""
    ask = _oracle(model)
    people = grid(degrees=(None,))
    violations = []
    for person in people:
        medians = {level: ask.median(person.but(education=level)) for level in EDUCATION_LADDER}
        for lower, higher in itertools.pairwise(EDUCATION_LADDER):
            change = _change(medians[higher], medians[lower])
            if change < -EDUCATION_TOLERANCE:
                violations.append(
                    Violation(
                        person,
                        f"{lower} -> {higher}",
                        {lower: medians[lower], higher: medians[higher]},
                        change,
                    )
                )
        violation = _outside_mix(ask, person, "education", EDUCATION_LEVELS, "education not given")
        if violation is not None:
            violations.append(violation)
    return _outcome("education_ordered", people, violations)


def _outside_mix(
    ask: Oracle, person: Person, field_name: str, values: Sequence[Any], case: str
) -> Violation | None:
    """A violation when `person` (with `field_name` not given) lies outside the range of its
    medians with each of `values` given (more than MIX_TOLERANCE)."""
    missing = ask.median(person.but(**{field_name: None}))
    given = {value: ask.median(person.but(**{field_name: value})) for value in values}
    low_value = min(given, key=lambda value: given[value])
    high_value = max(given, key=lambda value: given[value])
    low, high = given[low_value], given[high_value]
    if missing < low * (1 - MIX_TOLERANCE):
        size = _change(missing, low)
    elif missing > high * (1 + MIX_TOLERANCE):
        size = _change(missing, high)
    else:
        return None
    return Violation(
        person,
        f"{case}: outside the range of the given values",
        {"not given": missing, f"min ({low_value})": low, f"max ({high_value})": high},
        size,
    )


def title_levels_ordered(model: SalaryModel) -> Outcome:
    """ "Junior X" <= "X" <= "Senior X" <= "Staff X" / "Principal X", no years given, each step
    at most TITLE_TOLERANCE lower."""
    ask = _oracle(model)
    people = [Person(title, country) for title in ROLE_TITLES.values() for country in COUNTRIES]
    violations = []
    for person in people:
        for lower, higher in TITLE_LADDER:
            low_title = f"{lower} {person.role}".strip()
            high_title = f"{higher} {person.role}".strip()
            low = ask.median(person.but(role=low_title))
            high = ask.median(person.but(role=high_title))
            change = _change(high, low)
            if change < -TITLE_TOLERANCE:
                violations.append(
                    Violation(
                        person,
                        f"{low_title!r} -> {high_title!r}",
                        {lower or "plain": low, higher or "plain": high},
                        change,
                    )
                )
    return _outcome("title_levels_ordered", people, violations)


def _typings(person: Person) -> list[tuple[str, Person]]:
    """The same person typed differently: (what differs, the person as typed)."""
    role, skills = person.role, tuple(person.skills)
    aliases = {"pytorch": "PyTorch", "aws": "Amazon Web Services (AWS)", "python": "Python"}
    education_words = {"bachelor": "Bachelor's degree", "master": "MSc"}
    variants = [
        ("role lower case", person.but(role=role.lower())),
        ("role upper case", person.but(role=role.upper())),
        ("role with extra spaces", person.but(role=f"  {role.replace(' ', '   ')} ")),
        ("country by name", person.but(country=COUNTRY_NAMES[person.country])),
        ("country lower-case code", person.but(country=person.country.lower())),
        ("skill aliases", person.but(skills=tuple(aliases.get(s, s) for s in skills))),
        ("skills upper case", person.but(skills=tuple(s.upper() for s in skills))),
        ("skills reversed", person.but(skills=skills[::-1])),
        ("skills duplicated", person.but(skills=skills + skills)),
        ("skills as text", person.but(skills=" ,  ".join(skills))),
    ]
    if person.years is not None:
        variants.append(("years as text", person.but(years=f"{person.years:g}")))
    if person.education in education_words:
        variants.append(
            ("education as words", person.but(education=education_words[person.education]))
        )
    return variants


def typing_invariance(model: SalaryModel) -> Outcome:
    """The same person typed differently (case, country name or code, skill alias, case,
    order or duplicates, extra spaces, text numbers) gets exactly the same median."""
    ask = _oracle(model)
    people = grid(skills=("python", "pytorch", "aws"))
    violations = []
    for person in people:
        reference = ask.median(person)
        for what, typed in _typings(person):
            median = ask.median(typed)
            if median != reference:
                violations.append(
                    Violation(
                        person,
                        what,
                        {"as written": reference, "typed": median},
                        _change(median, reference),
                    )
                )
    return _outcome("typing_invariance", people, violations)


def missing_factor_priced_at_mix(model: SalaryModel) -> Outcome:
    """No years: the median lies within the range over years 0..20 and a warning says
    experience was not given. No education: within the range over all levels and a warning
    says education was not given. (No warning is asked for a factor the model does not use:
    `model.uses`; years count as used when the model reads years or seniority.)"""
    ask = _oracle(model)
    no_years = grid(years=(None,))
    no_education = grid(degrees=(None,))
    violations = []
    for person in no_years:
        violation = _outside_mix(ask, person, "years", YEARS_SWEEP, "years not given")
        if violation is not None:
            violations.append(violation)
        prices_years = model.uses("years_experience") or model.uses("seniority")
        if prices_years and not _says_not_given(ask.ask(person).warnings, ("experience", "years")):
            violations.append(Violation(person, "no warning says years were not given"))
    for person in no_education:
        violation = _outside_mix(ask, person, "education", EDUCATION_LEVELS, "education not given")
        if violation is not None:
            violations.append(violation)
        if model.uses("education") and not _says_not_given(
            ask.ask(person).warnings, ("education",)
        ):
            violations.append(Violation(person, "no warning says education was not given"))
    return _outcome("missing_factor_priced_at_mix", no_years + no_education, violations)


def pay_rises_with_years(model: SalaryModel) -> Outcome:
    """The median never falls by more than YEARS_TOLERANCE below its best at fewer years,
    over years 0..20; one violation per person, at its largest fall."""
    ask = _oracle(model)
    people = grid(years=(None,))
    violations = []
    for person in people:
        medians = [ask.median(person.but(years=year)) for year in YEARS_SWEEP]
        best_year, worst = 0, (0.0, 0, 0)
        for index, median in enumerate(medians):
            if median > medians[best_year]:
                best_year = index
            fall = _change(median, medians[best_year])
            if fall < worst[0]:
                worst = (fall, best_year, index)
        fall, high, low = worst
        if fall < -YEARS_TOLERANCE:
            violations.append(
                Violation(
                    person,
                    f"{YEARS_SWEEP[high]}y -> {YEARS_SWEEP[low]}y",
                    {f"{YEARS_SWEEP[high]}y": medians[high], f"{YEARS_SWEEP[low]}y": medians[low]},
                    fall,
                )
            )
    return _outcome("pay_rises_with_years", people, violations)


FACTOR_NAMES: Mapping[str, str] = {  # a contribution's leading word -> the person's factor
    "role": "role",
    "country": "country",
    "location": "country",
    "years_experience": "years",
    "years": "years",
    "experience": "experience",  # years and/or seniority: one factor of the person's
    "seniority": "seniority",
    "education": "education",
    "skills": "skills",
    "skill": "skills",
}


def _given_factors(person: Person, answer: SalaryPrediction) -> set[str]:
    given = {"role", "country"}
    if person.years is not None:
        given |= {"years", "seniority", "experience"}
    if answer.profile.get("seniority") is not None:  # read from the title (or given)
        given |= {"seniority", "experience"}
    if person.education is not None:
        given.add("education")
    if person.skills:
        given.add("skills")
    return given


def _factor_of(name: str, skills: Sequence[str]) -> str | None:
    words = [word for word in re.split(r"[^a-z0-9_+#]+", name.casefold()) if word]
    if not words:
        return None
    if words[0] in FACTOR_NAMES:
        return FACTOR_NAMES[words[0]]
    return "skills" if words[0] in skills else None


def explanation_in_persons_terms(model: SalaryModel) -> Outcome:
    """The contributions shown (|percent| >= SHOWN_PERCENT) name only factors the person gave
    (role, country, years or seniority, education, skills), never model internals (source,
    year, title apart from the role, ...), and add up to the median from the baseline."""
    ask = _oracle(model)
    people = grid(skills=("python", "sql"))
    violations = []
    for base in people:
        variants = [
            ("as given", base),
            ("no years", base.but(years=None)),
            ("no education", base.but(education=None)),
            ("no skills", base.but(skills=())),
            ("senior title, no years", base.but(role=f"Senior {base.role}", years=None)),
        ]
        for what, person in variants:
            answer = ask.ask(person)
            given = _given_factors(person, answer)
            skills = tuple(str(skill) for skill in answer.profile.get("skills") or ())
            foreign = {
                name: percent
                for name, percent in answer.contributions.items()
                if abs(percent) >= SHOWN_PERCENT and _factor_of(name, skills) not in given
            }
            product = answer.baseline * math.prod(
                1 + percent / 100 for percent in answer.contributions.values()
            )
            adds_up = abs(product / answer.median - 1) <= ADDS_UP_TOLERANCE
            if foreign or not adds_up:
                parts = [f"{name} {percent:+.1f}%" for name, percent in foreign.items()]
                if not adds_up:
                    parts.append(f"does not add up: baseline x factors ${product:,.0f}")
                violations.append(
                    Violation(
                        base,
                        what,
                        {"median": answer.median},
                        max((abs(p) / 100 for p in foreign.values()), default=0.0),
                        "names " + ", ".join(parts),
                        "largest foreign factor",
                    )
                )
    return _outcome("explanation_in_persons_terms", people, violations)


PROPERTIES: Mapping[str, Callable[[SalaryModel], Outcome]] = {
    check.__name__: check
    for check in (
        known_skill_never_lowers,
        unknown_skills_change_nothing,
        one_more_skill_never_lowers,
        education_ordered,
        title_levels_ordered,
        typing_invariance,
        missing_factor_priced_at_mix,
        pay_rises_with_years,
        explanation_in_persons_terms,
    )
}


def run_all(model: SalaryModel | str = "default") -> list[Outcome]:
    """Every property on `model` (a loaded model, a name or a folder), in order."""
    loaded = resolve(model)
    return [check(loaded) for check in PROPERTIES.values()]
