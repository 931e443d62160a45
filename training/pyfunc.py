"""The mlpay salary model as an MLflow pyfunc, so MLflow tools can serve and batch-score it.

The model is logged as *code* (MLflow "models from code"): MLflow copies this file next to
the artifact folder and runs it at load time, so loading never unpickles anything, just like
`mlpay_model.load_model`. For that reason this file imports nothing from `training` and only
the runtime package `mlpay_model` (shipped with the logged model through `code_paths`).

Input: a DataFrame of profile columns (PYFUNC_INPUT_COLUMNS; only `role` is required), as
people type them or canonical ("Senior ML Engineer" or "ml_engineer", "Germany" or "DE",
years 5 or "5-10", skills a list of names or one "python;sql" / "python, sql" text, absent
or null in any row), read by the one normaliser `predict_salary` uses. The signature leaves
the numbers and skills untyped (MLflow's AnyType) so that the normaliser, not MLflow's
casts, judges them. Output: a DataFrame with `median`, `low` and `high` annual USD pay, one
row per input row, in the input's order; a model of more than one source population
(`SalaryModel.populations`) adds `median_<source>` per population, the median for the same
person as paid in that source's data, as `predict_salary(...).by_source` gives it; last,
`pay_year`: the row's year, else the latest pay year of its population's training data (NaN
for a model whose manifest records no pay years). A row
that cannot be read refuses the request with RefusedInputError: an InvalidInputError and an
MlflowException (INVALID_PARAMETER_VALUE), so `mlflow models serve` answers HTTP 400 with one
line naming the row, field and value.

Using a registered version:
    mlflow models serve -m models:/mlpay-aijobs@champion --env-manager local --port 5001
    POST /invocations {"dataframe_records": [{"role": "Senior ML Engineer", "country": "DE"}]}

    udf = mlflow.pyfunc.spark_udf(spark, "models:/mlpay-aijobs@champion", env_manager="local")
    df.withColumn("pay", udf(struct(*columns)))  # a struct: columns are matched by name
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, set_model
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.pyfunc import PythonModel

from mlpay_model.errors import InvalidInputError
from mlpay_model.model.features import NUMERIC_FEATURES
from mlpay_model.normalise import normalise_frame
from mlpay_model.schema import (
    CONTEXT_COLUMNS,
    DERIVED_FEATURES,
    FACTOR_COLUMNS,
    PREDICTION_COLUMNS,
    is_missing,
)

if TYPE_CHECKING:
    from mlpay_model.model import SalaryModel

ARTIFACT_KEY: Final = "salary_model"
"""Name of the artifact folder in the pyfunc's `artifacts` (and so in `context.artifacts`)."""

# The model's inputs are the canonical columns features can be built from (see schema.py).
PYFUNC_INPUT_COLUMNS: Final[tuple[str, ...]] = (*FACTOR_COLUMNS, *CONTEXT_COLUMNS, "source")
NUMBER_COLUMNS: Final[tuple[str, ...]] = NUMERIC_FEATURES
STRING_COLUMNS: Final[tuple[str, ...]] = tuple(
    name for name in PYFUNC_INPUT_COLUMNS if name not in (*NUMBER_COLUMNS, "skills")
)
TITLE_COLUMN: Final = DERIVED_FEATURES["title"]
"""role_raw: the title as the request wrote it, kept beside the canonical columns."""
UNTYPED_COLUMNS: Final[tuple[str, ...]] = (*NUMBER_COLUMNS, "skills")
"""Declared AnyType: numbers may come as text ("5-10 years", "hybrid"), skills as a list or
a text, and either may be missing from some records of a request."""


class RefusedInputError(InvalidInputError, MlflowException):
    """A pyfunc input row the normaliser cannot read: "field='value': row N: reason".

    As an MlflowException with INVALID_PARAMETER_VALUE it makes MLflow's scoring server
    answer HTTP 400 with this message and no stack trace. The server prefixes the message
    with the whole input frame ("Failed to predict data '...'. Error: ..."); the message is
    kept as first set, so the client reads one line.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        InvalidInputError.__init__(self, field, value, reason)
        MlflowException.__init__(self, str(self), error_code=INVALID_PARAMETER_VALUE)

    @property
    def message(self) -> str:
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        if not hasattr(self, "_message"):
            self._message = value


class SalaryPyfunc(PythonModel):
    """Wraps an mlpay artifact folder; predicts median, low and high annual USD pay."""

    def load_context(self, context: Any) -> None:
        from mlpay_model.model import load_model

        self._model = load_model(context.artifacts[ARTIFACT_KEY])

    @property
    def salary_model(self) -> SalaryModel:
        """The loaded artifact, for callers that hold canonical profiles (`role_raw` and all)
        rather than what people type, such as the registry scoring a champion."""
        return self._model

    # MLflow reads this type hint: a DataFrame means "use the logged signature" (any other hint
    # would be taken as the input schema, and no hint draws a warning).
    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        profiles = canonical_input(pd.DataFrame(model_input))
        predictions = self._model.predict(profiles)
        out = predictions.loc[:, list(PREDICTION_COLUMNS)].reset_index(drop=True)
        out = out.assign(**source_medians(self._model, profiles, out["median"]))
        pay_year = self._model.default_pay_years(profiles).reset_index(drop=True)
        return out.assign(**{PAY_YEAR_COLUMN: pay_year})


PAY_YEAR_COLUMN = "pay_year"
"""The output column of the year each row's pay is for: the row's year, else the latest pay
year of its population (`SalaryModel.default_pay_years`)."""


def source_column(source: str) -> str:
    """The output column of one source population's median: `median_<source>`."""
    return f"median_{source}"


