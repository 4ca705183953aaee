"""Problem details (RFC 9457): one JSON shape for every error the API returns."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from camera_registry.errors import CamregError

PROBLEM_MEDIA_TYPE = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
logger = logging.getLogger("camreg.api")

# The one table from domain error kinds to HTTP status codes.
STATUS_OF_KIND: dict[str, int] = {
    "not_found": 404,
    "conflict": 409,
    "precondition_failed": 412,
    "invalid": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "too_large": 413,
}
_KIND_OF_STATUS = {status: kind for kind, status in STATUS_OF_KIND.items()}


class FieldError(BaseModel):
    """One problem with one input field (line or feature number for uploads)."""

    field: str = Field(examples=["lat"])
    message: str = Field(examples=["position 1.0, 2.0 is outside Vietnam; check lat and lon"])
    line: int | None = None


class Problem(BaseModel):
    """An error: what went wrong and what to fix."""

    type: str = Field(examples=["urn:camreg:problem:invalid"])
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["camera rejected: lat: must be inside Vietnam"])
    instance: str = Field(examples=["/api/v1/cameras"], description="The request path.")
    request_id: str | None = Field(None, description="Quote it when reporting the problem.")
    errors: list[FieldError] = Field(default_factory=list)


class HttpProblem(Exception):
    """An HTTP-only condition (e.g. 428 Precondition Required) raised by the API layer."""

    def __init__(self, status: int, detail: str, kind: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.kind = kind or kind_of_status(status)


def kind_of_status(status: int) -> str:
    """Return the problem kind of a status: the domain's name for it, else the HTTP phrase."""
    return _KIND_OF_STATUS.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_")


def request_id_of(request: Request) -> str | None:
    """Return the request id the middleware put in the request state."""
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Iterable[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return a problem+json response (401s carry `WWW-Authenticate: Bearer`)."""
    request_id = request_id_of(request)
    kind = kind or kind_of_status(status)
    body = Problem(
        type=f"urn:camreg:problem:{kind}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request_id,
        errors=[FieldError(**e) for e in errors],
    )
    all_headers = dict(headers or {})
    if status == 401:
        all_headers["WWW-Authenticate"] = 'Bearer realm="camreg"'
    if request_id:
        all_headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status,
        headers=all_headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _field_path(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CamregError)
    status = STATUS_OF_KIND.get(exc.kind, 422)
    errors = [p.as_dict() for p in exc.problems]
    return problem_response(request, status, exc.message, kind=exc.kind, errors=errors)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_path(e.get("loc", ())),
            "message": str(e.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for e in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(
        request, 422, f"request rejected: {summary}", kind="invalid", errors=errors
    )


async def _http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HttpProblem)
    return problem_response(request, exc.status, exc.detail, kind=exc.kind)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "www-authenticate"}
    return problem_response(request, exc.status_code, detail, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server log; the caller only gets the request id to quote.
    logger.error(
        "unhandled error on %s %s (request %s)",
        request.method,
        request.url.path,
        request_id_of(request),
        exc_info=exc,
    )
    return problem_response(
        request, 500, "internal error; quote the request id when you report it", kind="internal"
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error (domain, validation, HTTP, unexpected) as problem JSON."""
    app.add_exception_handler(CamregError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HttpProblem, _http_problem)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI response entries for error statuses (their content is set in openapi)."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def use_problem_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite every 4xx/5xx response of an OpenAPI document to problem+json."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = content
    return schema
