"""The controlled comparison engine, on inline frames and a model whose true effects are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpay_model.compare import (
    ROLE_TITLES,
    Filters,
    arguments_with_role,
    compare_roles,
    factor_premium,
    parse_filters,
    predicted_pay,
    ratio_premium,
    raw_median,
    resolve_role,
    sample_people,
    select_people,
    skill_premiums,
    title_with_role,
    with_skill,
    with_value,
)
from mlpay_model.errors import InvalidInputError
from mlpay_model.model.features import OTHER_CATEGORY, FeatureSpec
from mlpay_model.schema import ROLE_FAMILIES, conform

# Role effects per country: ML engineers earn 30% more than software engineers in the US and
# 10% more in India, so the controlled premium depends on who is in the population.
ROLE_FACTOR = {
    ("ml_engineer", "US"): 1.3,
    ("ml_engineer", "IN"): 1.1,
    ("data_scientist", "US"): 1.2,
    ("data_scientist", "IN"): 1.2,
}
COUNTRY_BASE = {"US": 100_000.0, "IN": 20_000.0}
PYTHON_FACTOR = 1.05
MASTER_FACTOR = 1.08


class KnownModel:
    """A `mlpay_model.model.PayModel` (what the engine needs of a `SalaryModel`) whose
    predictions follow the factors above exactly."""

    name = "known"
    version = "1"
    spec = FeatureSpec(
        features=("role", "country", "education", "skills"),
        categories={
            "role": ("data_scientist", "ml_engineer", "software_engineer", OTHER_CATEGORY),
            "country": ("IN", "US", OTHER_CATEGORY),
        },
        skills=("python", "sql"),
    )
    factors = spec.features
    skills = spec.skills

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, profiles: pd.DataFrame) -> pd.DataFrame:
        self.calls += 1
        median = np.array(
            [
                COUNTRY_BASE[country]
                * ROLE_FACTOR.get((role, country), 1.0)
                * (PYTHON_FACTOR if "python" in skills else 1.0)
                * (MASTER_FACTOR if education == "master" else 1.0)
                for role, country, skills, education in zip(
                    profiles["role"],
                    profiles["country"],
                    profiles["skills"],
                    profiles["education"],
                    strict=True,
                )
            ]
        )
        return pd.DataFrame(
            {"median": median, "low": median * 0.8, "high": median * 1.25}, index=profiles.index
        )


def people(rows: list[tuple[str, str, float, str | None, tuple[str, ...], float]]) -> pd.DataFrame:
    """Canonical profiles from (role, country, years, education, skills, salary_usd) tuples."""
    frame = pd.DataFrame(
        rows,
        columns=["role", "country", "years_experience", "education", "skills", "salary_usd"],
    )
    frame["source"] = "test"
    return conform(frame)


def population(n_us: int, n_in: int) -> pd.DataFrame:
    """Half ML engineers, half software engineers, in each country; pay is observed pay."""
    rows = []
    for country, count, pay in (("US", n_us, 150_000.0), ("IN", n_in, 30_000.0)):
        for i in range(count):
            role = "ml_engineer" if i % 2 == 0 else "software_engineer"
            education = "master" if i % 3 == 0 else "bachelor"
            skills = ("python",) if i % 4 == 0 else ("sql",)
            rows.append((role, country, float(i % 10), education, skills, pay + i))
    return people(rows)


def test_controlled_premium_is_the_median_per_person_ratio() -> None:
    # 60 US people (ratio 1.3) and 40 Indian people (ratio 1.1): the median ratio is 1.3.
    [result] = compare_roles(
        KnownModel(), population(60, 40), "ml_engineer", ["software_engineer"], resamples=200
    )
    assert result.status == "ok"
    assert result.premium == pytest.approx(0.3)
    assert result.n == 100
    assert result.ci is not None
    assert result.ci[0] <= result.premium <= result.ci[1]


def test_filters_change_the_population_and_so_the_premium() -> None:
    frame = population(60, 40)
    [india] = compare_roles(
        KnownModel(),
        frame,
        "ml_engineer",
        ["software_engineer"],
        Filters(country="IN"),
        min_rows=20,
    )
    assert india.premium == pytest.approx(0.1)
    assert india.n == 40
    assert india.filters == {"country": "IN"}


class TwoPopulationModel(KnownModel):
    """`KnownModel` as a model of two source populations (what the pooled default is)."""

    name = "two"
    populations = ("survey_a", "survey_b")


def by_country_population(n_us: int, n_in: int) -> pd.DataFrame:
    """`population`, with the US people from survey_a and the Indian people from survey_b."""
    frame = population(n_us, n_in)
    frame["source"] = np.where(frame["country"] == "US", "survey_a", "survey_b")
    return frame


def ml_vs_software(frame: pd.DataFrame, *args, **options):
    """ML engineers against software engineers by `TwoPopulationModel`."""
    return compare_roles(
        TwoPopulationModel(), frame, "ml_engineer", ["software_engineer"], *args, **options
    )


def test_a_model_of_several_populations_compares_within_each_in_turn() -> None:
    results = ml_vs_software(by_country_population(60, 40), min_rows=10)
    assert [r.population for r in results] == ["survey_a", "survey_b"]
    first, second = results
    assert first.premium == pytest.approx(0.3) and first.n == 60
    assert second.premium == pytest.approx(0.1) and second.n == 40
    assert second.filters == {"population": "survey_b"}
    assert second.raw_median_role == pytest.approx(
        by_country_population(60, 40)
        .query("country == 'IN' and role == 'ml_engineer'")["salary_usd"]
        .median()
    )


def test_the_population_filter_picks_one_population_and_unknown_ones_are_refused() -> None:
    frame = by_country_population(60, 40)
    [only] = ml_vs_software(
        frame,
        parse_filters(population=" Survey_B "),
        min_rows=10,
    )
    assert only.population == "survey_b" and only.premium == pytest.approx(0.1)
    # People of one population only: compared as that population, without asking.
    [implied] = ml_vs_software(frame[frame["source"] == "survey_b"], min_rows=10)
    assert implied == only
    with pytest.raises(InvalidInputError, match=r"population='survey_c'.*did you mean survey_"):
        ml_vs_software(
            frame,
            Filters(population="survey_c"),
        )


def test_a_population_whose_data_lacks_a_filtered_factor_is_a_flagged_row() -> None:
    frame = by_country_population(60, 40)
    frame.loc[frame["source"] == "survey_a", "education"] = None
    lacking, compared = ml_vs_software(
        frame,
        Filters(education="bachelor"),
        min_rows=10,
    )
    assert (lacking.status, lacking.population, lacking.premium) == (
        "not_in_data",
        "survey_a",
        None,
    )
    assert "survey_a has no education" in lacking.note
    assert compared.status == "ok" and compared.population == "survey_b"
    frame["education"] = None
    with pytest.raises(InvalidInputError, match="has no education"):
        ml_vs_software(
            frame,
            Filters(education="bachelor"),
        )


def test_raw_medians_use_observed_pay_of_each_role_within_the_filters() -> None:
    frame = population(60, 40)
    [result] = compare_roles(KnownModel(), frame, "ml_engineer", ["software_engineer"])
    ml_pay = frame.loc[frame["role"] == "ml_engineer", "salary_usd"]
    se_pay = frame.loc[frame["role"] == "software_engineer", "salary_usd"]
    assert result.raw_median_role == pytest.approx(ml_pay.median())
    assert result.raw_median_vs == pytest.approx(se_pay.median())
    assert (result.n_role, result.n_vs) == (50, 50)


def test_raw_median_of_a_band_is_its_geometric_midpoint() -> None:
    frame = conform(
        pd.DataFrame(
            {"salary_usd_low": [10_000.0, 40_000.0], "salary_usd_high": [40_000.0, 90_000.0]}
        )
    )
    median, count = raw_median(frame)
    assert count == 2
    assert median == pytest.approx((20_000.0 + 60_000.0) / 2)


def test_roles_are_typed_like_users_type_them() -> None:
    assert resolve_role("ml_engineer") == "ml_engineer"
    with pytest.raises(InvalidInputError, match="role='Beekeeper'"):
        resolve_role("Beekeeper")
    with pytest.raises(InvalidInputError, match="role='other'"):
        resolve_role("other")


def test_rare_roles_are_flagged_not_computed() -> None:
    frame = population(20, 0)  # 10 rows per role, fewer than the 30 needed
    model = KnownModel()
    [result] = compare_roles(model, frame, "ml_engineer", ["software_engineer"])
    assert result.status == "too_rare"
    assert result.premium is None and result.ci is None
    assert "ml_engineer has 10" in result.note and "at least 30" in result.note
    assert model.calls == 0
    [lenient] = compare_roles(model, frame, "ml_engineer", ["software_engineer"], min_rows=10)
    assert lenient.status == "ok"


def test_roles_outside_the_model_vocabulary_are_flagged() -> None:
    frame = population(60, 40)
    results = compare_roles(
        KnownModel(), frame, "ml_engineer", ["data_engineer", "software_engineer"]
    )
    assert [r.status for r in results] == ["not_in_model", "ok"]
    assert "data_engineer" in results[0].note and OTHER_CATEGORY in results[0].note


def test_comparing_a_role_with_itself_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="vs"):
        compare_roles(KnownModel(), population(60, 40), "ml_engineer", ["ml_engineer"])


def test_the_first_role_is_predicted_once_for_several_comparisons() -> None:
    model = KnownModel()
    frame = population(60, 40)
    frame.loc[frame.index[:40], "role"] = "data_scientist"
    compare_roles(model, frame, "ml_engineer", ["software_engineer", "data_scientist"], min_rows=1)
    assert model.calls == 3


def test_filtering_on_a_factor_the_data_lacks_is_an_error() -> None:
    frame = population(10, 10)
    frame["education"] = None
    with pytest.raises(InvalidInputError, match="has no education"):
        select_people(frame, Filters(education="master"))


def test_years_filter_is_an_inclusive_window() -> None:
    frame = population(10, 0)  # years 0..9
    filters = parse_filters(years=5)
    assert filters.years == (3.0, 7.0)
    assert sorted(select_people(frame, filters)["years_experience"]) == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert parse_filters(years=1).years == (0.0, 3.0)
    with pytest.raises(InvalidInputError, match="years"):
        parse_filters(years=-1)


def test_filters_describe_open_and_half_open_year_bands_readably() -> None:
    # The report's bands are half-open [low, high): Filters.years stops just below `high`.
    assert Filters(years=(3.0, 7.0), country="US").describe() == "country=US, years 3-7"
    assert Filters(years=(3.0, float(np.nextafter(6.0, 0.0)))).describe() == ("years 3 to under 6")
    assert Filters(years=(21.0, float("inf"))).describe() == "years 21+"
    assert Filters(years=(1.5, 2.5)).describe() == "years 1.5-2.5"
    assert Filters().describe() == "all rows"


def test_canonical_filter_values_are_accepted_and_unknown_ones_refused() -> None:
    assert parse_filters(education="master", seniority="senior") == Filters(
        education="master", seniority="senior"
    )
    with pytest.raises(InvalidInputError, match="education='wizardry'"):
        parse_filters(education="wizardry")


def test_large_populations_are_subsampled_reproducibly() -> None:
    frame = population(300, 300)
    first = sample_people(frame, max_people=100, seed=3)
    assert len(first) == 100
    assert first.index.equals(sample_people(frame, max_people=100, seed=3).index)
    assert not first.index.equals(sample_people(frame, max_people=100, seed=4).index)
    assert sample_people(frame, max_people=None).equals(frame)


def test_same_inputs_give_the_same_numbers() -> None:
    frame = population(300, 200)
    runs = [
        compare_roles(KnownModel(), frame, "ml_engineer", ["software_engineer"], max_people=150)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_bootstrap_interval_is_seeded_and_narrows_with_more_people() -> None:
    rng = np.random.default_rng(0)
    ratios_small = np.exp(rng.normal(0.1, 0.3, 100))
    ratios_large = np.exp(rng.normal(0.1, 0.3, 5_000))
    ones_small, ones_large = np.ones(100), np.ones(5_000)
    small = ratio_premium(ratios_small, ones_small, seed=1)
    assert small == ratio_premium(ratios_small, ones_small, seed=1)
    assert small.ci != ratio_premium(ratios_small, ones_small, seed=2).ci
    large = ratio_premium(ratios_large, ones_large, seed=1)
    assert small.ci[1] - small.ci[0] > 2 * (large.ci[1] - large.ci[0])
    assert large.ci[0] < np.exp(0.1) - 1 < large.ci[1]


def test_bootstrap_interval_covers_the_true_median_about_90_percent_of_the_time() -> None:
    rng = np.random.default_rng(42)
    true_premium = np.exp(0.2) - 1  # median of exp(N(0.2, 0.5))
    trials = 200
    covered = 0
    for trial in range(trials):
        ratios = np.exp(rng.normal(0.2, 0.5, 150))
        result = ratio_premium(ratios, np.ones_like(ratios), resamples=300, seed=trial)
        covered += result.ci[0] <= true_premium <= result.ci[1]
    assert 0.8 <= covered / trials <= 0.97


def test_skill_premium_adds_or_removes_the_skill_for_everyone() -> None:
    frame = population(30, 30)
    python, sql = skill_premiums(KnownModel(), frame, resamples=100)
    assert (python.value, sql.value) == ("python", "sql")
    assert python.premium == pytest.approx(PYTHON_FACTOR - 1)
    assert sql.premium == pytest.approx(0.0)
    assert python.n_with == int(frame["skills"].map(lambda s: "python" in s).sum())
    with pytest.raises(InvalidInputError, match="rust"):
        skill_premiums(KnownModel(), frame, ["rust"])


def test_skill_premium_equals_predicting_everyone_with_and_without(tiny_model) -> None:
    from artifact_factory import canonical_frame

    frame = canonical_frame().iloc[:200]
    [effect] = skill_premiums(tiny_model, frame, ["python"], resamples=50)
    everyone_with = predicted_pay(tiny_model, with_skill(frame, "python", present=True))
    everyone_without = predicted_pay(tiny_model, with_skill(frame, "python", present=False))
    naive = ratio_premium(everyone_with, everyone_without, resamples=50)
    assert (effect.premium, effect.ci) == (naive.premium, naive.ci)


def test_with_skill_keeps_the_other_skills_sorted() -> None:
    frame = people([("ml_engineer", "US", 1.0, None, ("sql", "aws"), 1.0)])
    assert with_skill(frame, "python", present=True)["skills"].iloc[0] == ("aws", "python", "sql")
    assert with_skill(frame, "sql", present=False)["skills"].iloc[0] == ("aws",)
    assert frame["skills"].iloc[0] == ("sql", "aws")  # the input is not modified


def test_factor_premium_changes_one_column_for_the_same_people() -> None:
    frame = population(30, 30)
    effect = factor_premium(KnownModel(), frame, "education", "master", "bachelor", resamples=100)
    assert effect.premium == pytest.approx(MASTER_FACTOR - 1)
    assert effect.n == 60
    assert effect.n_with == int((frame["education"] == "master").sum())


def test_comparison_serialises_to_json_ready_dict() -> None:
    [result] = compare_roles(
        KnownModel(), population(60, 40), "ml_engineer", ["software_engineer"], resamples=50
    )
    values = result.to_dict()
    for key in ("role", "vs", "premium", "ci", "n", "raw_median_role", "raw_median_vs"):
        assert key in values
    assert isinstance(values["ci"], list) and len(values["ci"]) == 2
    assert values["model"] == "known" and values["model_version"] == "1"


# --- with a real (tiny) model artifact ---------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory):
    from artifact_factory import build_artifact

    from mlpay_model.model import load_model

    return load_model(build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full"))


def test_real_model_recovers_the_direction_of_known_role_effects(tiny_model) -> None:
    from artifact_factory import ROLE_PAY, canonical_frame

    frame = canonical_frame()
    results = compare_roles(
        tiny_model, frame, "Machine Learning Engineer", ["Data Analyst", "qa_engineer"]
    )
    by_vs = {result.vs: result for result in results}
    analyst = by_vs["data_analyst"]
    assert analyst.status == "ok" and analyst.premium is not None and analyst.ci is not None
    true_premium = ROLE_PAY["ml_engineer"] / ROLE_PAY["data_analyst"] - 1  # +69%
    assert 0.3 < analyst.premium < 1.2 * true_premium
    assert analyst.ci[0] > 0
    assert analyst.n == len(frame)
    # qa_engineer has 2 rows in the tiny data: folded into __other__ by the model.
    assert by_vs["qa_engineer"].status == "not_in_model"


def test_real_model_skill_premiums_follow_the_data(tiny_model) -> None:
    from artifact_factory import canonical_frame

    effects = {
        effect.value: effect
        for effect in skill_premiums(tiny_model, canonical_frame(), ["pytorch", "excel"])
    }
    assert effects["pytorch"].premium > effects["excel"].premium
    assert effects["pytorch"].premium > 0
    with pytest.raises(InvalidInputError, match="cobol"):
        skill_premiums(tiny_model, canonical_frame(), ["cobol"])


def test_a_stand_in_model_gets_the_people_only_interval_named_so() -> None:
    [result] = compare_roles(KnownModel(), population(60, 40), "ml_engineer", ["software_engineer"])
    assert result.interval == "people only" and result.refits == 0
    assert result.ci == result.ci_people and result.ci_refits is None
    assert result.to_dict()["ci_people"] == list(result.ci_people)


def test_refit_premiums_widen_the_interval() -> None:
    pay = np.full(200, 110.0)
    baseline = np.full(200, 100.0)
    fixed = ratio_premium(pay, baseline)
    assert fixed.ci == fixed.ci_people and fixed.ci[0] == fixed.ci[1]  # model fixed: no width
    joined = ratio_premium(pay, baseline, refit_premiums=(0.05, 0.10, 0.12, 0.15))
    assert joined.interval_kind == "model + people"
    assert joined.ci[0] < 0.1 - 0.01 and joined.ci[1] > 0.1 + 0.01
    assert joined.ci_people == fixed.ci_people and joined.ci_refits is not None


def test_a_factor_the_model_never_uses_is_not_an_estimate() -> None:
    frame = population(60, 40)
    [sql] = skill_premiums(KnownModel(), frame, ["sql"])  # the known model ignores sql
    assert sql.premium == 0.0 and not sql.estimated
    [python] = skill_premiums(KnownModel(), frame, ["python"])
    assert python.estimated


# --- a role change moves the title with the family (issue 22, item 5) -------------------------

TITLE_PAY = {"machine learning engineer": 1.25, "software engineer": 1.0}


class TitleModel(KnownModel):
    """`KnownModel` that also reads the title, as the pooled default does (`title` from
    `role_raw`): a "Machine Learning Engineer" title pays 25% more than a "Software Engineer"
    one on top of the family. Records every frame it prices."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[pd.DataFrame] = []

    def predict(self, profiles: pd.DataFrame) -> pd.DataFrame:
        from mlpay_model.taxonomy import title_key

        self.frames.append(profiles.copy())
        predicted = super().predict(profiles)
        factor = np.array([TITLE_PAY.get(title_key(t) or "", 1.0) for t in profiles["role_raw"]])
        return predicted.mul(factor, axis=0)


