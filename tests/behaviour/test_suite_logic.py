"""The behaviour suite's own logic (`benchmarks/behaviour_suite.py`), without a model: the grid,
what counts as naming a skill, saying "not given" or naming a factor, and the outcome's counts."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # a script folder, not a package

import behaviour_suite as suite  # noqa: E402


def test_the_grid_is_families_by_countries_by_years_by_degrees() -> None:
    people = suite.grid()
    assert len(people) == len(set(people)) == 4 * 5 * 3 * 2
    assert {person.country for person in people} == {"US", "DE", "GB", "IN", "BR"}
    assert len(suite.grid(years=(None,), degrees=(None,))) == 20


def test_a_skill_is_named_as_paying_less_only_by_a_negative_contribution_naming_it() -> None:
    assert suite._names_skill_as_negative({"skills: python": -3.0}, "python")
    assert suite._names_skill_as_negative({"python": -1.0}, "python")
    assert not suite._names_skill_as_negative({"skills": -8.8}, "python")
    assert not suite._names_skill_as_negative({"skills: python": 2.0}, "python")
    assert not suite._names_skill_as_negative({"skills: pythonic": -3.0}, "python")


def test_not_given_must_be_said_about_the_factor() -> None:
    assert suite._says_not_given(["years of experience not given: priced at the mix"], ("years",))
    assert suite._says_not_given(["Education unknown; average of the population"], ("education",))
    assert not suite._says_not_given(["education is ignored by model x"], ("years",))
    assert not suite._says_not_given([], ("education",))


def test_contribution_names_map_to_the_persons_factors() -> None:
    skills = ("python",)
    assert suite._factor_of("years_experience", skills) == "years"
    assert suite._factor_of("skills: python", skills) == "skills"
    assert suite._factor_of("python", skills) == "skills"
    assert suite._factor_of("location", skills) == "country"
    assert suite._factor_of("experience (5 years)", skills) == "experience"
    for internal in ("source", "year", "title", "company_size", "remote_ratio"):
        assert suite._factor_of(internal, skills) is None


def test_experience_is_given_by_years_or_by_a_seniority() -> None:
    """A title level ("Senior X") with no years gives the person's experience factor too."""

    class Answer:
        def __init__(self, seniority: str | None) -> None:
            self.profile = {"seniority": seniority}

    plain = suite.Person("Data Scientist", "DE")
    assert "experience" not in suite._given_factors(plain, Answer(None))  # type: ignore[arg-type]
    senior = suite.Person("Senior Data Scientist", "DE")
    assert "experience" in suite._given_factors(senior, Answer("senior"))  # type: ignore[arg-type]
    assert "experience" in suite._given_factors(plain.but(years=5), Answer(None))  # type: ignore[arg-type]


def test_typings_change_only_how_the_person_is_written() -> None:
    person = suite.Person("Machine Learning Engineer", "DE", 5, "master", ("python", "aws"))
    typed = dict(suite._typings(person))
    assert typed["country by name"].country == "Germany"
    assert typed["skill aliases"].skills == ("Python", "Amazon Web Services (AWS)")
    assert typed["years as text"].years == "5"
    assert typed["education as words"].education == "MSc"
    assert "years as text" not in dict(suite._typings(person.but(years=None)))


def test_an_outcome_counts_people_and_ranks_the_worst() -> None:
    one, two = suite.Person("Data Analyst", "US", 1), suite.Person("Data Analyst", "BR", 1)
    outcome = suite.Outcome(
        "p",
        checked=2,
        violations=(
            suite.Violation(one, "a", {"x": 100.0, "y": 95.0}, -0.05),
            suite.Violation(one, "b", {"x": 100.0, "y": 90.0}, -0.10),
            suite.Violation(two, "a", {"x": 100.0, "y": 97.0}, -0.03),
        ),
    )
    assert outcome.breaking == 2
    assert outcome.worst is not None and outcome.worst.case == "b"
    report = outcome.report(limit=1)
    assert "2 of 2 people break it (3 violations)" in report
    assert "Data Analyst, US, 1y | b: x $100, y $90 (-10.0%)" in report
    assert "and 2 more" in report


def test_every_property_is_registered_once_by_name() -> None:
    assert list(suite.PROPERTIES) == [check.__name__ for check in suite.PROPERTIES.values()]
    assert len(suite.PROPERTIES) == 9
