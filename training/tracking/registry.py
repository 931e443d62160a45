"""The model registry: champion/challenger aliases and the promotion decision.

A newly registered version gets the alias `challenger`. It also becomes `champion` when asked
to (`promote`), when there is no champion yet, or when it beats the champion on this run's
test rows: both models predict the same rows and the lower test MAE (USD, scored against exact
pay or the pay band as in `training.evaluate`) wins; a tie keeps the champion.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import pandas as pd

from mlpay_model._format import money
from training.evaluate import point_metrics

CHAMPION: Final = "champion"
CHALLENGER: Final = "challenger"

logger = logging.getLogger(__name__)


def assign_aliases(
    client: Any, name: str, version: str, test_predictions: pd.DataFrame, promote: bool
) -> tuple[bool, str]:
    """Give `version` of `name` its aliases (see module doc); (is it the champion?, why).

    The version's test MAE is kept as its tag `test_mae_usd`.
    """
    import mlflow

    client.set_registered_model_alias(name, CHALLENGER, version)
    new_mae = mae_on_test_rows(test_predictions["pred_median"], test_predictions)
    client.set_model_version_tag(name, version, "test_mae_usd", f"{new_mae:.2f}")
    promoted, reason = decide_champion(client, name, version, test_predictions, new_mae, promote)
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
    mlflow.set_tag("mlpay.promotion", reason)
    return promoted, reason


def decide_champion(
    client: Any,
    name: str,
    version: str,
    test_predictions: Any,
    new_mae: float,
    promote: bool,
) -> tuple[bool, str]:
    """(promote?, why): asked to, no champion yet, or a lower test MAE than the champion."""
    import mlflow

    if promote:
        return True, f"version {version} promoted to {CHAMPION} as requested"
    champion = champion_version(client, name)
    if champion is None:
        return True, f"version {version} is the first {CHAMPION} of {name}"
    try:
        # The champion's own artifact prices the canonical test rows, as the new model's were
        # priced: through the pyfunc's typed input a row's raw title would be lost (`role` is
        # its family there), and a champion that reads titles would be scored without them.
        logged = mlflow.pyfunc.load_model(f"models:/{name}/{champion}")
        salary_model = logged.unwrap_python_model().salary_model
        champion_median = salary_model.predict(test_predictions)["median"]
        champion_mae = mae_on_test_rows(champion_median, test_predictions)
    except Exception as error:  # a broken or incompatible champion must not lose the run
        logger.warning("could not score the %s (version %s): %s", CHAMPION, champion, error)
        return False, (
            f"{CHAMPION} version {champion} could not be scored on the test rows "
            f"({type(error).__name__}); pass --promote to replace it"
        )
    mlflow.log_metric("champion_test_mae_usd", champion_mae)
    comparison = f"test MAE {money(new_mae)} vs {CHAMPION} version {champion} {money(champion_mae)}"
    if new_mae < champion_mae:
        return True, f"version {version} beats the {CHAMPION}: {comparison}"
    return False, f"version {version} does not beat the {CHAMPION}: {comparison}"


def champion_version(client: Any, name: str) -> str | None:
    """The version that holds the champion alias, None when none does."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def mae_on_test_rows(predicted_median: Any, test_predictions: Any) -> float:
    """MAE in USD against exact pay or the pay band (training.evaluate.point_metrics)."""
    return point_metrics(
        predicted_median.to_numpy(dtype="float64"),
        test_predictions["target_low"].to_numpy(dtype="float64"),
        test_predictions["target_high"].to_numpy(dtype="float64"),
    )["mae_usd"]


def describe(client: Any, name: str, version: str, model_card: str, result: Any) -> None:
    """Describe the registered model and `version` from the model card.

    The registered model gets the card's first paragraph (what the model predicts, from what,
    trained on which data); the version that paragraph plus its test scores.
    """
    summary = card_summary(model_card)
    if not summary:
        return
    client.update_registered_model(name, description=summary)
    scores = []
    metrics = result.metrics
    if "test_mae_usd" in metrics:
        scores.append(f"test MAE {money(metrics['test_mae_usd'])}")
    if "test_coverage" in metrics:
        scores.append(f"interval coverage {metrics['test_coverage']:.1%}")
    scores.append(f"{len(result.test_predictions):,} test rows")
    client.update_model_version(name, version, description=f"{summary}\n\n{'; '.join(scores)}.")


def card_summary(model_card: str) -> str:
    """The first paragraph of a model card that is not a heading, as one line."""
    for paragraph in model_card.split("\n\n"):
        text = " ".join(paragraph.split())
        if text and not text.startswith("#"):
            return text
    return ""
