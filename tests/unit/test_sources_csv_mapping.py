"""User CSV/Parquet + YAML mapping adapter: the mapping format, its errors, and the values."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from mlpay_model import schema
from mlpay_model.data.sources import RejectedRowsWarning, load_profiles
from mlpay_model.data.sources.csv_mapping import ColumnMapping, read_mapping
from mlpay_model.data.sources.csv_mapping import load as load_mapped
from mlpay_model.errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_MAPPING = ROOT / "configs" / "mappings" / "example_hr.yaml"
EXAMPLE_DATA = ROOT / "tests" / "fixtures" / "example_hr.csv"


def load(path: Path, mapping: Path) -> pd.DataFrame:
    """The profiles `load_profiles` gives for a mapped file (what training reads)."""
    return load_profiles("csv", path, mapping)


PEOPLE = {
    "Title": ["Machine Learning Engineer", "Data Analyst", "Backend Developer"],
    "Location": ["Germany", "US", "FR"],
    "Monthly Pay": ["8000", "", "5000"],
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def people_csv(folder: Path, columns: dict[str, list[str]] | None = None) -> Path:
    path = folder / "people.csv"
    pd.DataFrame(columns or PEOPLE).to_csv(path, index=False)
    return path


def mapping_file(folder: Path, body: str) -> Path:
    return write(folder, "mapping.yaml", body)


MINIMAL = "columns:\n  role: Title\n  country: Location\n"


# --- the shipped example ----------------------------------------------------------------------


def test_example_mapping_reads_the_example_file() -> None:
    frame = load(EXAMPLE_DATA, EXAMPLE_MAPPING)

    assert list(frame.columns) == list(schema.PROFILE_COLUMNS)
    assert frame["row_number"].tolist() == [1, 2, 3]
    assert set(frame["source"]) == {"csv"}
    assert frame["role"].tolist() == ["ml_engineer", "data_scientist", "frontend_engineer"]
    assert frame["role_raw"][0] == "Senior Machine Learning Engineer"
    assert frame["country"].tolist() == ["DE", "US", "FR"]
    assert frame["country_raw"].tolist() == ["Germany", "United States", "FR"]
    assert frame["years_experience"].tolist()[:2] == [7.0, 3.0]
    assert math.isnan(frame["years_experience"][2])
    assert frame["education"].tolist() == ["master", "bachelor", None]
    assert frame["skills"][0] == ("aws", "python", "pytorch")
    assert frame["skills"][1] == ("python", "scikit-learn", "sql")
    assert frame["seniority"].tolist() == ["senior", "mid", "entry"]
    assert frame["employment_type"].tolist() == ["full_time", "full_time", "contract"]
    assert frame["remote_ratio"].tolist() == [50.0, 100.0, 0.0]
    assert frame["company_size"].tolist() == ["large", "large", "small"]
    assert frame["year"].tolist() == [2024, 2024, 2024]
    assert frame["salary_usd"].tolist()[:2] == [98_000.0, 135_000.0]
    assert math.isnan(frame["salary_usd"][2])
    assert set(frame["employment_status"]) == {"unknown"}  # not mapped


def test_parquet_gives_the_same_profiles_as_csv(tmp_path: Path) -> None:
    parquet = tmp_path / "example_hr.parquet"
    # Let pandas type the columns (ints, floats with NaN) as a real Parquet export would.
    pd.read_csv(EXAMPLE_DATA).to_parquet(parquet)

    from_parquet = load(parquet, EXAMPLE_MAPPING)
    pd.testing.assert_frame_equal(from_parquet, load(EXAMPLE_DATA, EXAMPLE_MAPPING))


def test_registry_passes_the_mapping(tmp_path: Path) -> None:
    frame = load_profiles("csv", people_csv(tmp_path), mapping_file(tmp_path, MINIMAL))
    assert len(frame) == 3


def test_example_mapping_is_valid_and_documents_every_field() -> None:
    spec = read_mapping(EXAMPLE_MAPPING)
    text = EXAMPLE_MAPPING.read_text(encoding="utf-8")

    assert spec.source_name == "acme_hr"
    assert spec.skills_separator == ";"
    for name in schema.FACTOR_COLUMNS + schema.CONTEXT_COLUMNS + schema.TARGET_COLUMNS:
        assert name in text, name


# --- values -----------------------------------------------------------------------------------


def test_role_and_country_alone_are_enough(tmp_path: Path) -> None:
    frame = load(people_csv(tmp_path), mapping_file(tmp_path, MINIMAL))

    assert frame["role"].tolist() == ["ml_engineer", "data_analyst", "backend_engineer"]
    assert frame["country"].tolist() == ["DE", "US", "FR"]
    assert frame["country_raw"][0] == "Germany"
    assert frame["skills"].tolist() == [(), (), ()]
    assert not schema.has_pay(frame).any()


def test_salary_multiplier_turns_monthly_into_annual_pay(tmp_path: Path) -> None:
    mapping = mapping_file(tmp_path, MINIMAL + "  salary_usd: Monthly Pay\nsalary_multiplier: 12\n")
    frame = load(people_csv(tmp_path), mapping)

    assert frame["salary_usd"][0] == 96_000.0
    assert math.isnan(frame["salary_usd"][1])
    assert frame["salary_usd"][2] == 60_000.0


def test_pay_band_columns_fill_the_band_edges(tmp_path: Path) -> None:
    data = people_csv(
        tmp_path, {**PEOPLE, "Min": ["90000", "50000", ""], "Max": ["110000", "70000", ""]}
    )
    mapping = mapping_file(tmp_path, MINIMAL + "  salary_usd_low: Min\n  salary_usd_high: Max\n")
    frame = load(data, mapping)

    low, high = schema.target_interval(frame)
    assert low[:2].tolist() == [90_000.0, 50_000.0]
    assert high[:2].tolist() == [110_000.0, 70_000.0]
    assert frame["salary_usd"].isna().all()
    assert schema.has_pay(frame).tolist() == [True, True, False]


def test_custom_skills_separator(tmp_path: Path) -> None:
    data = people_csv(tmp_path, {**PEOPLE, "Stack": ["Python | SQL", "", "Java|Go"]})
    mapping = mapping_file(tmp_path, MINIMAL + '  skills: Stack\nskills_separator: "|"\n')
    frame = load(data, mapping)

    assert frame["skills"].tolist() == [("python", "sql"), (), ("go", "java")]


def test_employment_status_and_words_for_context_fields(tmp_path: Path) -> None:
    data = people_csv(
        tmp_path,
        {
            **PEOPLE,
            "Status": ["Employed", "self-employed", "Unemployed"],
            "Type": ["Part-time", "Freelancer", "CT"],
            "Remote": ["Remote", "25%", "On-site"],
            "Size": ["S", "50 to 249 employees", "12000"],
        },
    )
    mapping = mapping_file(
        tmp_path,
        MINIMAL
        + "  employment_status: Status\n  employment_type: Type\n"
        + "  remote_ratio: Remote\n  company_size: Size\n",
    )
    frame = load(data, mapping)

    assert frame["employment_status"].tolist() == ["employed", "self_employed", "not_employed"]
    assert frame["employment_type"].tolist() == ["part_time", "freelance", "contract"]
    assert frame["remote_ratio"].tolist() == [100.0, 25.0, 0.0]
    assert frame["company_size"].tolist() == ["small", "medium", "large"]


def test_seniority_column_wins_and_titles_fill_the_gaps(tmp_path: Path) -> None:
    titles = ["Senior Data Scientist", "Junior Data Analyst", "Lead Data Engineer", "Engineer"]
    data = people_csv(
        tmp_path,
        {"Title": titles, "Location": ["DE"] * 4, "Level": ["Mid", "", "", ""]},
    )
    unmapped = load(data, mapping_file(tmp_path, MINIMAL))
    mapped = load(data, mapping_file(tmp_path, MINIMAL + "  seniority: Level\n"))

    assert unmapped["seniority"].tolist() == ["senior", "entry", "senior", None]
    assert mapped["seniority"].tolist() == ["mid", "entry", "senior", None]


def test_read_mapping_defaults(tmp_path: Path) -> None:
    spec = read_mapping(mapping_file(tmp_path, MINIMAL))

    assert spec == ColumnMapping(
        columns={"role": "Title", "country": "Location"}, source_name="mapping"
    )
    assert spec.skills_separator == ";"
    assert spec.salary_multiplier == 1.0


# --- mapping errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", ["expected a YAML column mapping", "the file is empty"]),
        ("- role\n- country\n", ["expected a YAML column mapping", "list"]),
        ("columns: [role: Title\n", ["invalid YAML", "line"]),
        (MINIMAL + "columns:\n  role: Job\n", ["duplicate key 'columns'", "line 4"]),
        (MINIMAL + "skill_separator: ','\n", ["unknown key 'skill_separator'", "skills_separator"]),
        ("columns:\n  title: Title\n  country: Location\n", ["unknown field", "'title'", "role"]),
        ("columns:\n  country: Location\n", ["must map role", "required"]),
        ("columns:\n  role: Title\n", ["must map country"]),
        ("source_name: x\n", ["'columns' must map canonical fields"]),
        ("columns:\n  role: Title\n  country: 2024\n", ["columns.country = 2024", "quote"]),
        (
            MINIMAL + "  salary_usd: Pay\n  salary_usd_low: Min\n  salary_usd_high: Max\n",
            ["either salary_usd", "not both"],
        ),
        (MINIMAL + "  salary_usd_low: Min\n", ["needs both salary_usd_low and salary_usd_high"]),
        (MINIMAL + "salary_multiplier: 0\n", ["salary_multiplier=0", "positive number"]),
        (MINIMAL + "salary_multiplier: twelve\n", ["salary_multiplier='twelve'"]),
        (MINIMAL + "skills_separator: ''\n", ["skills_separator=''", "non-empty"]),
        (MINIMAL + "source_name: [a, b]\n", ["source_name=['a', 'b']"]),
    ],
)
def test_invalid_mappings_name_the_problem_and_the_file(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    mapping = mapping_file(tmp_path, body)
    with pytest.raises(ConfigError) as error:
        read_mapping(mapping)
    message = str(error.value)
    assert str(mapping) in message
    for part in expected:
        assert part in message


def test_unknown_field_lists_the_accepted_fields(tmp_path: Path) -> None:
    mapping = mapping_file(tmp_path, "columns:\n  job: Title\n  country: Location\n")
    with pytest.raises(ConfigError) as error:
        read_mapping(mapping)
    for name in ("role", "years_experience", "salary_usd_high", "company_size"):
        assert name in str(error.value)


def test_a_missing_mapping_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load(people_csv(tmp_path), tmp_path / "absent.yaml")


# --- data errors ------------------------------------------------------------------------------


def test_a_mapped_column_missing_from_the_data_names_column_and_both_files(tmp_path: Path) -> None:
    data = people_csv(tmp_path)
    mapping = mapping_file(tmp_path, "columns:\n  role: Job Title\n  country: Location\n")
    with pytest.raises(DataError) as error:
        load(data, mapping)
    message = str(error.value)
    for part in ("'Job Title'", str(data), str(mapping), "role", "Title"):
        assert part in message


def test_a_missing_data_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "absent.csv", mapping_file(tmp_path, MINIMAL))


@pytest.mark.parametrize(
    ("field", "values", "bad_row", "reason"),
    [
        ("salary_usd", ["90000", "$85,000", ""], 2, "not a number"),
        ("year", ["2024", "2023.5", ""], 2, "whole year"),
        ("remote_ratio", ["0", "", "150"], 3, "0 to 100"),
        ("employment_type", ["FT", "weekly", ""], 2, "full_time, part_time"),
        ("employment_status", ["employed", "", "on leave"], 3, "retired"),
        ("company_size", ["huge", "S", ""], 1, "headcount"),
        ("years_experience", ["3", "many", ""], 2, "not a number of years"),
    ],
)
def test_a_bad_cell_is_a_reject_with_row_field_column_value_and_reason(
    tmp_path: Path, field: str, values: list[str], bad_row: int, reason: str
) -> None:
    data = people_csv(tmp_path, {**PEOPLE, "Value": values})
    mapping = mapping_file(tmp_path, MINIMAL + f"  {field}: Value\n")
    mapped = load_mapped(data, mapping)

    assert mapped.rows_read == 3
    assert mapped.profiles["row_number"].tolist() == [n for n in (1, 2, 3) if n != bad_row]
    [reject] = mapped.rejected.to_dict("records")
    assert (reject["row_number"], reject["field"], reject["column"]) == (bad_row, field, "Value")
    assert reject["value"] == values[bad_row - 1]
    assert reason in reject["reason"]


def test_load_keeps_rejected_rows_out_and_warns_with_their_row_numbers(tmp_path: Path) -> None:
    data = people_csv(tmp_path, {**PEOPLE, "Location": ["Germany", "Germny", "Narnia"]})
    with pytest.warns(RejectedRowsWarning) as caught:
        frame = load_profiles("csv", data, mapping_file(tmp_path, MINIMAL))

    assert frame["row_number"].tolist() == [1]
    message = str(caught[0].message)
    assert "2 of 3 row(s) kept out" in message
    assert "row 2: Location='Germny' (country) unknown country" in message
    assert "row 3: Location='Narnia'" in message


def test_self_employed_and_a_spaced_percentage_agree_with_predict_salary(tmp_path: Path) -> None:
    from mlpay_model.normalise import normalise_profile

    data = people_csv(tmp_path, {**PEOPLE, "Type": ["self employed"] * 3, "Remote": [" 40 % "] * 3})
    mapping = mapping_file(tmp_path, MINIMAL + "  employment_type: Type\n  remote_ratio: Remote\n")
    frame = load(data, mapping)
    typed = normalise_profile(
        "ML Engineer", "DE", employment_type="self employed", remote_ratio=" 40 % "
    ).record

    assert frame["employment_type"].tolist() == [typed["employment_type"]] * 3 == ["freelance"] * 3
    assert frame["remote_ratio"].tolist() == [typed["remote_ratio"]] * 3 == [40.0] * 3
