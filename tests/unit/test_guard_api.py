"""The Python door: `predict_salary` refuses bad input with one InvalidInputError line naming
the field and value, and says in `warnings` what it read as missing, dropped or worked out.

One rule for missing values everywhere (here, the CLI and batch files): a value that is
missing (None, NaN, an empty text) is allowed and read as unknown; a value given but read as
missing is said in `warnings`; ±inf is refused.
"""

from __future__ import annotations

import math

import pytest

from mlpay_model import InvalidInputError, predict_salary
from mlpay_model.errors import MESSAGE_VALUE_LIMIT

HUGE = "x" * 1_000_000

# (id, keyword arguments, field named, words in the one line)
REFUSED = [
    ("role-empty", {"role": ""}, "role", "must not be empty"),
    ("role-blank", {"role": "   "}, "role", "must not be empty"),
    ("role-none", {"role": None}, "role", "is required"),
    ("role-number", {"role": 5}, "role", "must be a job title"),
    ("country-none", {"country": None}, "country", "is required"),
    ("country-empty", {"country": ""}, "country", "must not be empty"),
    ("country-unknown", {"country": "Atlantis"}, "country", "unknown country"),
    ("country-bare-city", {"country": "Berlin"}, "country", "'Berlin, Germany' or 'DE'"),
    ("country-city-unknown-country", {"country": "Berlin, Atlantis"}, "country", "unknown"),
    ("country-unknown-place", {"country": "Atlantis"}, "country", "add its country"),
    ("country-number", {"country": 49}, "country", "must be a country name"),
    ("years-inf", {"years_experience": math.inf}, "years_experience", "finite"),
    ("years-minus-inf", {"years_experience": -math.inf}, "years_experience", "finite"),
    ("years-inf-text", {"years_experience": "inf"}, "years_experience", "finite"),
    ("years-negative", {"years_experience": -1}, "years_experience", "negative"),
    ("years-too-many", {"years_experience": 61}, "years_experience", "not plausible"),
    ("years-word", {"years_experience": "five"}, "years_experience", "not a number"),
    ("years-bool", {"years_experience": True}, "years_experience", "must be a number"),
    ("years-list", {"years_experience": [5]}, "years_experience", "must be a number"),
    ("education-unknown", {"education": "wizard"}, "education", "unknown education"),
    ("skills-number", {"skills": 5}, "skills", "must be a list"),
    ("skills-list-of-number", {"skills": ["python", 3]}, "skills", "must be text"),
    ("skills-dict", {"skills": {"python": 1}}, "skills", "must be a list"),
    ("seniority-unknown", {"seniority": "godlike"}, "seniority", "unknown seniority"),
    ("remote-too-high", {"remote_ratio": 150}, "remote_ratio", "0 to 100"),
    ("remote-nan-text", {"remote_ratio": "sometimes"}, "remote_ratio", "0 to 100"),
    ("year-fraction", {"year": 2024.5}, "year", "whole year"),
    ("year-far", {"year": 3000}, "year", "whole year"),
    ("company-size-unknown", {"company_size": "galactic"}, "company_size", "accepted"),
    ("employment-unknown", {"employment_type": "weekly"}, "employment_type", "accepted"),
    ("unknown-keyword", {"colour": "blue"}, "colour", "unknown argument"),
    ("huge-role-text-cut", {"country": HUGE}, "country", "unknown country"),
]


