"""create_app(settings): the HTTP API under /api/v1, health probes, and the web page if present."""

from __future__ import annotations

import importlib
import importlib.util
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import API_PREFIX
from api.docs_page import mount_docs
from api.problem import (
    REQUEST_ID_HEADER,
    HttpProblem,
    install_problem_handlers,
    problem_response,
    use_problem_schema,
)
from api.routers import (
    areas,
    audit,
    auth,
    camera_health,
    camera_transfer,
    camera_writes,
    cameras,
    events,
    health,
    keys,
    users,
    webhooks,
)
from api.runtime import Runtime
from config import Settings

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
DESCRIPTION = """
Registry of the socially funded street cameras of Vũng Tàu.

**Authentication**: integrations send `Authorization: Bearer camreg_<id>_<secret>`; people log
in with `POST /api/v1/auth/login` and send the `camreg_session` cookie, plus the header
`X-Requested-With: camreg` on every request that changes something.

**Audit**: every search and every read of owners' personal data is recorded with the caller,
role, source address, request id (`X-Request-ID`, echoed back) and case number
(`X-Case-Number` header or `case` query parameter).

**Errors** are problem details (RFC 9457, `application/problem+json`) whose `errors` list the
fields at fault. **Writes** to cameras return the camera plus a `warnings` array; updates need
`If-Match` with the camera's `ETag`.
"""


class RequestContextMiddleware:
    """Give each request an id (X-Request-ID or a new one), echo it, and forbid caching."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if _REQUEST_ID_RE.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        is_api = scope["path"].startswith(API_PREFIX)

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if is_api:
                    # Answers may hold owners' personal data: no shared or browser caches.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_context)


class BodyLimitMiddleware:
    """Refuse request bodies over the upload limit with 413, without reading them whole.

    A declared Content-Length over the limit is refused before anything is read; otherwise the
    bytes are counted as they arrive and reading stops at the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"request body is larger than {self.max_bytes} bytes; split the file"
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(Request(scope), 413, detail, kind="too_large")
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the handler's body read, so the problem handlers answer it.
                    raise HttpProblem(413, detail, kind="too_large")
            return message

        await self.app(scope, counting_receive, send)


def _mount_web_page(app: FastAPI, settings: Settings) -> None:
    # The page lives in its own package, built separately; the API works without it.
    if importlib.util.find_spec("api.web") is None:
        return
    if importlib.util.find_spec("api.web.routes") is None:
        return
    module = importlib.import_module("api.web.routes")
    module.mount_web(app, settings)


def _summaries_from_docstrings(schema: dict[str, Any]) -> dict[str, Any]:
    """Make a router function's first docstring line the summary, further lines the description."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            first, _, rest = operation.get("description", "").partition("\n")
            if first:
                operation["summary"] = first.strip()
                operation["description"] = rest.strip()
                if not operation["description"]:
                    del operation["description"]
    return schema


def _install_openapi(app: FastAPI) -> None:
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _summaries_from_docstrings(use_problem_schema(default_openapi()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """Build the application; the engine is created here but connects on first use."""
    own_runtime = runtime is None
    rt = runtime or Runtime.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if own_runtime:
            rt.close()

    app = FastAPI(
        title="camreg",
        version="1",
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by mount_docs without a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.runtime = rt
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.http.max_upload_bytes)
    app.add_middleware(RequestContextMiddleware)  # added last, so it runs first
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.router, prefix=API_PREFIX)
    # Fixed paths (/cameras/export, /cameras/import) before /cameras/{code}.
    app.include_router(camera_transfer.router, prefix=API_PREFIX)
    app.include_router(cameras.router, prefix=API_PREFIX)
    app.include_router(camera_writes.router, prefix=API_PREFIX)
    app.include_router(events.router, prefix=API_PREFIX)
    app.include_router(areas.router, prefix=API_PREFIX)
    app.include_router(users.router, prefix=API_PREFIX)
    app.include_router(keys.router, prefix=API_PREFIX)
    app.include_router(audit.router, prefix=API_PREFIX)
    app.include_router(camera_health.router, prefix=API_PREFIX)
    app.include_router(webhooks.router, prefix=API_PREFIX)
    _install_openapi(app)
    mount_docs(app, API_PREFIX)
    _mount_web_page(app, settings)
    return app
