"""The FastAPI app of `mlpay serve` (routes, errors and answers: see the package docstring)."""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from mlpay_model import __version__
from mlpay_model._format import money, percent_points
from mlpay_model.compare import arguments_with_role
from mlpay_model.data.sources.registry import DataSource, sources
from mlpay_model.errors import InvalidInputError, MlpayError
from mlpay_model.model import SalaryModel, load_model
from mlpay_model.normalise import ACCEPTED_CONTEXT
from mlpay_model.predict import SalaryPrediction, baseline_text, predict_salary, shown_factors
from mlpay_model.schema import EDUCATION_LEVELS
from mlpay_model.taxonomy import country_name

MAX_BODY_BYTES: Final = 64 * 1024
PROFILE_FIELDS: Final = ("role", "country", "years_experience", "education", "skills")
OPTIONS: Final = ("currency", "population")  # predict_salary's options a request may set
# predict_salary's parameters that a `context` object must not set (the model is the
# service's; the others have their own request keys)
NOT_CONTEXT: Final = frozenset(
    name for name in inspect.signature(predict_salary).parameters if name != "context"
)
CONTEXT_TEXT: Final = ", ".join(ACCEPTED_CONTEXT)
# what-if changes, as `mlpay whatif` names them: (request key, profile field it replaces)
CHANGES: Final[tuple[tuple[str, str], ...]] = (
    ("add_skill", "skills"),
    ("country_to", "country"),
    ("years_to", "years_experience"),
    ("education_to", "education"),
    ("role_to", "role"),
)
PAGE_FILES: Final[dict[str, str]] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# Everything the page loads comes from this service: no CDN, no inline script or style.
SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ProfileBody(BaseModel):
    """A profile as `predict_salary` takes it. The values are not typed here on purpose:
    the one normaliser checks them and names the field, as for the CLI and Python."""

    model_config = ConfigDict(extra="forbid")

    role: Any = None
    country: Any = None
    years_experience: Any = None
    education: Any = None
    skills: Any = ()
    context: dict[str, Any] = Field(
        default_factory=dict,
        description="seniority, employment_type, remote_ratio, company_size, year",
    )
    currency: Any = Field(default=None, description="e.g. EUR (default USD, the model's unit)")
    population: Any = Field(
        default=None, description="a pooled model: the source population to price as"
    )

    def arguments(self) -> dict[str, Any]:
        """predict_salary's keyword arguments (absent optional values left out)."""
        given = {name: getattr(self, name) for name in (*PROFILE_FIELDS, *OPTIONS)}
        arguments = {
            name: value
            for name, value in given.items()
            if name in ("role", "country") or value is not None
        }
        for name, value in self.context.items():
            if name in NOT_CONTEXT:  # predict_salary's own parameters, not a context field
                raise InvalidInputError(
                    f"context.{name}", value, f"is not a context field; accepted: {CONTEXT_TEXT}"
                )
        return {**arguments, **self.context}


class WhatIfBody(ProfileBody):
    """A profile plus exactly one change."""

    add_skill: Any = None
    country_to: Any = None
    years_to: Any = None
    education_to: Any = None
    role_to: Any = None

    def change(self) -> tuple[str, str, Any]:
        """(request key, profile field, new value) of the one change given."""
        given = [(key, field) for key, field in CHANGES if getattr(self, key) is not None]
        if len(given) != 1:
            raise InvalidInputError(
                "change",
                [key for key, _field in given],
                "give exactly one change: " + ", ".join(key for key, _field in CHANGES),
            )
        key, field = given[0]
        value = getattr(self, key)
        if key == "add_skill" and value == "":
            raise InvalidInputError("add_skill", value, "is empty: give the skill to add")
        return key, field, value


@dataclass(frozen=True)
class SourceModel:
    """A data source and the shipped model trained on it alone (for the per-source medians)."""

    source: DataSource
    model: SalaryModel


