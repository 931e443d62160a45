"""The Spark snippet of docs/scoring.md, run as written on a real local SparkSession.

A tiny model is tracked to a SQLite store and registered as `mlpay-aijobs` with the alias
`champion`, so the snippet's model URI resolves unchanged. Needs `pyspark` (extra `spark`)
and a Java runtime: without Java the test fails under CI (CI=true, where `.ci/run` installs
one) and skips, saying why, elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow_support import tiny_config, tiny_result

from mlpay_model.model import load_model
from training.config import MlflowSettings
from training.pyfunc import canonical_input
from training.tracking import track_run

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)

SCORING_DOC = Path(__file__).parents[3] / "docs" / "scoring.md"
RAW_ROWS = [  # as people and files write them, in an order unlike the signature's
    {"year": 2024, "role": "Senior ML Engineer", "country": "Germany", "seniority": None,
     "employment_type": "full time", "remote_ratio": 100.0, "company_size": "M"},
    {"year": 2023, "role": "Data Analyst", "country": "IN", "seniority": "EN",
     "employment_type": "FT", "remote_ratio": 0.0, "company_size": "L"},
    {"year": None, "role": "data scientist", "country": "United States", "seniority": "mid",
     "employment_type": None, "remote_ratio": None, "company_size": None},
]  # fmt: skip


def documented_spark_snippet() -> str:
    text = SCORING_DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    found = [block for block in blocks if "spark_udf" in block]
    assert len(found) == 1, "docs/scoring.md should have one Spark snippet"
    return found[0]


def java_or_skip() -> None:
    if shutil.which("java") or os.environ.get("JAVA_HOME"):
        return
    reason = "Spark needs a Java runtime: no `java` on PATH and no JAVA_HOME"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (.ci/run installs openjdk-17-jre-headless)")
    pytest.skip(f"{reason} (e.g. apt-get install openjdk-17-jre-headless)")


@pytest.fixture(scope="module")
def spark():
    java_or_skip()
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark: pip install -e '.[spark]'")
    patch = pytest.MonkeyPatch()
    # Spark's Python workers run `python3` from PATH unless told; this venv has the packages.
    patch.setenv("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", sys.executable))
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("mlpay-test")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()
        patch.undo()


@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    """A tiny model registered as mlpay-aijobs@champion in a SQLite store, and its result."""
    root = tmp_path_factory.mktemp("spark-store")
    result = tiny_result(root / "tiny", tiny_config())
    store = f"sqlite:///{root / 'mlflow.db'}"
    settings = MlflowSettings(
        tracking_uri=store, experiment="spark-test", registered_model_name="mlpay-aijobs"
    )
    track_run(result, settings, promote=True, config_path=None)
    return store, result


@pytest.mark.slow
def test_the_documented_spark_snippet_scores_by_column_name(spark, champion, monkeypatch) -> None:
    store, result = champion
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    df = spark.createDataFrame(pd.DataFrame(RAW_ROWS))
    namespace = {"spark": spark, "df": df}

    exec(documented_spark_snippet(), namespace)  # the documented lines, unchanged

    scored = namespace["scored"].select("pay.median", "pay.low", "pay.high").toPandas()
    expected = load_model(result.artifact_dir).predict(canonical_input(pd.DataFrame(RAW_ROWS)))
    np.testing.assert_allclose(scored.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert namespace["scored"].columns == [*df.columns, "pay"]  # input columns carried
