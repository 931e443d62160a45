from __future__ import annotations

import json

import pandas as pd

from mlpay_model.data.quality import QualityRules, apply_quality_rules
from mlpay_model.data.sources import SourceRows
from mlpay_model.data.summary import TOP_UNKNOWN_TITLES, render_summary, summarize
from mlpay_model.schema import conform

RULES = QualityRules(drop_outliers=False)


def frame(rows: list[dict]) -> pd.DataFrame:
    defaults = {"source": "test", "employment_status": "employed", "salary_usd": 80_000.0}
    table = pd.DataFrame([{**defaults, **row} for row in rows])
    table["row_number"] = range(1, len(table) + 1)
    return conform(table)


SAMPLE = [
    {
        "role": "ml_engineer",
        "role_raw": "ML Engineer",
        "country": "DE",
        "country_raw": "Germany",
        "years_experience": 4.0,
        "education": "master",
        "skills": ("python",),
        "year": 2024,
    },
    {
        "role": "other",
        "role_raw": "Wizard",
        "country": None,
        "country_raw": "Atlantis",
        "skills": (),
        "year": 2024,
    },
    {"role": "other", "role_raw": "Wizard", "country": "US", "country_raw": "USA"},
    {"role": "data_scientist", "role_raw": "DS", "country": None, "country_raw": None},
    # Dropped (no pay): counted in the read-row measures, not in coverage or roles.
    {
        "role": "other",
        "role_raw": "Student",
        "country": None,
        "country_raw": "Atlantis",
        "salary_usd": None,
    },
]


def test_counts_coverage_and_unknowns() -> None:
    profiles = frame(SAMPLE)
    summary = summarize(SourceRows(profiles), apply_quality_rules(profiles, RULES))
    assert summary["source"] == "test"
    assert summary["rows_read"] == 5
    assert summary["rows_kept"] == 4
    assert summary["dropped"]["no_pay"] == 1
    assert sum(summary["dropped"].values()) == 1
    coverage = summary["coverage"]
    assert coverage["role"] == 0.5  # 'other' does not count as a known role
    assert coverage["country"] == 0.5
    assert coverage["years_experience"] == 0.25
    assert coverage["education"] == 0.25
    assert coverage["skills"] == 0.25  # an empty tuple is no skills
    assert coverage["year"] == 0.5
    assert coverage["seniority"] == 0.0
    # 4 read rows have a raw country, 2 of them got an ISO code.
    assert summary["country_iso_share"] == 0.5
    assert summary["roles"] == {"other": 2, "data_scientist": 1, "ml_engineer": 1}
    assert summary["unknown_titles"] == {"Wizard": 2, "Student": 1}
    assert summary["unknown_countries"] == {"Atlantis": 2}


def test_unknown_titles_are_the_most_frequent_twenty() -> None:
    rows = [
        {"role": "other", "role_raw": f"Title {n:02d}"} for n in range(30) for _ in range(n + 1)
    ]
    profiles = frame(rows)
    titles = summarize(SourceRows(profiles), apply_quality_rules(profiles, RULES))["unknown_titles"]
    assert len(titles) == TOP_UNKNOWN_TITLES
    assert next(iter(titles.items())) == ("Title 29", 30)
    assert list(titles.values()) == sorted(titles.values(), reverse=True)


def test_summary_is_json_ready_and_renders_as_text() -> None:
    profiles = frame(SAMPLE)
    summary = summarize(SourceRows(profiles), apply_quality_rules(profiles, RULES))
    assert json.loads(json.dumps(summary)) == summary
    text = render_summary(summary)
    assert "rows read: 5" in text
    assert "rows kept: 4" in text
    assert "no_pay" in text
    assert "50.0%" in text
    assert "Atlantis" in text


def test_empty_result_has_zero_shares() -> None:
    profiles = frame([{"role": "other", "salary_usd": None}])
    summary = summarize(SourceRows(profiles), apply_quality_rules(profiles, RULES))
    assert summary["rows_kept"] == 0
    assert set(summary["coverage"].values()) == {0.0}
    assert "(none)" in render_summary(summary)


def test_many_unknown_countries_are_cut_in_the_text_but_not_the_dict() -> None:
    rows = [{"country": None, "country_raw": f"Land {n}"} for n in range(25)]
    profiles = frame(rows)
    summary = summarize(SourceRows(profiles), apply_quality_rules(profiles, RULES))
    assert len(summary["unknown_countries"]) == 25
    assert "... 5 more" in render_summary(summary)


def test_rows_refused_through_a_mapping_count_as_read_and_dropped(tmp_path, capsys):
    from mlpay_model.cli import main

    (tmp_path / "hr.csv").write_text(
        "Title,Where,Type,Pay\n"
        "ML Engineer,Germany,FT,90000\n"
        "Data Scientist,US,weekly,120000\n"
        "Data Analyst,FR,FT,50000\n",
        encoding="utf-8",
    )
    (tmp_path / "map.yaml").write_text(
        "columns: {role: Title, country: Where, employment_type: Type, salary_usd: Pay}\n",
        encoding="utf-8",
    )
    status = main(
        [
            "data",
            "summary",
            "--source",
            "csv",
            "--path",
            str(tmp_path / "hr.csv"),
            "--mapping",
            str(tmp_path / "map.yaml"),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert summary["rows_read"] == 3 and summary["rows_kept"] == 2
    assert summary["dropped"]["invalid_value"] == 1


def test_publisher_summaries_have_no_invalid_value_count():
    profiles = conform(pd.DataFrame({"role": ["ml_engineer"], "source": ["aijobs"]}))
    summary = summarize(SourceRows(profiles), apply_quality_rules(profiles, RULES))
    assert "invalid_value" not in summary["dropped"] and summary["rows_read"] == 1
