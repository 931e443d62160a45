"""The mlpay salary model as an MLflow pyfunc, so MLflow tools can serve and batch-score it.

The model is logged as *code* (MLflow "models from code"): MLflow copies this file next to
the artifact folder and runs it at load time, so loading never unpickles anything, just like
`mlpay_model.load_model`. For that reason this file imports nothing from `training` and only
the runtime package `mlpay_model` (shipped with the logged model through `code_paths`).

Input: a DataFrame of profile columns (PYFUNC_INPUT_COLUMNS; only `role` is required),
as people type them or canonical ("Senior ML Engineer" or "ml_engineer", "Germany" or
"DE", skills a list of names), read by the one normaliser `predict_salary` uses. Output:
a DataFrame with `median`, `low` and `high` annual USD pay, one row per input row, in the
input's order.

Using a registered version:
    mlflow models serve -m models:/mlpay-aijobs@champion --env-manager local --port 5001
    POST /invocations {"dataframe_records": [{"role": "ml_engineer", "country": "US"}]}
    (MLflow cannot cast a missing list: send `skills` in every record, [] for none, or in none)

    mlflow.pyfunc.spark_udf(spark, "models:/mlpay-aijobs@champion")  # struct of the 3 columns
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
from mlflow.models import ModelSignature, set_model
from mlflow.pyfunc import PythonModel

from mlpay_model.errors import InvalidInputError
from mlpay_model.model.features import NUMERIC_FEATURES
from mlpay_model.normalise import normalise_frame
from mlpay_model.schema import CONTEXT_COLUMNS, FACTOR_COLUMNS, PREDICTION_COLUMNS, is_missing

ARTIFACT_KEY: Final = "salary_model"
"""Name of the artifact folder in the pyfunc's `artifacts` (and so in `context.artifacts`)."""

# The model's inputs are the canonical columns features can be built from (see schema.py).
PYFUNC_INPUT_COLUMNS: Final[tuple[str, ...]] = (*FACTOR_COLUMNS, *CONTEXT_COLUMNS, "source")
NUMBER_COLUMNS: Final[tuple[str, ...]] = NUMERIC_FEATURES
STRING_COLUMNS: Final[tuple[str, ...]] = tuple(
    name for name in PYFUNC_INPUT_COLUMNS if name not in (*NUMBER_COLUMNS, "skills")
)


class SalaryPyfunc(PythonModel):
    """Wraps an mlpay artifact folder; predicts median, low and high annual USD pay."""

    def load_context(self, context: Any) -> None:
        from mlpay_model.model import load_model

        self._model = load_model(context.artifacts[ARTIFACT_KEY])

    # MLflow reads this type hint: a DataFrame means "use the logged signature" (any other hint
    # would be taken as the input schema, and no hint draws a warning).
    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        profiles = canonical_input(pd.DataFrame(model_input))
        predictions = self._model.predict(profiles)
        return predictions.loc[:, list(PREDICTION_COLUMNS)].reset_index(drop=True)


def canonical_input(frame: pd.DataFrame) -> pd.DataFrame:
    """The pyfunc input as canonical profiles, through the one normaliser.

    Serving and Spark hand over skills as numpy arrays or lists and missing values as None or
    NaN; after undoing that, the columns go through `normalise_frame` like every other door,
    so raw titles, country names, education words and skill aliases are accepted. A row that
    cannot be read raises InvalidInputError naming the row, field, value and reason.
    """
    columns = {
        name: frame[name].reset_index(drop=True)
        for name in PYFUNC_INPUT_COLUMNS
        if name in frame.columns
    }
    if "skills" in columns:
        columns["skills"] = pd.Series([_skills(value) for value in columns["skills"]], dtype=object)
    raw = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    normalised = normalise_frame(raw, required=("role",))
    if len(normalised.rejected):
        first = normalised.rejected.sort_values("row", kind="stable").iloc[0]
        raise InvalidInputError(
            str(first["field"]),
            first["value"],
            f"row {int(first['row'])}: {first['reason']} "
            f"({len(normalised.rejected)} row(s) refused)",
        )
    profiles = normalised.profiles
    if "source" in raw.columns:
        profiles = profiles.assign(
            source=raw["source"].astype(object).where(raw["source"].notna(), None)
        )
    return profiles.loc[:, list(PYFUNC_INPUT_COLUMNS)]


def pyfunc_signature() -> ModelSignature:
    """Input: PYFUNC_INPUT_COLUMNS, only `role` required. Output: median, low, high (USD)."""
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import Array

    def column(name: str) -> ColSpec:
        if name == "skills":
            kind: DataType | Array = Array(DataType.string)
        elif name in NUMBER_COLUMNS:
            kind = DataType.double
        else:
            kind = DataType.string
        return ColSpec(kind, name, required=name == "role")

    return ModelSignature(
        inputs=Schema([column(name) for name in PYFUNC_INPUT_COLUMNS]),
        outputs=Schema([ColSpec(DataType.double, name) for name in PREDICTION_COLUMNS]),
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


def _skills(value: Any) -> tuple[str, ...]:
    if is_missing(value):
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(skill) for skill in value)


# MLflow executes this file when it loads the logged model and takes the model set here.
set_model(SalaryPyfunc())
