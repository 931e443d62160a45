"""`mlpay models`: the shipped models, and the MLflow registry's models when there is one."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from mlpay_model._format import money, percent
from mlpay_model._mlflow import DEFAULT_DATABASE, check_http_server, default_store, http_limits
from mlpay_model.errors import MlpayError, clip

KEY_METRICS: Final[tuple[str, ...]] = ("test_mae_usd", "test_mdape", "test_coverage")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the shipped models (and registered MLflow models)",
        description=(
            "List the models shipped in the models folder ($MLPAY_MODELS_DIR or models/): "
            "version, data, key test metrics. With --tracking-uri (or MLFLOW_TRACKING_URI), "
            "or when mlpay's store (~/.local/share/mlpay/mlflow.db) or ./mlflow.db exists, "
            "also the MLflow registry's models with their versions and aliases."
        ),
    )
    parser.add_argument(
        "--tracking-uri",
        help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else mlpay's store "
        "or ./mlflow.db if any)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_models)


def run_models(args: argparse.Namespace) -> int:
    from mlpay_model.model import DEFAULT_MODEL, models_dir

    report: dict[str, Any] = {
        "models_dir": str(models_dir()),
        "default": DEFAULT_MODEL,
        "models": shipped_model_summaries(),
    }
    uri = args.tracking_uri or _registry_to_list()
    if uri is not None:
        report["registry"] = registry_summary(uri)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(render_models(report))
    return 0


def _registry_to_list() -> str | None:
    """Without --tracking-uri: MLFLOW_TRACKING_URI, else mlpay's own store or ./mlflow.db
    (an older default), whichever exists; None when there is none."""
    import os

    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    for database in (default_store(), Path(DEFAULT_DATABASE)):
        if database.is_file():
            return f"sqlite:///{database}"
    return None


def shipped_model_summaries() -> list[dict[str, Any]]:
    """One dict per shipped model: name, version, data, key metrics (or the load error)."""
    from mlpay_model.errors import ArtifactError
    from mlpay_model.model import models_dir, shipped_models
    from mlpay_model.model.artifact import read_manifest

    summaries: list[dict[str, Any]] = []
    for name in shipped_models():
        directory = models_dir() / name
        try:
            manifest = read_manifest(directory)
        except ArtifactError as error:
            summaries.append({"name": name, "path": str(directory), "error": str(error)})
            continue
        metrics = manifest.get("metrics", {})
        summaries.append(
            {
                "name": manifest.get("name", name),
                "version": manifest.get("version"),
                "path": str(directory),
                "features": manifest.get("features", {}).get("features", []),
                "data": [
                    {key: source.get(key) for key in ("source", "file", "rows_read", "rows_kept")}
                    for source in manifest.get("data", [])
                ],
                "metrics": {key: metrics[key] for key in KEY_METRICS if key in metrics},
                "trained_at": manifest.get("trained_at"),
            }
        )
    return summaries


def registry_summary(uri: str) -> dict[str, Any]:
    """Registered models with their versions and aliases, or a one-line reason why not."""
    database = sqlite_file(uri)
    if database is not None and not database.is_file():
        return {"uri": uri, "error": f"no MLflow database at {database}"}
    if uri.lower().startswith(("http://", "https://")):
        try:
            check_http_server(uri)  # seconds, before MLflow's own retries
        except MlpayError as error:
            return {"uri": uri, "error": str(error)}
    try:
        from mlflow import MlflowClient
    except ImportError:
        return {"uri": uri, "error": "MLflow is not installed (pip install 'mlpay[train]')"}
    try:
        with _quiet_mlflow(), http_limits():
            client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            registered = client.search_registered_models()
            models = [_registered_model(client, model) for model in registered]
    except Exception as error:  # any MLflow failure is reported as one line, not a traceback
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return {"uri": uri, "error": f"cannot read the registry ({clip(first_line)})"}
    return {"uri": uri, "models": models}


def sqlite_file(uri: str) -> Path | None:
    """The database file of a sqlite:/// URI; None for any other kind of URI."""
    if not uri.lower().startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///") :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _registered_model(client: Any, registered: Any) -> dict[str, Any]:
    versions = client.search_model_versions(f"name='{registered.name}'")
    return {
        "name": registered.name,
        "aliases": {alias: str(v) for alias, v in sorted(registered.aliases.items())},
        "versions": [
            {
                "version": str(version.version),
                "status": version.status,
                "created": version.creation_timestamp,
                "test_mae_usd": version.tags.get("test_mae_usd"),
            }
            for version in sorted(versions, key=lambda v: int(v.version))
        ],
    }


@contextmanager
def _quiet_mlflow() -> Iterator[None]:
    """MLflow's and alembic's INFO logs off while the registry is read."""
    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [item.level for item in loggers]
    for item in loggers:
        item.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for item, level in zip(loggers, levels, strict=True):
            item.setLevel(level)


def render_models(report: dict[str, Any]) -> str:
    lines = [f"Shipped models in {report['models_dir']} (default: {report['default']}):"]
    if not report["models"]:
        lines.append("  none (train one with `mlpay train --config configs/<name>.yaml`)")
    for model in report["models"]:
        if "error" in model:
            lines.append(f"  {model['name']}: unusable: {model['error']}")
            continue
        lines.append(f"  {model['name']} {model['version']}")
        for source in model["data"]:
            lines.append(
                f"    data: {source['source']} ({source['file']}): "
                f"{_count(source['rows_kept'])} of {_count(source['rows_read'])} rows kept"
            )
        metrics = model["metrics"]
        if metrics:
            lines.append("    test: " + ", ".join(_metric(k, v) for k, v in metrics.items()))
        lines.append(f"    factors: {', '.join(model['features'])}")
        if model.get("trained_at"):
            lines.append(f"    trained: {model['trained_at']}")
    registry = report.get("registry")
    if registry is not None:
        lines.append(f"Registered models in {registry['uri']}:")
        if "error" in registry:
            lines.append(f"  {registry['error']}")
        elif not registry["models"]:
            lines.append("  none")
        for model in registry.get("models", []):
            aliases = ", ".join(f"{alias} -> v{v}" for alias, v in model["aliases"].items())
            versions = ", ".join(f"v{version['version']}" for version in model["versions"])
            lines.append(f"  {model['name']}: {versions}" + (f" ({aliases})" if aliases else ""))
    return "\n".join(lines)


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _metric(name: str, value: float) -> str:
    label = name.removeprefix("test_")
    if name.endswith("_usd"):
        return f"{label.removesuffix('_usd')} {money(value)}"
    if name.endswith(("coverage", "mdape")):
        return f"{label} {percent(value, signed=False)}"
    return f"{label} {value:.3g}"
