"""Record a training run in MLflow and register the model, with champion/challenger aliases.

    store         the tracking store: `check_tracking_server` (the fast pre-flight check the
                  train command runs BEFORE training), pointing MLflow at a URI, experiments
    params        the run's params and metrics under MLflow's naming and length rules
    run           `track_run`: one MLflow run with its params, metrics, dataset, artifacts
                  and model (`TrackingInfo` says what it recorded)
    logged_model  the pyfunc logged as code with the runtime package and its requirements
    registry      the aliases `challenger` and `champion`, and the promotion decision

The new version gets the alias `challenger`. It also becomes `champion` when asked to
(`promote`), when there is no champion yet, or when it beats the champion on this run's test
rows (lower test MAE in USD; a tie keeps the champion).
"""

from training.tracking.logged_model import LOGGED_MODEL_NAME, runtime_requirements
from training.tracking.params import (
    MAX_PARAM_KEY_LENGTH,
    MAX_PARAM_VALUE_LENGTH,
    TRUNCATED_MARK,
    flatten_params,
    run_metrics,
)
from training.tracking.registry import CHALLENGER, CHAMPION
from training.tracking.run import TrackingInfo, dataset_schema, track_run
from training.tracking.store import check_tracking_server

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "LOGGED_MODEL_NAME",
    "MAX_PARAM_KEY_LENGTH",
    "MAX_PARAM_VALUE_LENGTH",
    "TRUNCATED_MARK",
    "TrackingInfo",
    "check_tracking_server",
    "dataset_schema",
    "flatten_params",
    "run_metrics",
    "runtime_requirements",
    "track_run",
]
