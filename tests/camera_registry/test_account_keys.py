"""API keys: issue, authenticate, revoke, rotate, expire; only hashes are stored."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from camera_registry.account.apikey import (
    actor_for_key,
    authenticate_api_key,
    create_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from camera_registry.account.model import ApiKey
from camera_registry.account.role import Role
from camera_registry.account.schema import ApiKeyCreate, ScopeData
from camera_registry.actor import Actor
from camera_registry.audit.model import AuditEntry
from camera_registry.changelog.service import changes_of
from camera_registry.clock import utcnow
from camera_registry.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied


def _create(session: Session, actor: Actor, **extra: object) -> tuple[str, str]:
    issued = create_api_key(
        session,
        data=ApiKeyCreate(name="case system", role=Role.INTEGRATION, **extra),
        actor=actor,
    )
    return issued.id, issued.key


def _auth(session: Session, key: str) -> ApiKey:
    return authenticate_api_key(session, token=key, source="198.51.100.4", request_id="r1")


def test_key_format_and_only_a_hash_is_stored(session: Session, actor: Actor) -> None:
    key_id, key = _create(session, actor, scope=ScopeData(wards=["26506"]))
    assert key.startswith(f"camreg_{key_id}_")
    row = session.get(ApiKey, key_id)
    assert row is not None
    assert row.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    dump = session.execute(text("SELECT * FROM api_keys")).all()
    assert key.split("_", 2)[2] not in repr(dump)
    history = changes_of(session, entity="api_key", key=key_id)
    assert key not in repr([h.after for h in history])
    assert row.secret_hash not in repr([h.after for h in history])
    found = _auth(session, key)
    who = actor_for_key(found, request_id="r1", source="s")
    assert (who.name, who.role, who.scope.ward_codes) == (
        f"key:{key_id}",
        Role.INTEGRATION,
        frozenset({"26506"}),
    )
    (listed,) = list_api_keys(session, actor=actor)
    assert (listed.id, listed.state) == (key_id, "active")


def test_last_used_is_touched_at_most_once_a_minute(session: Session, actor: Actor) -> None:
    _, key = _create(session, actor)
    first = _auth(session, key).last_used_at
    assert first is not None
    assert _auth(session, key).last_used_at == first
    session.execute(update(ApiKey).values(last_used_at=utcnow() - timedelta(minutes=2)))
    later = _auth(session, key).last_used_at
    assert later is not None
    assert later > first


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), "wrong_secret"),
        (lambda k: "camreg_000000000000_" + k.split("_", 2)[2], "unknown"),
        (lambda k: "Bearer " + k, "malformed"),
    ],
)
def test_wrong_keys_are_refused_and_audited(
    session: Session, actor: Actor, mangle: object, reason: str
) -> None:
    _, key = _create(session, actor)
    with pytest.raises(AuthenticationFailed):
        _auth(session, mangle(key))  # type: ignore[operator]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.key")).one()
    assert (entry.outcome, entry.details["reason"], entry.source) == (
        "failed",
        reason,
        "198.51.100.4",
    )


def test_revoked_and_expired_keys_stop_working(session: Session, actor: Actor) -> None:
    revoked_id, revoked = _create(session, actor)
    assert revoke_api_key(session, key_id=revoked_id, actor=actor).state == "revoked"
    with pytest.raises(AuthenticationFailed):
        _auth(session, revoked)
    expiring_id, expiring = _create(session, actor, expires_at=utcnow() + timedelta(days=1))
    _auth(session, expiring)
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == expiring_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    with pytest.raises(AuthenticationFailed):
        _auth(session, expiring)
    with pytest.raises(InvalidInput, match="past"):
        _create(session, actor, expires_at=utcnow() - timedelta(days=1))
    actions = [c.action for c in changes_of(session, entity="api_key", key=revoked_id)]
    assert actions == ["create", "revoke"]


def test_rotation_without_grace_stops_the_old_secret(session: Session, actor: Actor) -> None:
    old_id, old = _create(session, actor, scope=ScopeData(wards=["26506"]))
    issued = rotate_api_key(session, key_id=old_id, actor=actor)
    assert issued.id != old_id
    assert (issued.rotated_from, issued.name, issued.scope.wards) == (
        old_id,
        "case system",
        ["26506"],
    )
    with pytest.raises(AuthenticationFailed):
        _auth(session, old)
    assert _auth(session, issued.key).id == issued.id
    with pytest.raises(Conflict):
        rotate_api_key(session, key_id=old_id, actor=actor)


def test_rotation_with_grace_keeps_both_for_a_while(session: Session, actor: Actor) -> None:
    old_id, old = _create(session, actor)
    issued = rotate_api_key(session, key_id=old_id, actor=actor, grace_minutes=60)
    assert _auth(session, old).id == old_id
    assert _auth(session, issued.key).id == issued.id
    with pytest.raises(Conflict, match="already rotated"):
        rotate_api_key(session, key_id=old_id, actor=actor)
    session.execute(
        update(ApiKey).where(ApiKey.id == old_id).values(expires_at=utcnow() - timedelta(1))
    )
    with pytest.raises(AuthenticationFailed):
        _auth(session, old)
    assert [c.action for c in changes_of(session, entity="api_key", key=old_id)] == [
        "create",
        "rotate",
    ]


def test_only_unscoped_admins_manage_keys(session: Session, actor: Actor) -> None:
    with pytest.raises(PermissionDenied):
        _create(session, Actor(name="user:inv", role=Role.INVESTIGATOR))
    with pytest.raises(InvalidInput, match="unknown ward"):
        _create(session, actor, scope=ScopeData(wards=["00000000"]))
