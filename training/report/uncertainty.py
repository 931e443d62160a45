"""The model's own uncertainty in the report: the runtime's refits, re-exported.

The refits (median boosters refitted on grouped bootstrap resamples of a model's training
rows) and the interval that joins them with the people bootstrap live in the runtime
(`mlpay_model.compare`: `model_refits`, `RefitPremiums`, `combined_interval`), so that
`mlpay compare` and this report share one implementation and one on-disk cache.
"""

from __future__ import annotations

from mlpay_model.compare import CONFIDENCE, RefitPremiums, combined_interval, model_refits

__all__ = ["CONFIDENCE", "RefitPremiums", "combined_interval", "model_refits"]
