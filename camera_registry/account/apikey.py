"""API keys: `camreg_<id>_<secret>`; the id is public, only a SHA-256 of the whole key is stored.

Rotation issues a new id (its `rotated_from` names the old key) with the same name, role, scope
and expiry. The old key stops at once, or after a grace period of up to seven days during which
both work, so an integration can switch over without an outage.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.model import ApiKey
from camera_registry.account.role import Role
from camera_registry.account.schema import ApiKeyCreate, ApiKeyIssued, ApiKeyRead
from camera_registry.account.service import (
    TOUCH_INTERVAL,
    check_scope,
    require_account_admin,
    scope_of,
    scoped_actor,
    token_digest,
)
from camera_registry.actor import Actor
from camera_registry.audit.service import append_audit
from camera_registry.changelog.service import record_change
from camera_registry.clock import require_aware, utcnow
from camera_registry.errors import ApiKeyNotFound, AuthenticationFailed, Conflict, InvalidInput

KEY_PREFIX = "camreg"
_KEY_RE = re.compile(r"^camreg_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
KEY_REJECTED = "API key not accepted: unknown, revoked or expired"


def _new_key() -> tuple[str, str]:
    key_id = secrets.token_hex(6)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def key_state(key: ApiKey, now: datetime | None = None) -> Literal["active", "revoked", "expired"]:
    """Return whether a key works now."""
    now = now or utcnow()
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def key_read(key: ApiKey) -> ApiKeyRead:
    """Return a key as admins see it (never the secret or its hash)."""
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        role=Role(key.role),
        scope=scope_of(key),
        state=key_state(key),
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
        rotated_from=key.rotated_from,
    )


def _snapshot(key: ApiKey) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "scope": scope_of(key).model_dump(),
        "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        "rotated_from": key.rotated_from,
    }


def _get_key(session: Session, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound(f"no API key {key_id!r}; `camreg keys list` shows them")
    return key


def _issue(
    session: Session, *, name: str, role: str, wards: list[str], cameras: list[str], actor: Actor
) -> tuple[ApiKey, str]:
    key_id, plaintext = _new_key()
    while session.get(ApiKey, key_id) is not None:
        key_id, plaintext = _new_key()
    row = ApiKey(
        id=key_id,
        name=name,
        role=role,
        secret_hash=token_digest(plaintext),
        scope_wards=wards,
        scope_cameras=cameras,
        created_by=actor.name,
        created_at=utcnow(),
    )
    session.add(row)
    return row, plaintext


def create_api_key(session: Session, *, data: ApiKeyCreate, actor: Actor) -> ApiKeyIssued:
    """Create a key; the plaintext is in the result and nowhere else."""
    require_account_admin(actor)
    check_scope(session, data.scope)
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise InvalidInput("expires_at lies in the past; give a future time or none")
    row, plaintext = _issue(
        session,
        name=data.name,
        role=str(data.role),
        wards=data.scope.wards,
        cameras=data.scope.cameras,
        actor=actor,
    )
    row.expires_at = require_aware(data.expires_at) if data.expires_at else None
    session.flush()
    record_change(
        session,
        actor=actor,
        entity="api_key",
        key=row.id,
        action="create",
        before=None,
        after=_snapshot(row),
    )
    return ApiKeyIssued(**key_read(row).model_dump(), key=plaintext)


def list_api_keys(session: Session, *, actor: Actor) -> list[ApiKeyRead]:
    """Return every key, oldest first."""
    require_account_admin(actor)
    rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return [key_read(k) for k in rows]


def revoke_api_key(session: Session, *, key_id: str, actor: Actor) -> ApiKeyRead:
    """Stop a key for good (revoking a revoked key changes nothing)."""
    require_account_admin(actor)
    key = _get_key(session, key_id)
    if key.revoked_at is None:
        before = _snapshot(key)
        key.revoked_at = utcnow()
        session.flush()
        record_change(
            session,
            actor=actor,
            entity="api_key",
            key=key.id,
            action="revoke",
            before=before,
            after=_snapshot(key),
        )
    return key_read(key)


def rotate_api_key(
    session: Session, *, key_id: str, actor: Actor, grace_minutes: int = 0
) -> ApiKeyIssued:
    """Replace a key by a new one with the same name, role, scope and expiry."""
    require_account_admin(actor)
    old = _get_key(session, key_id)
    state = key_state(old)
    if state != "active":
        raise Conflict(f"API key {key_id} is {state}; create a new key instead")
    successor = session.scalars(select(ApiKey.id).where(ApiKey.rotated_from == key_id)).first()
    if successor is not None:
        raise Conflict(f"API key {key_id} was already rotated to {successor}; rotate that one")
    before, original_expiry = _snapshot(old), old.expires_at
    now = utcnow()
    if grace_minutes <= 0:
        old.revoked_at = now
    else:
        grace_end = now + timedelta(minutes=grace_minutes)
        old.expires_at = min(old.expires_at, grace_end) if old.expires_at else grace_end
    new, plaintext = _issue(
        session,
        name=old.name,
        role=old.role,
        wards=list(old.scope_wards or []),
        cameras=list(old.scope_cameras or []),
        actor=actor,
    )
    new.expires_at = original_expiry
    new.rotated_from = old.id
    session.flush()
    for row, action, was in ((old, "rotate", before), (new, "create", None)):
        record_change(
            session,
            actor=actor,
            entity="api_key",
            key=row.id,
            action=action,
            before=was,
            after=_snapshot(row),
        )
    return ApiKeyIssued(**key_read(new).model_dump(), key=plaintext)


def actor_for_key(
    key: ApiKey, *, request_id: str, source: str, case_number: str | None = None
) -> Actor:
    """Return the actor of an integration calling with a key."""
    return scoped_actor(
        f"key:{key.id}",
        key,
        role=key.role,
        request_id=request_id,
        source=source,
        case_number=case_number,
    )


def authenticate_api_key(
    session: Session,
    *,
    token: str,
    source: str,
    request_id: str = "",
    case_number: str | None = None,
) -> ApiKey:
    """Return the active key the bearer token belongs to, or raise AuthenticationFailed.

    A refused key is audited (`auth.key`, outcome failed), so a caller that catches the error
    must commit before answering.
    """
    match = _KEY_RE.match(token)
    key = session.get(ApiKey, match.group(1)) if match else None
    now = utcnow()
    reason = "malformed" if match is None else "unknown"
    if key is not None:
        # Compare digests in constant time; the id alone must not be enough.
        if not hmac.compare_digest(key.secret_hash, token_digest(token)):
            reason = "wrong_secret"
        elif (state := key_state(key, now)) != "active":
            reason = state
        else:
            if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
                key.last_used_at = now
            return key
    attempt = Actor(
        name=f"key:{match.group(1) if match else '?'}",
        role=Role(key.role) if key else Role.INTEGRATION,
        request_id=request_id or secrets.token_hex(16),
        source=source,
        case_number=case_number,
    )
    append_audit(
        session, actor=attempt, action="auth.key", outcome="failed", details={"reason": reason}
    )
    raise AuthenticationFailed(KEY_REJECTED)
