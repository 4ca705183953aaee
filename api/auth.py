"""Who is calling: a bearer API key (integrations) or the session cookie (people).

Cookie-authenticated requests that change state must carry `X-Requested-With: camreg`. A
cross-site form cannot set that header and a cross-site script cannot either without a CORS
preflight that this server never grants, so the header proves the request came from the page.
Bearer requests need no such header: browsers never attach the key on their own.
"""

from __future__ import annotations

import ipaddress
import re

from fastapi import Request, Response
from sqlalchemy.orm import Session

from api.problem import request_id_of
from camera_registry.account.apikey import actor_for_key, authenticate_api_key
from camera_registry.account.service import actor_for_user, resume_session
from camera_registry.actor import Actor
from camera_registry.errors import (
    AuthenticationFailed,
    FieldProblem,
    InvalidInput,
    PermissionDenied,
)
from config import Settings

SESSION_COOKIE = "camreg_session"
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "camreg"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A session ends after `http.session_minutes` without use, and at the latest this long after
# log-in (or after session_minutes, when an operator configured a longer idle limit).
ABSOLUTE_SESSION_MINUTES = 24 * 60
_CASE_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


def absolute_session_minutes(settings: Settings) -> int:
    """Return how long a browser session may last at most."""
    return max(ABSOLUTE_SESSION_MINUTES, settings.http.session_minutes)


def _is_trusted(peer: str, trusted_proxy: str) -> bool:
    if not trusted_proxy:
        return False
    try:
        return ipaddress.ip_address(peer) in ipaddress.ip_network(trusted_proxy, strict=False)
    except ValueError:
        return peer == trusted_proxy


def client_source(request: Request, settings: Settings) -> str:
    """Return the caller's address; X-Forwarded-For counts only from the trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and _is_trusted(peer, settings.http.trusted_proxy):
        # The proxy appends the address it saw last; earlier entries are the client's claims.
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:100]
    return peer[:100]


def case_number_of(header: str | None, query: str | None) -> str | None:
    """Return the case number from X-Case-Number or ?case=, refusing unusable values."""
    value = (header or query or "").strip()
    if not value:
        return None
    if not _CASE_RE.match(value):
        message = "case number: 1–64 printable characters"
        raise InvalidInput(message, problems=[FieldProblem("X-Case-Number", message)])
    return value


def resolve_actor(
    request: Request,
    session: Session,
    settings: Settings,
    *,
    bearer: str | None,
    cookie: str | None,
    case_number: str | None,
) -> Actor:
    """Return the actor of a request, or raise AuthenticationFailed / PermissionDenied."""
    request_id = request_id_of(request) or ""
    source = client_source(request, settings)
    if bearer:
        try:
            key = authenticate_api_key(
                session,
                token=bearer,
                source=source,
                request_id=request_id,
                case_number=case_number,
            )
        except AuthenticationFailed:
            session.commit()  # keep the audit record of the refused key
            raise
        return actor_for_key(key, request_id=request_id, source=source, case_number=case_number)
    if cookie:
        user = resume_session(session, token=cookie, idle_minutes=settings.http.session_minutes)
        if user is None:
            session.commit()  # drop the expired session for good
            raise AuthenticationFailed("your session has ended; log in again")
        if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != CSRF_VALUE:
            raise PermissionDenied(
                f"cookie-authenticated changes need the header {CSRF_HEADER}: {CSRF_VALUE}"
            )
        return actor_for_user(user, request_id=request_id, source=source, case_number=case_number)
    raise AuthenticationFailed(
        "authentication required: send Authorization: Bearer <API key>, or log in"
    )


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, Secure per settings, Path=/."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=absolute_session_minutes(settings) * 60,
        path="/",
        secure=settings.http.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=settings.http.cookie_secure,
        httponly=True,
        samesite="strict",
    )
