"""Generate a large CSV of canonical profiles for scoring benchmarks (seeded, reproducible).

Values are drawn from a model's vocabularies (its roles, countries and skills), so every row
normalises and scores like a real one; 1 row in 1,000 has an unknown country so that the
rejects path is exercised too. Usage:

    python benchmarks/generate_profiles.py --rows 1000000 --model default -o /tmp/p1m.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from mlpay_model.model.features import OTHER_CATEGORY
from mlpay_model.schema import (
    COMPANY_SIZES,
    EDUCATION_LEVELS,
    EMPLOYMENT_TYPES,
    ROLE_FAMILIES,
    SENIORITY_LEVELS,
)

BLOCK_ROWS: Final = 500_000
UNKNOWN_COUNTRY_RATE: Final = 0.001
# Used when the model has no skills feature (the file still carries a skills column).
FALLBACK_SKILLS: Final[tuple[str, ...]] = (
    "aws",
    "docker",
    "java",
    "javascript",
    "kubernetes",
    "python",
    "pytorch",
    "r",
    "scikit-learn",
    "spark",
    "sql",
    "tensorflow",
)
FALLBACK_COUNTRIES: Final[tuple[str, ...]] = ("US", "GB", "DE", "FR", "IN", "CA", "BR", "ES")


def vocabularies(model: str) -> dict[str, tuple[str, ...]]:
    """Roles, countries and skills the model knows (fallbacks where it has no such feature)."""
    from mlpay_model.model import load_model

    spec = load_model(model).spec

    def known(name: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
        values = tuple(v for v in spec.categories.get(name, ()) if v != OTHER_CATEGORY)
        return values or fallback

    return {
        "role": known("role", ROLE_FAMILIES),
        "country": known("country", FALLBACK_COUNTRIES),
        "skills": spec.skills or FALLBACK_SKILLS,
    }


def profile_block(
    rows: int, vocab: dict[str, tuple[str, ...]], rng: np.random.Generator
) -> pa.Table:
    """`rows` canonical profiles as text columns, as a user's CSV would hold them."""
    skills = np.array(vocab["skills"], dtype=object)
    counts = rng.integers(0, 6, size=rows)
    picks = rng.integers(0, len(skills), size=(rows, 5))
    skill_text = [
        ";".join(sorted(set(skills[row[:n]]))) for row, n in zip(picks, counts, strict=True)
    ]
    country = rng.choice(np.array(vocab["country"], dtype=object), size=rows)
    country[rng.random(rows) < UNKNOWN_COUNTRY_RATE] = "Atlantis"
    years = np.round(rng.gamma(2.0, 4.0, size=rows), 1).astype(str)
    columns = {
        "id": np.arange(rows).astype(str),
        "role": rng.choice(np.array(vocab["role"], dtype=object), size=rows),
        "country": country,
        "years_experience": years,
        "education": rng.choice(np.array(EDUCATION_LEVELS, dtype=object), size=rows),
        "skills": skill_text,
        "seniority": rng.choice(np.array(SENIORITY_LEVELS, dtype=object), size=rows),
        "employment_type": rng.choice(np.array(EMPLOYMENT_TYPES, dtype=object), size=rows),
        "remote_ratio": rng.choice(np.array(["0", "50", "100"], dtype=object), size=rows),
        "company_size": rng.choice(np.array(COMPANY_SIZES, dtype=object), size=rows),
        "year": rng.choice(np.array(["2022", "2023", "2024"], dtype=object), size=rows),
    }
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def write_profiles(path: Path, rows: int, model: str, seed: int = 0) -> Path:
    """Write `rows` generated profiles to the CSV `path`, block by block."""
    vocab = vocabularies(model)
    rng = np.random.default_rng(seed)
    writer: pa_csv.CSVWriter | None = None
    try:
        for start in range(0, rows, BLOCK_ROWS):
            block = profile_block(min(BLOCK_ROWS, rows - start), vocab, rng)
            block = block.set_column(
                0, "id", pa.array(np.arange(start, start + block.num_rows).astype(str))
            )
            if writer is None:
                writer = pa_csv.CSVWriter(str(path), block.schema)
            writer.write_table(block)
    finally:
        if writer is not None:
            writer.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--model", default="default", help="model whose vocabularies to use")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    write_profiles(args.output, args.rows, args.model, args.seed)
    print(f"wrote {args.rows:,} profiles to {args.output}")


if __name__ == "__main__":
    main()