def create_app(model: str | os.PathLike[str] = "default") -> FastAPI:
    salary_model = load_model(model)
    source_models = _source_models()
    page = {name: files(__package__).joinpath("static", name).read_bytes() for name in PAGE_FILES}

    app = FastAPI(
        title="mlpay web calculator",
        version=__version__,
        docs_url=None,  # the interactive docs load their scripts from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.salary_model = salary_model

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return _error(413, f"request body over {MAX_BODY_BYTES} bytes")
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(InvalidInputError)
    async def invalid_input(_request: Request, error: InvalidInputError) -> JSONResponse:
        return _error(422, str(error), field=error.field)

    @app.exception_handler(MlpayError)
    async def user_error(_request: Request, error: MlpayError) -> JSONResponse:
        return _error(422, str(error))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return _validation_error(request, error)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, error: Exception) -> JSONResponse:
        # The traceback goes to the server's log (uvicorn logs the re-raised error), never to
        # the client.
        return _error(500, f"internal error ({type(error).__name__}); see the server log")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "model": _model_ref(salary_model)}

    @app.get("/api/model")
    def model_info() -> dict[str, Any]:
        skills = {skill for item in source_models for skill in item.model.skills}
        return {
            "model": _model_ref(salary_model),
            "factors": list(salary_model.factors),
            "pay_concept": _pay_concept(salary_model),
            "currency": salary_model.currency,
            "education_levels": list(EDUCATION_LEVELS),
            "skills": sorted(skills | set(salary_model.skills)),
            "sources": [item.source.label for item in source_models],
        }

    @app.post("/api/predict")
    def predict(body: ProfileBody) -> dict[str, Any]:
        arguments = body.arguments()
        prediction = predict_salary(**arguments, model=salary_model)
        basis, entries = per_source(prediction, arguments, salary_model, source_models)
        return {**answer(prediction), "per_source": entries, "per_source_basis": basis}

    @app.post("/api/whatif")
    def whatif(body: WhatIfBody) -> dict[str, Any]:
        key, field, value = body.change()
        before_arguments = body.arguments()
        after_arguments = dict(before_arguments)
        if field == "skills":
            after_arguments["skills"] = _with_skill(before_arguments.get("skills"), value)
            description = f"add skill {value}"
        elif field == "role" and isinstance(value, str) and isinstance(body.role, str):
            # the title changes with the role, the rank words carried over (`mlpay whatif`)
            after_arguments = arguments_with_role(before_arguments, value)
            description = f"{key.replace('_', ' ')} {value}"
            if after_arguments["role"] != value:
                description += f" (as {after_arguments['role']!r})"
        else:
            after_arguments[field] = value
            description = f"{key.replace('_', ' ')} {value}"
        before = predict_salary(**before_arguments, model=salary_model)
        after = predict_salary(**after_arguments, model=salary_model)
        difference = after.median - before.median
        change_percent = 100.0 * difference / before.median
        sign = "+" if difference >= 0 else "-"
        moves = salary_model.uses(field) or (
            field == "years_experience" and salary_model.derives_seniority_from_years
        )
        note = (
            None
            if moves
            else f"model {salary_model.name} does not use {field.replace('_', ' ')}: "
            "this change cannot move its estimate"
        )
        return {
            "change": {
                "field": field,
                "value": value,
                "description": description,
                "note": note,
                **({"title": after_arguments["role"]} if field == "role" else {}),
            },
            "before": answer(before),
            "after": answer(after),
            "difference": {
                "median": difference,
                "median_percent": change_percent,
                "text": (
                    f"{sign}{money(abs(difference), before.currency)} a year "
                    f"({percent_points(change_percent)}) in the median"
                ),
            },
        }

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return _page_file(page, "index.html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in PAGE_FILES or name == "index.html":
            return _error(404, f"no such file: {name}")
        return _page_file(page, name)

    return app


def answer(prediction: SalaryPrediction) -> dict[str, Any]:
    """The JSON answer for one prediction: `SalaryPrediction.to_dict()` (what `mlpay predict
    --json` prints) plus the person's factors as `mlpay predict` shows them (`top_factors`:
    every one that moves the median by 0.05% or more, largest first, with its label) and the
    amounts written for people (`display`, with what the factors are against)."""
    body = prediction.to_dict()
    currency = prediction.currency
    factors = [
        {**item.to_dict(), "text": percent_points(item.percent)}
        for item in shown_factors(prediction)
    ]
    return {
        **body,
        "country_name": country_name(prediction.profile["country"]),
        "top_factors": factors,
        "display": {
            "median": money(prediction.median, currency),
            "low": money(prediction.low, currency),
            "high": money(prediction.high, currency),
            "baseline": money(prediction.baseline, currency),
            "baseline_text": baseline_text(prediction),
        },
    }


def per_source(
    prediction: SalaryPrediction,
    arguments: Mapping[str, Any],
    served: SalaryModel,
    source_models: list[SourceModel],
) -> tuple[str, list[dict[str, Any]]]:
    """(basis, entries): the median of each data source for this profile. A pooled model
    prices the person as paid in each source's data itself (`SalaryPrediction.by_source`,
    medians only); for a single-source model, each shipped single-source model answers
    (median and range). Each source measures its own pay concept."""
    own = tuple(getattr(prediction, "by_source", ()) or ())
    if len(own) > 1:
        return "model", [_source_entry(figure, prediction) for figure in own]
    entries = []
    for item in source_models:
        same = item.model.path.resolve() == served.path.resolve()
        try:
            other = prediction if same else predict_salary(**arguments, model=item.model)
        except MlpayError:  # pragma: no cover - every model reads the same normalised profile
            continue
        entries.append(
            {
                "source": item.source.name,
                "label": item.source.label,
                "pay_concept": other.pay_concept,
                "pay_year": other.pay_year,
                "model": _model_ref(item.model),
                "served_model": same,
                **_amounts(other.median, other.low, other.high, other.currency),
            }
        )
    return "source models", entries


def _source_entry(figure: Any, prediction: SalaryPrediction) -> dict[str, Any]:
    """One entry from a pooled prediction's `by_source` figure (source, label, pay_concept,
    pay_year, median)."""
    source = str(getattr(figure, "source", "unknown"))
    return {
        "source": source,
        "label": str(getattr(figure, "label", source)),
        "pay_concept": getattr(figure, "pay_concept", None),
        "pay_year": getattr(figure, "pay_year", None),
        "model": {"name": prediction.model.name, "version": prediction.model.version},
        "served_model": source == getattr(prediction, "population", None),
        **_amounts(_number(getattr(figure, "median", None)), None, None, prediction.currency),
    }


def _amounts(
    median: float | None, low: float | None, high: float | None, currency: str
) -> dict[str, Any]:
    return {
        "median": median,
        "low": low,
        "high": high,
        "currency": currency,
        "display": {
            "median": money(median, currency),
            "low": None if low is None else money(low, currency),
            "high": None if high is None else money(high, currency),
        },
    }


def _source_models() -> list[SourceModel]:
    """The shipped models trained on one source each (those that load)."""
    found = []
    for source in sources():
        if source.default_model is None:
            continue
        try:
            found.append(SourceModel(source, load_model(source.default_model)))
        except MlpayError:  # not shipped here (another MLPAY_MODELS_DIR): left out
            continue
    return found


def _with_skill(skills: Any, skill: Any) -> Any:
    """The skills with one more, in the form they were given (a list or a comma text)."""
    if skills is None or skills == ():
        return [skill]
    if isinstance(skills, str):
        if isinstance(skill, str):
            return ",".join(filter(None, (skills, skill)))
        return [*skills.split(","), skill]
    if isinstance(skills, list | tuple):
        return [*skills, skill]
    return skills  # not skills at all: predict_salary names it


def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's request errors as one line: the first problem, naming the field."""
    problems = list(error.errors())
    first = problems[0] if problems else {}
    kind = str(first.get("type", ""))
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    if kind == "json_invalid":
        return _error(400, "the request body is not valid JSON")
    if not where:
        content_type = request.headers.get("content-type", "")
        if "json" not in content_type:  # FastAPI reads a body as JSON only when it says so
            return _error(
                400, "send the profile as JSON, with the header Content-Type: application/json"
            )
        return _error(422, "the request body must be a JSON object with role and country")
    if kind == "extra_forbidden":
        body = WhatIfBody if request.url.path.endswith("/whatif") else ProfileBody
        accepted = ", ".join(body.model_fields)
        return _error(422, f"{where}: unknown field; accepted: {accepted}", field=where)
    return _error(422, f"{where}: {first.get('msg', 'invalid')}", field=where)


def _error(status: int, message: str, *, field: str | None = None) -> JSONResponse:
    content: dict[str, Any] = {"detail": message}
    if field is not None:
        content["field"] = field
    return JSONResponse(content, status_code=status, headers=SECURITY_HEADERS)


def _page_file(page: Mapping[str, bytes], name: str) -> Response:
    return Response(page[name], media_type=PAGE_FILES[name], headers={"Cache-Control": "no-cache"})


def _model_ref(model: SalaryModel) -> dict[str, str]:
    return {"name": model.name, "version": model.version}


def _pay_concept(model: SalaryModel) -> str:
    return model.pay_text


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None
