"""Request dependencies: one unit of work, the acting caller, permissions, bounded uploads."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.auth import SESSION_COOKIE, case_number_of, resolve_actor
from api.runtime import Runtime
from camera_registry.actor import Actor
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import FieldProblem, InvalidInput, PermissionDenied
from config import Settings

API_PREFIX = "/api/v1"
UPLOAD_FIELD = "file"


def get_runtime(request: Request) -> Runtime:
    """Return the runtime create_app stored on the application."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    """Return the settings create_app was given."""
    settings: Settings = request.app.state.settings
    return settings


def db_session(request: Request) -> Iterator[Session]:
    """Yield the request's unit of work: committed when the handler succeeds, else rolled back."""
    with unit_of_work(get_runtime(request).session_factory) as session:
        yield session


# scope="function" commits before the response is sent, so a failed commit is a 500, not a lie.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key, `camreg_<id>_<secret>` (`camreg keys create`).",
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="Set by POST /api/v1/auth/login; changes also need `X-Requested-With: camreg`.",
)


def current_actor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
    x_case_number: Annotated[
        str | None, Header(description="Case the request serves; recorded in the audit log.")
    ] = None,
    case: Annotated[
        str | None, Query(description="Same as the X-Case-Number header.", max_length=64)
    ] = None,
) -> Actor:
    """Return who is calling; 401 without valid credentials."""
    return resolve_actor(
        request,
        session,
        settings,
        bearer=credentials.credentials if credentials else None,
        cookie=cookie,
        case_number=case_number_of(x_case_number, case),
    )


ActorDep = Annotated[Actor, Depends(current_actor)]


def require(permission: str) -> Callable[[Actor], Actor]:
    """Return a dependency that yields the actor only when its role grants `permission`."""

    def dependency(actor: ActorDep) -> Actor:
        if not actor.can(permission):
            raise PermissionDenied(f"role {actor.role} lacks the permission {permission}")
        return actor

    return dependency


@dataclass(frozen=True)
class Upload:
    """An uploaded file, read completely (it is bounded by `http.max_upload_bytes`)."""

    filename: str
    content: bytes
    actor: Actor


def upload_of(permission: str) -> Callable[..., Coroutine[Any, Any, Upload]]:
    """Return a dependency that checks the permission first, then reads one bounded upload."""

    guard = require(permission)

    # The guard is a default value, not an annotation: annotations are strings here and could
    # not see this closure's variables.
    async def dependency(request: Request, actor: Actor = Depends(guard)) -> Upload:
        # BodyLimitMiddleware refuses a body over http.max_upload_bytes while it streams in.
        form = await request.form(max_files=1, max_fields=5)
        try:
            item = form.get(UPLOAD_FIELD)
            if not isinstance(item, UploadFile):
                message = f"send the file as multipart/form-data field {UPLOAD_FIELD!r}"
                raise InvalidInput(message, problems=[FieldProblem(UPLOAD_FIELD, message)])
            content = await item.read()
            return Upload(filename=item.filename or "", content=content, actor=actor)
        finally:
            await form.close()

    return dependency


def upload_body_doc(description: str) -> dict[str, Any]:
    """Return the OpenAPI request body of an upload endpoint (read by `upload_of`)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [UPLOAD_FIELD],
                        "properties": {
                            UPLOAD_FIELD: {
                                "type": "string",
                                "format": "binary",
                                "description": description,
                            }
                        },
                    }
                }
            },
        }
    }
