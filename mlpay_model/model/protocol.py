"""`PayModel`: what pricing people needs from a model, so a stand-in can replace `SalaryModel`.

The counterfactual comparisons (`mlpay_model.compare`, and the report built on them) only name
the model, read its feature spec and predict frames; tests use a model whose true effects are
known. Code that needs more of a model (batch scoring's `uses` and `--contributions`, the
report's `manifest`) takes a `SalaryModel` itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from mlpay_model.model.features import FeatureSpec


class PayModel(Protocol):
    """A model that prices canonical profiles (`SalaryModel` is the one mlpay ships)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def spec(self) -> FeatureSpec: ...

    @property
    def factors(self) -> tuple[str, ...]:
        """The canonical columns the model prices (its trees' and its effects')."""
        ...

    @property
    def skills(self) -> tuple[str, ...]:
        """The skills the model prices; any other skill word changes nothing."""
        ...

    def predict(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Columns `mlpay_model.schema.PREDICTION_COLUMNS` (annual pay), one row per profile."""
        ...
