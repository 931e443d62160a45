"""Taxonomies: what sources and users write, mapped to canonical values of `mlpay_model.schema`.

One module per factor. Rules live in data files beside the modules (YAML/CSV), not in code.
Every function accepts None/NaN and returns the 'missing' value for it; none of them raises on
unknown text (unknowns map to `other`/None and are counted by reports). Functions are cached:
they are called once per distinct raw value.
"""

from mlpay_model.taxonomy.countries import (
    country_code,
    country_name,
    country_of_city,
    is_country_answer,
)
from mlpay_model.taxonomy.education import education_level
from mlpay_model.taxonomy.employment import employment_status, employment_type
from mlpay_model.taxonomy.experience import experience_years
from mlpay_model.taxonomy.roles import (
    role_family,
    role_family_of_list,
    title_key,
    title_key_without_rank,
    unmapped_titles,
)
from mlpay_model.taxonomy.seniority import seniority_level, title_seniority
from mlpay_model.taxonomy.skills import canonical_skill, canonical_skills, is_unreadable_skill
from mlpay_model.taxonomy.workplace import company_size, remote_ratio

__all__ = [
    "canonical_skill",
    "canonical_skills",
    "company_size",
    "country_code",
    "country_name",
    "country_of_city",
    "education_level",
    "employment_status",
    "employment_type",
    "experience_years",
    "is_country_answer",
    "is_unreadable_skill",
    "remote_ratio",
    "role_family",
    "role_family_of_list",
    "seniority_level",
    "title_key",
    "title_key_without_rank",
    "title_seniority",
    "unmapped_titles",
]
