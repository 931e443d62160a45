"""The toy source of docs/data.md "Add a data source": the adapter module's text (it registers
the source `toypay` when imported) and a synthetic file in its format. A test fixture, not a
result. Used by tests/unit/test_source_registry.py (loaded and summarised) and
tests/integration/train/test_source_registry_trained.py (trained on and scored)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TOY = "toypay"
TOY_MODULE = "mlpay_toy_source_plugin"
TOY_LICENCE = "Toy pay export: synthetic test rows, no licence needed."
TOY_MIN_PAY = 5_000.0


ADAPTER = f'''\
"""A toy source: title, country, years and yearly pay in USD (docs/data.md: Add a data source)."""

from pathlib import Path

import pandas as pd

from mlpay_model.data.sources import DataSource, register_source
from mlpay_model.schema import conform
from mlpay_model.taxonomy import country_code, role_family


def load(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    profiles = pd.DataFrame(
        {{
            "role": raw["title"].map(role_family),
            "role_raw": raw["title"],
            "country": raw["country"].map(country_code),
            "country_raw": raw["country"],
            "years_experience": raw["years"],
            "source": "{TOY}",
            "row_number": range(1, len(raw) + 1),
            "employment_status": "employed",
            "salary_usd": raw["pay_usd"],
        }}
    )
    return conform(profiles)


register_source(
    DataSource(
        name="{TOY}",
        adapter="{TOY_MODULE}:load",
        label="Toy pay export",
        pay_concept="base_salary",
        licence="{TOY_LICENCE}",
        attribution="toy pay export, synthetic",
        min_pay_usd={TOY_MIN_PAY},
        model_card_caveat="Toy: synthetic rows made for a test.",
    )
)
'''


def write_toy_csv(path: Path, rows: int = 600, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    titles = {"Machine Learning Engineer": 1.3, "Data Scientist": 1.1, "Data Analyst": 0.8}
    countries = {"United States": 1.0, "Germany": 0.6, "India": 0.25}
    title = rng.choice(list(titles), rows)
    country = rng.choice(list(countries), rows)
    years = rng.integers(0, 20, rows)
    pay = (
        90_000
        * np.array([titles[t] for t in title])
        * np.array([countries[c] for c in country])
        * (1 + 0.04 * years)
        * np.exp(rng.normal(0, 0.15, rows))
    ).round(-2)
    frame = pd.DataFrame({"title": title, "country": country, "years": years, "pay_usd": pay})
    frame.to_csv(path, index=False)
    return path
