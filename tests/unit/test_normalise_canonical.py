"""Canonical frames: `check_canonical` (mlpay_model.normalise._canonical)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpay_model.errors import InvalidInputError
from mlpay_model.normalise import (
    check_canonical,
)


def test_check_canonical_accepts_canonical_frames_with_missing_values():
    check_canonical(
        pd.DataFrame(
            {
                "role": ["ml_engineer", None],
                "country": ["US", np.nan],
                "education": [None, "master"],
                "years_experience": [1.0, np.nan],
            }
        )
    )


def test_check_canonical_refuses_other_objects():
    with pytest.raises(InvalidInputError, match="DataFrame"):
        check_canonical([{"role": "ml_engineer"}])
