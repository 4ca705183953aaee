"""Log in and out with a password; ask who you are."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Cookie, Request, Response
from pydantic import BaseModel, Field

from api.auth import (
    CSRF_HEADER,
    CSRF_VALUE,
    absolute_session_minutes,
    case_number_of,
    clear_session_cookie,
    client_source,
    set_session_cookie,
)
from api.deps import ActorDep, SessionDep, SettingsDep
from api.problem import problem_responses, request_id_of
from camera_registry.account.role import Permission, Role
from camera_registry.account.schema import ScopeData
from camera_registry.account.service import (
    actor_for_user,
    authenticate,
    display_name_of,
    end_session,
    start_session,
)
from camera_registry.actor import Actor
from camera_registry.audit.service import append_audit
from camera_registry.errors import AuthenticationFailed, PermissionDenied

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    """User name and password."""

    username: str = Field(min_length=1, max_length=64, examples=["nguyen.an"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct horse battery"])


class Me(BaseModel):
    """The caller: a person (cookie) or an API key (bearer)."""

    kind: Literal["user", "key"]
    name: str = Field(examples=["user:nguyen.an"], description="As recorded in the logs.")
    display_name: str = Field(examples=["Nguyễn Văn An"], description="A person's or key's name.")
    role: Role
    permissions: list[str]
    scope: ScopeData
    language: str = Field(description="Language of labels (`vi` or `en`).")


def _me(actor: Actor, language: str, display_name: str) -> Me:
    return Me(
        kind="key" if actor.name.startswith("key:") else "user",
        name=actor.name,
        display_name=display_name,
        role=actor.role,
        permissions=sorted(str(p) for p in Permission if actor.can(p)),
        scope=ScopeData(
            wards=sorted(actor.scope.ward_codes), cameras=sorted(actor.scope.camera_codes)
        ),
        language=language,
    )


@router.post("/login", response_model=Me, responses=problem_responses(401, 422))
def log_in_user(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> Me:
    """Log in: check the password and set the `camreg_session` cookie."""
    source = client_source(request, settings)
    request_id = request_id_of(request) or ""
    case_number = case_number_of(request.headers.get("x-case-number"), None)
    try:
        user = authenticate(
            session,
            username=body.username,
            password=body.password,
            source=source,
            max_failed=settings.auth.max_failed_logins,
            lockout_minutes=settings.auth.lockout_minutes,
            request_id=request_id,
            case_number=case_number,
        )
    except AuthenticationFailed:
        session.commit()  # the failed attempt and the lockout counter must survive the 401
        raise
    token, _ = start_session(
        session, user=user, source=source, absolute_minutes=absolute_session_minutes(settings)
    )
    set_session_cookie(response, token, settings)
    actor = actor_for_user(user, request_id=request_id, source=source, case_number=case_number)
    return _me(actor, settings.language, user.display_name)


@router.post("/logout", status_code=204, responses=problem_responses(403))
def log_out_user(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    camreg_session: Annotated[str | None, Cookie(include_in_schema=False)] = None,
) -> None:
    """Log out: end the browser session and clear its cookie."""
    if camreg_session:
        if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
            raise PermissionDenied(f"log-out needs the header {CSRF_HEADER}: {CSRF_VALUE}")
        user = end_session(session, token=camreg_session)
        if user is not None:
            source = client_source(request, settings)
            actor = actor_for_user(user, request_id=request_id_of(request) or "", source=source)
            append_audit(session, actor=actor, action="auth.logout", target=user.username)
    clear_session_cookie(response, settings)
    response.status_code = 204


@router.get("/me", response_model=Me, responses=problem_responses(401))
def read_me(actor: ActorDep, session: SessionDep, settings: SettingsDep) -> Me:
    """Return the caller's name, role, permissions, scope and the label language."""
    return _me(actor, settings.language, display_name_of(session, actor=actor))