def titled_population(n_us: int) -> pd.DataFrame:
    """`population`, US only, with raw titles as the sources write them (some with a rank)."""
    frame = population(n_us, 0)
    titles = ["Software Engineer", "Senior Software Engineer", "Data Scientist", None]
    frame["role_raw"] = [titles[i % len(titles)] for i in range(len(frame))]
    return frame


def test_comparing_roles_changes_each_persons_title_with_the_role() -> None:
    model = TitleModel()
    [result] = compare_roles(
        model, titled_population(60), "Machine Learning Engineer", ["Software Engineer"]
    )
    # Family (1.3) and title (1.25 against 1.0) both move: the same person as an ML engineer
    # is titled as one, so the premium is 1.3 * 1.25 - 1, not the family's 30% alone.
    assert result.premium == pytest.approx(1.3 * 1.25 - 1)
    as_ml, as_swe = model.frames[0], model.frames[1]
    assert set(as_ml["role"]) == {"ml_engineer"} and set(as_swe["role"]) == {"software_engineer"}
    original = titled_population(60)["role_raw"]
    expected_ml = original.map(
        {"Senior Software Engineer": "Senior Machine Learning Engineer"}
    ).fillna("Machine Learning Engineer")
    assert as_ml["role_raw"].tolist() == expected_ml.tolist()
    assert as_swe["role_raw"].tolist() == [
        "Senior Software Engineer" if t == "Senior Software Engineer" else "Software Engineer"
        for t in original
    ]
    # Everything else is each person's own.
    kept = [c for c in titled_population(60).columns if c not in ("role", "role_raw")]
    pd.testing.assert_frame_equal(as_ml[kept], titled_population(60)[kept])


