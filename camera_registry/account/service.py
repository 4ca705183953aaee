"""People: add, change and disable users; log in with lockout; browser sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from camera_registry.account.model import ApiKey, User, WebSession
from camera_registry.account.password import (
    burn_verification_time,
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from camera_registry.account.role import Permission, Role
from camera_registry.account.schema import ScopeData, UserCreate, UserRead, UserUpdate
from camera_registry.actor import Actor
from camera_registry.area.official import is_official_ward
from camera_registry.area.repository import AreaRepository
from camera_registry.audit.service import append_audit
from camera_registry.camera.repository import CameraRepository
from camera_registry.changelog.service import record_change
from camera_registry.clock import utcnow
from camera_registry.errors import (
    AuthenticationFailed,
    DuplicateUser,
    InvalidInput,
    PermissionDenied,
    Problems,
    UserNotFound,
)

# One message for every failed log-in, so callers cannot learn which user names exist.
LOGIN_FAILED = "log-in failed: wrong user name or password, or the account is locked or disabled"
# last_seen_at / last_used_at are refreshed at most this often, so reads stay cheap.
TOUCH_INTERVAL = timedelta(minutes=1)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a secret token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def require_account_admin(actor: Actor) -> None:
    """Raise PermissionDenied unless the actor may manage users and keys everywhere."""
    if not actor.can(Permission.ACCOUNT_ADMIN):
        raise PermissionDenied(f"role {actor.role} may not manage users or API keys")
    if not actor.scope.unrestricted:
        # A scoped admin could otherwise hand out an unrestricted key.
        raise PermissionDenied("a scoped caller may not manage users or API keys")


def check_scope(session: Session, scope: ScopeData) -> None:
    """Raise InvalidInput when a scope names unknown wards or cameras."""
    problems = Problems()
    known_wards = {a.code for a in AreaRepository(session).all()}
    for ward in scope.wards:
        if ward not in known_wards and not is_official_ward(ward):
            problems.add("scope.wards", f"unknown ward code {ward!r}")
    found = CameraRepository(session).get_many(scope.cameras)
    for code in scope.cameras:
        if code not in found:
            problems.add("scope.cameras", f"no camera {code}")
    problems.raise_if_any(InvalidInput, "scope rejected")


class Scoped(Protocol):
    """A row that carries a scope (users and API keys)."""

    @property
    def scope_wards(self) -> list[str]:
        """Ward codes."""

    @property
    def scope_cameras(self) -> list[str]:
        """Camera codes."""


def scope_of(row: Scoped) -> ScopeData:
    """Return the scope stored on a user or key row."""
    return ScopeData(wards=list(row.scope_wards or []), cameras=list(row.scope_cameras or []))


def user_read(user: User) -> UserRead:
    """Return a user as admins see it."""
    return UserRead(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        disabled=user.disabled,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        scope=scope_of(user),
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "disabled": user.disabled,
        "scope": scope_of(user).model_dump(),
    }


def _get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise UserNotFound(f"no user {username!r}; `camreg users list` shows them")
    return user


def add_user(
    session: Session, *, data: UserCreate, actor: Actor, min_password_length: int
) -> UserRead:
    """Create a user who logs in with a password."""
    require_account_admin(actor)
    clash = session.scalars(
        select(User.username).where(func.lower(User.username) == data.username.lower())
    ).first()
    if clash is not None:
        raise DuplicateUser(f"user {clash!r} exists already (names differing by case clash)")
    password = data.password.get_secret_value()
    check_password_rules(password, min_length=min_password_length, username=data.username)
    check_scope(session, data.scope)
    now = utcnow()
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        role=str(data.role),
        password_hash=hash_password(password),
        disabled=False,
        failed_logins=0,
        scope_wards=data.scope.wards,
        scope_cameras=data.scope.cameras,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    record_change(
        session,
        actor=actor,
        entity="user",
        key=user.username,
        action="create",
        before=None,
        after=_snapshot(user),
    )
    return user_read(user)


def list_users(session: Session, *, actor: Actor) -> list[UserRead]:
    """Return every user, by name."""
    require_account_admin(actor)
    return [user_read(u) for u in session.scalars(select(User).order_by(User.username))]


def update_user(
    session: Session, *, username: str, data: UserUpdate, actor: Actor, min_password_length: int
) -> UserRead:
    """Change the fields sent; disabling ends the user's sessions."""
    require_account_admin(actor)
    user = _get_user(session, username)
    before = _snapshot(user)
    fields = data.model_fields_set
    if data.display_name is not None:
        user.display_name = data.display_name or user.username
    if data.role is not None:
        user.role = str(data.role)
    if "scope" in fields:
        scope = data.scope or ScopeData()
        check_scope(session, scope)
        user.scope_wards, user.scope_cameras = scope.wards, scope.cameras
    if data.disabled is not None:
        user.disabled = data.disabled
        if data.disabled:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        else:
            user.failed_logins, user.locked_until = 0, None
    after = _snapshot(user)
    if data.password is not None:
        password = data.password.get_secret_value()
        check_password_rules(password, min_length=min_password_length, username=user.username)
        user.password_hash = hash_password(password)
        # A new password ends sessions opened with the old one.
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        after["password_changed"] = True
    if after != before:
        user.updated_at = utcnow()
        action = "disable" if after["disabled"] and not before["disabled"] else "update"
        record_change(
            session,
            actor=actor,
            entity="user",
            key=user.username,
            action=action,
            before=before,
            after=after,
        )
    session.flush()
    return user_read(user)


