"""`mlpay serve`: the web calculator, a small FastAPI service (extra `serve`).

    GET  /              one HTML page: the form, the answer, a what-if (static/, no CDN)
    POST /api/predict   a profile -> median, low, high, currency, pay concept, the factors,
                        warnings, model and the per-source medians
    POST /api/whatif    the same profile plus one change -> before, after and the difference
    GET  /api/model     the model the service answers with, and the form's choices
    GET  /healthz       200 {"status": "ok", ...} once the model is loaded

Every answer goes through `predict_salary`, so a bad input is refused with the same one-line
message as `mlpay predict` (the `InvalidInputError` text), as HTTP 422 JSON
`{"detail": "...", "field": "..."}`; a body that is not JSON is a 400. No traceback is ever
sent to a client. The model is chosen when the service starts (`--model`), not per request,
so a request cannot make the service read a folder of its choosing.

`create_app` imports FastAPI; `mlpay_model.serve` itself imports nothing heavy, so the
command line starts without the extra and names it when it is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(model: str = "default") -> FastAPI:
    """The web calculator's ASGI app, answering with `model` (a name or an artifact folder),
    which is loaded now: an unknown model raises ModelNotFoundError before anything serves."""
    from mlpay_model.serve.app import create_app as create

    return create(model)