def test_with_value_refuses_the_role_so_the_title_cannot_be_left_behind() -> None:
    with pytest.raises(ValueError, match="with_role"):
        with_value(titled_population(4), "role", "ml_engineer")


@pytest.mark.parametrize("family", ROLE_FAMILIES)
def test_each_role_familys_title_is_read_back_as_that_family(family: str) -> None:
    from mlpay_model.taxonomy import role_family, title_key

    title = ROLE_TITLES[family]
    assert role_family(title) == family
    assert title_key(title) == title_key(family.replace("_", " "))  # the family, typed
    assert title_with_role("Sr. Data Analyst", family) == f"Sr. {title}"


@pytest.mark.parametrize(
    ("title", "role", "expected"),
    [
        ("Senior Software Engineer", "ml_engineer", "Senior Machine Learning Engineer"),
        ("Sr. Staff Software Engineer", "ML Engineer", "Sr. Staff ML Engineer"),
        ("Software Engineer, Senior", "data_scientist", "Senior Data Scientist"),
        ("Mid-Level Developer", "Data Scientist", "Mid-Level Data Scientist"),
        ("Lead Data Scientist", "software_engineer", "Lead Software Engineer"),
        ("Junior Analyst", "ml_engineer", "Junior Machine Learning Engineer"),
        # A target title with a rank of its own keeps it.
        ("Senior Software Engineer", "Junior ML Engineer", "Junior ML Engineer"),
        # Executive wording names a job, not a rank: not carried into the title.
        ("Head of Data", "ml_engineer", "Machine Learning Engineer"),
        ("Director of Engineering", "Data Scientist", "Data Scientist"),
        # No title, or one without a rank: the role's title alone.
        (None, "ml_engineer", "Machine Learning Engineer"),
        ("Developer, back-end", "ml_engineer", "Machine Learning Engineer"),
        ("Engineer-Lead", "ml_engineer", "Machine Learning Engineer"),
    ],
)
def test_the_new_title_is_the_roles_with_the_rank_words_carried(title, role, expected) -> None:
    assert title_with_role(title, role) == expected


def test_a_typed_profile_keeps_its_seniority_when_the_role_changes() -> None:
    # Rank words carry it in the title; executive wording is not carried, so its level is
    # kept as the seniority (as a frame keeps its seniority column).
    senior = arguments_with_role({"role": "Senior SWE", "country": "US"}, "ML Engineer")
    assert senior == {"role": "Senior ML Engineer", "country": "US"}
    head = arguments_with_role({"role": "Head of Data", "country": "US"}, "ML Engineer")
    assert head == {"role": "ML Engineer", "country": "US", "seniority": "executive"}
    given = arguments_with_role(
        {"role": "Head of Data", "country": "US", "seniority": "mid"}, "ml_engineer"
    )
    assert given == {"role": "Machine Learning Engineer", "country": "US", "seniority": "mid"}
    plain = arguments_with_role({"role": "Software Engineer", "country": "US"}, "ML Engineer")
    assert plain == {"role": "ML Engineer", "country": "US"}