def source_medians(
    model: SalaryModel, profiles: pd.DataFrame, median: pd.Series
) -> dict[str, pd.Series]:
    """`median_<source>` per source population of a model that has more than one (none for
    a single-source model), computed as `predict_salary(...).by_source` computes them: a
    model with the `source` feature prices each row as each source; one without it gives
    every population the row's own median."""
    if len(model.populations) <= 1:
        return {}
    if not model.uses("source"):
        return {source_column(name): median for name in model.populations}
    return {
        source_column(name): model.predict(profiles.assign(source=name))["median"].reset_index(
            drop=True
        )
        for name in model.populations
    }


def canonical_input(frame: pd.DataFrame) -> pd.DataFrame:
    """The pyfunc input as canonical profiles, through the one normaliser.

    Serving and Spark hand over skills as numpy arrays or lists and missing values as None or
    NaN; after undoing that, the columns go through `normalise_frame` like every other door,
    so raw titles, country names, education words and skill aliases are accepted; skills may
    be a list or one "python;sql" text per row. A row that cannot be read raises
    RefusedInputError (an InvalidInputError) naming the row, field, value and reason.
    """
    columns = {
        name: frame[name].reset_index(drop=True)
        for name in PYFUNC_INPUT_COLUMNS
        if name in frame.columns
    }
    if "skills" in columns:
        columns["skills"] = pd.Series(
            [_skills_or_text(value) for value in columns["skills"]], dtype=object
        )
    raw = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    try:
        normalised = normalise_frame(raw, required=("role",))
    except InvalidInputError as error:  # e.g. no role column at all
        raise RefusedInputError(error.field, error.value, error.reason) from None
    refusal = normalised.refusal()
    if refusal is not None:
        raise RefusedInputError(refusal.field, refusal.value, refusal.reason)
    profiles = normalised.profiles
    if "source" in raw.columns:
        profiles = profiles.assign(
            source=raw["source"].astype(object).where(raw["source"].notna(), None)
        )
    # role_raw: the title as given, from which a model with the `title` feature reads it (as
    # `predict_salary` and batch scoring do); without it every title would be priced as none.
    return profiles.loc[:, [*PYFUNC_INPUT_COLUMNS, TITLE_COLUMN]]


def pyfunc_signature(populations: Sequence[str] = ()) -> ModelSignature:
    """Input: PYFUNC_INPUT_COLUMNS, only `role` required; the numbers and skills untyped
    (UNTYPED_COLUMNS). Output: median, low, high (annual USD), and, for a model of more than
    one source population (`populations`, `SalaryModel.populations`), an optional
    `median_<source>` per population; then the optional `pay_year`."""
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import AnyType

    def column(name: str) -> ColSpec:
        if name in UNTYPED_COLUMNS:
            kind: DataType | AnyType = AnyType()
        else:
            kind = DataType.string
        return ColSpec(kind, name, required=name == "role")

    outputs = [ColSpec(DataType.double, name) for name in PREDICTION_COLUMNS]
    if len(populations) > 1:
        outputs += [
            ColSpec(DataType.double, source_column(name), required=False) for name in populations
        ]
    outputs.append(ColSpec(DataType.double, PAY_YEAR_COLUMN, required=False))
    return ModelSignature(
        inputs=Schema([column(name) for name in PYFUNC_INPUT_COLUMNS]),
        outputs=Schema([*outputs]),
    )


def mlflow_input(profiles: pd.DataFrame) -> pd.DataFrame:
    """Canonical profiles as the pyfunc's input: its columns only, in JSON-friendly types.

    Skills become lists (MLflow's array type) and whole-number columns floats, as the
    signature declares, so the frame passes MLflow's schema checks and serialises to JSON.
    """
    columns = [name for name in PYFUNC_INPUT_COLUMNS if name in profiles.columns]
    out = profiles.loc[:, columns].reset_index(drop=True).copy()
    if "skills" in out.columns:
        out["skills"] = pd.Series([list(_skills(value)) for value in out["skills"]], dtype=object)
    for name in NUMBER_COLUMNS:
        if name in out.columns:
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    for name in STRING_COLUMNS:
        if name in out.columns:
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def _skills_or_text(value: Any) -> tuple[str, ...] | str:
    """A text stays whole for the normaliser to split; arrays and lists become tuples."""
    if isinstance(value, str):
        return value
    return _skills(value)


def _skills(value: Any) -> tuple[str, ...]:
    if is_missing(value):
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(skill) for skill in value)


# MLflow executes this file when it loads the logged model and takes the model set here.
set_model(SalaryPyfunc())