def scoped_actor(
    name: str, row: Scoped, *, role: str, request_id: str, source: str, case_number: str | None
) -> Actor:
    """Return an actor carrying the role and scope stored on a user or key row."""
    return Actor(
        name=name,
        role=Role(role),
        request_id=request_id,
        source=source,
        scope=scope_of(row).to_scope(),
        case_number=case_number,
    )


def actor_for_user(
    user: User, *, request_id: str, source: str, case_number: str | None = None
) -> Actor:
    """Return the actor of a logged-in person."""
    return scoped_actor(
        f"user:{user.username}",
        user,
        role=user.role,
        request_id=request_id,
        source=source,
        case_number=case_number,
    )


def _audit_login(
    session: Session, attempt: Actor, username: str, outcome: str, reason: str, **extra: Any
) -> None:
    append_audit(
        session,
        actor=attempt,
        action="auth.login",
        target=username[:200],
        outcome=outcome,
        details={"reason": reason, **extra},
    )


def _count_failure(
    user: User, now: datetime, max_failed: int, lockout_minutes: int
) -> dict[str, Any]:
    """Count a wrong password; lock the account after `max_failed` in a row."""
    user.failed_logins = (user.failed_logins or 0) + 1
    extra: dict[str, Any] = {"failures": user.failed_logins}
    if user.failed_logins >= max_failed:
        user.locked_until = now + timedelta(minutes=lockout_minutes)
        user.failed_logins = 0
        extra["locked_until"] = user.locked_until
    return extra


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    source: str,
    max_failed: int,
    lockout_minutes: int,
    request_id: str = "",
    case_number: str | None = None,
) -> User:
    """Check a log-in and audit it; on failure raise AuthenticationFailed with one message.

    Every attempt is audited and failures count towards the lockout, so a caller that catches
    AuthenticationFailed must commit the session before answering (the unit of work would
    otherwise roll the record back).
    """
    now = utcnow()
    user = session.scalars(select(User).where(User.username == username)).first()
    attempt = Actor(
        name=f"user:{username[:190]}",
        # An unknown name has no role; record it under the one with the fewest rights.
        role=Role(user.role) if user else Role.INTEGRATION,
        request_id=request_id or secrets.token_hex(16),
        source=source,
        case_number=case_number,
    )
    if user is None:
        burn_verification_time(password)
        _audit_login(session, attempt, username, "failed", "unknown_user")
        raise AuthenticationFailed(LOGIN_FAILED)
    if user.locked_until is not None and user.locked_until > now:
        burn_verification_time(password)
        _audit_login(session, attempt, username, "locked", "locked", locked_until=user.locked_until)
        raise AuthenticationFailed(LOGIN_FAILED)
    password_ok = verify_password(user.password_hash, password)
    if user.disabled:
        _audit_login(session, attempt, username, "failed", "disabled")
        raise AuthenticationFailed(LOGIN_FAILED)
    if not password_ok:
        extra = _count_failure(user, now, max_failed, lockout_minutes)
        _audit_login(session, attempt, username, "failed", "wrong_password", **extra)
        session.flush()
        raise AuthenticationFailed(LOGIN_FAILED)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    _audit_login(session, attempt, username, "ok", "password")
    session.flush()
    return user


def display_name_of(session: Session, *, actor: Actor) -> str:
    """Return a user's display name or a key's name for an actor (else the actor's name)."""
    kind, _, ident = actor.name.partition(":")
    if kind == "user":
        user = session.scalars(select(User).where(User.username == ident)).first()
        return user.display_name if user else actor.name
    if kind == "key":
        key = session.get(ApiKey, ident)
        return key.name if key else actor.name
    return actor.name


def start_session(
    session: Session, *, user: User, source: str, absolute_minutes: int
) -> tuple[str, datetime]:
    """Open a browser session; return the cookie token (shown once) and its absolute end."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=absolute_minutes)
    session.add(
        WebSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=expires,
            last_seen_at=now,
            source=source[:100],
        )
    )
    session.flush()
    return token, expires


def resume_session(session: Session, *, token: str, idle_minutes: int) -> User | None:
    """Return the user of a live session (refreshing its idle clock), or None."""
    row = session.get(WebSession, token_digest(token))
    if row is None:
        return None
    now = utcnow()
    user = session.get(User, row.user_id)
    idle_end = row.last_seen_at + timedelta(minutes=idle_minutes)
    if user is None or user.disabled or now >= row.expires_at or now >= idle_end:
        session.delete(row)
        session.flush()
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
    return user


def end_session(session: Session, *, token: str) -> User | None:
    """Delete a session (log out); return whose it was."""
    row = session.get(WebSession, token_digest(token))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    session.delete(row)
    session.flush()
    return user


def sessions_of(session: Session, *, username: str) -> Sequence[WebSession]:
    """Return the open sessions of a user."""
    user = _get_user(session, username)
    return session.scalars(select(WebSession).where(WebSession.user_id == user.id)).all()