@pytest.mark.parametrize(
    ("arguments", "field", "words"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_bad_input_is_one_line_naming_field_and_value(arguments, field, words):
    profile = {"role": "ML Engineer", "country": "DE", **arguments}
    with pytest.raises(InvalidInputError) as caught:
        predict_salary(**profile)
    message = str(caught.value)
    assert caught.value.field == field
    assert message.startswith(f"{field}="), message
    assert words in message
    assert "\n" not in message
    assert len(message) < 2 * MESSAGE_VALUE_LIMIT + 300  # a 1 MB value is cut


# (id, keyword arguments, model, words in one warning, canonical values the profile holds)
SAID = [
    (
        "years-nan",
        {"years_experience": math.nan},
        "stackoverflow",
        "years_experience=nan is read as missing",
        {},
    ),
    (
        "years-empty-text",
        {"years_experience": ""},
        "stackoverflow",
        "years_experience='' is read as missing",
        {},
    ),
    ("years-blank-text", {"years_experience": "  "}, "stackoverflow", "is read as missing", {}),
    ("education-empty", {"education": ""}, "stackoverflow", "education='' is read as missing", {}),
    (
        "skills-separators-only",
        {"skills": ",,,"},
        "stackoverflow",
        "skills=',,,' is read as missing",
        {"skills": ()},
    ),
    (
        "skills-emoji",
        {"skills": ["🚀", "python"]},
        "stackoverflow",
        "skills dropped (no letter or digit in them): '🚀'",
        {"skills": ("python",)},
    ),
    (
        "skills-emoji-text",
        {"skills": "python, 🤖🤖"},
        "stackoverflow",
        "skills dropped",
        {"skills": ("python",)},
    ),
    (
        "skills-none-answer",
        {"skills": "None"},
        "stackoverflow",
        "skills='None' is read as missing",
        {"skills": ()},
    ),
    ("skills-punctuation", {"skills": "???"}, "stackoverflow", "skills dropped", {"skills": ()}),
    (
        "country-city",
        {"country": "Berlin, Germany"},
        "default",
        "read as DE (Germany)",
        {"country": "DE"},
    ),
    ("country-city-code", {"country": "Munich, DE"}, "default", "read as DE", {"country": "DE"}),
    (
        "country-city-region",
        {"country": "Austin, TX, United States"},
        "default",
        "read as US",
        {"country": "US"},
    ),
    ("remote-empty", {"remote_ratio": ""}, "default", "remote_ratio='' is read as missing", {}),
    ("year-nan", {"year": math.nan}, "default", "year=nan is read as missing", {}),
    ("seniority-nan", {"seniority": math.nan}, "default", "seniority=nan is read as missing", {}),
]


@pytest.mark.parametrize(
    ("arguments", "model", "words", "profile"), [c[1:] for c in SAID], ids=[c[0] for c in SAID]
)
def test_what_is_read_as_missing_dropped_or_worked_out_is_said(arguments, model, words, profile):
    given = {"role": "ML Engineer", "country": "DE", **arguments}
    prediction = predict_salary(**given, model=model)
    assert any(words in warning for warning in prediction.warnings), prediction.warnings
    for name, value in profile.items():
        assert prediction.profile[name] == value
    assert prediction.low <= prediction.median <= prediction.high


# (id, keyword arguments, canonical values the profile holds): valid input read as documented
READ = [
    ("skills-plus", {"skills": "Python + PyTorch"}, {"skills": ("python", "pytorch")}),
    ("skills-slash", {"skills": "SQL / Spark"}, {"skills": ("spark", "sql")}),
    ("skills-cpp-stays", {"skills": "C++, C#"}, {"skills": ("cpp", "csharp")}),
    ("skills-cpp-plus-python", {"skills": "C++ + Python"}, {"skills": ("cpp", "python")}),
    ("skills-bash-shell-stays", {"skills": "Bash/Shell"}, {"skills": ("bash",)}),
    ("skills-empty-list", {"skills": []}, {"skills": ()}),
    ("country-korea-comma-name", {"country": "Korea, Republic of"}, {"country": "KR"}),
    ("years-band", {"years_experience": "5-10 years"}, {}),
    ("years-none", {"years_experience": None}, {}),
]


@pytest.mark.parametrize(("arguments", "profile"), [c[1:] for c in READ], ids=[c[0] for c in READ])
def test_valid_input_is_read_as_documented(arguments, profile):
    given = {"role": "ML Engineer", "country": "DE", **arguments}
    prediction = predict_salary(**given, model="stackoverflow")
    for name, value in profile.items():
        assert prediction.profile[name] == value
    assert not any("read as missing" in warning for warning in prediction.warnings)
    assert not any("dropped" in warning for warning in prediction.warnings)
