"""Users, log-in with lockout, and browser sessions on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.model import User, WebSession
from camera_registry.account.role import Role
from camera_registry.account.schema import ScopeData, UserCreate, UserUpdate
from camera_registry.account.service import (
    LOGIN_FAILED,
    add_user,
    authenticate,
    end_session,
    list_users,
    resume_session,
    start_session,
    update_user,
)
from camera_registry.actor import Actor, Scope
from camera_registry.audit.model import AuditEntry
from camera_registry.changelog.service import changes_of
from camera_registry.clock import utcnow
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import (
    AuthenticationFailed,
    DuplicateUser,
    InvalidInput,
    PermissionDenied,
)
from tests.builders import make_camera

PASSWORD = "correct horse battery"


def _add(
    session: Session,
    actor: Actor,
    username: str = "an",
    *,
    password: str = PASSWORD,
    display_name: str = "",
    scope: ScopeData | None = None,
) -> None:
    data = UserCreate(
        username=username,
        role=Role.TECHNICIAN,
        password=SecretStr(password),
        display_name=display_name,
        scope=scope or ScopeData(),
    )
    add_user(session, data=data, actor=actor, min_password_length=10)


def _login(session: Session, username: str = "an", password: str = PASSWORD) -> User:
    return authenticate(
        session,
        username=username,
        password=password,
        source="203.0.113.7",
        max_failed=3,
        lockout_minutes=15,
        request_id="req-1",
        case_number="CASE-9",
    )


def _login_entries(session: Session) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == "auth.login").order_by(AuditEntry.seq)
    return list(session.scalars(stmt))


def test_add_list_and_change_log_without_secrets(session: Session, actor: Actor) -> None:
    _add(session, actor, display_name="Nguyễn Văn An")
    users = list_users(session, actor=actor)
    assert [(u.username, u.display_name, u.role) for u in users] == [
        ("an", "Nguyễn Văn An", Role.TECHNICIAN)
    ]
    row = session.scalars(select(User)).one()
    assert row.password_hash.startswith("$argon2id$")
    update_user(
        session,
        username="an",
        data=UserUpdate(password=SecretStr("another long secret")),
        actor=actor,
        min_password_length=10,
    )
    history = changes_of(session, entity="user", key="an")
    assert [c.action for c in history] == ["create", "update"]
    assert history[1].after is not None
    assert history[1].after["password_changed"] is True
    text = repr([(c.before, c.after) for c in history])
    assert PASSWORD not in text
    assert "argon2" not in text


def test_rules_on_new_users(session: Session, actor: Actor) -> None:
    _add(session, actor, username="Binh")
    with pytest.raises(DuplicateUser):
        _add(session, actor, username="binh")
    with pytest.raises(InvalidInput, match="at least 10"):
        _add(session, actor, username="chi", password="short")
    with pytest.raises(InvalidInput, match="unknown ward"):
        _add(session, actor, username="dung", scope=ScopeData(wards=["99999999"]))
    with pytest.raises(InvalidInput, match="no camera"):
        _add(session, actor, username="dung", scope=ScopeData(cameras=["NOPE"]))
    technician = Actor(name="user:tech", role=Role.TECHNICIAN)
    with pytest.raises(PermissionDenied):
        _add(session, technician, username="eve")
    scoped_admin = Actor(name="key:x", role=Role.ADMIN, scope=Scope(ward_codes=frozenset({"1"})))
    with pytest.raises(PermissionDenied, match="scoped"):
        list_users(session, actor=scoped_admin)


def test_scope_is_stored(session: Session, actor: Actor) -> None:
    make_camera(session, code="VT-0001")
    _add(session, actor, scope=ScopeData(wards=["26506"], cameras=["VT-0001"]))
    (user,) = list_users(session, actor=actor)
    assert user.scope == ScopeData(wards=["26506"], cameras=["VT-0001"])


def test_login_ok_is_audited_with_context(session: Session, actor: Actor) -> None:
    _add(session, actor)
    user = _login(session)
    assert user.last_login_at is not None
    (entry,) = _login_entries(session)
    assert (entry.actor, entry.role, entry.outcome, entry.source) == (
        "user:an",
        "technician",
        "ok",
        "203.0.113.7",
    )
    assert (entry.request_id, entry.case_number) == ("req-1", "CASE-9")


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "disabled"])
def test_failures_look_alike_but_audit_the_reason(
    session_factory: sessionmaker[Session], actor: Actor, case: str
) -> None:
    with unit_of_work(session_factory) as session:
        _add(session, actor)
        if case == "disabled":
            update_user(
                session,
                username="an",
                data=UserUpdate(disabled=True),
                actor=actor,
                min_password_length=10,
            )
    username = "nobody" if case == "unknown_user" else "an"
    password = "wrong password!" if case == "wrong_password" else PASSWORD
    with unit_of_work(session_factory) as session:
        with pytest.raises(AuthenticationFailed) as caught:
            _login(session, username, password)
        # The caller commits the failure record before answering.
        session.commit()
    assert caught.value.message == LOGIN_FAILED
    with unit_of_work(session_factory) as session:
        (entry,) = _login_entries(session)
        assert (entry.outcome, entry.details["reason"]) == ("failed", case)


def test_lockout_after_repeated_failures(session: Session, actor: Actor) -> None:
    _add(session, actor)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            _login(session, password="wrong password!")
    with pytest.raises(AuthenticationFailed) as caught:
        _login(session)  # the right password does not open a locked account
    assert caught.value.message == LOGIN_FAILED
    outcomes = [(e.outcome, e.details["reason"]) for e in _login_entries(session)]
    assert outcomes == [("failed", "wrong_password")] * 3 + [("locked", "locked")]
    session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert _login(session).username == "an"


def test_enable_clears_lock(session: Session, actor: Actor) -> None:
    _add(session, actor)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            _login(session, password="wrong password!")
    update_user(
        session, username="an", data=UserUpdate(disabled=False), actor=actor, min_password_length=10
    )
    assert _login(session).username == "an"


def test_outdated_hash_is_replaced_on_login(session: Session, actor: Actor) -> None:
    _add(session, actor)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    session.execute(update(User).values(password_hash=weak))
    user = _login(session)
    assert user.password_hash != weak
    assert "m=65536" in user.password_hash


def test_sessions_store_only_a_hash_and_expire(session: Session, actor: Actor) -> None:
    _add(session, actor)
    user = _login(session)
    token, _ = start_session(session, user=user, source="x", absolute_minutes=60)
    stored = session.scalars(select(WebSession)).one()
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64
    resumed = resume_session(session, token=token, idle_minutes=30)
    assert resumed is not None
    assert resumed.username == "an"
    assert resume_session(session, token=token + "x", idle_minutes=30) is None
    stored.last_seen_at = utcnow() - timedelta(minutes=31)
    assert resume_session(session, token=token, idle_minutes=30) is None
    token, _ = start_session(session, user=user, source="x", absolute_minutes=60)
    session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert resume_session(session, token=token, idle_minutes=30) is None
    token, _ = start_session(session, user=user, source="x", absolute_minutes=60)
    ended = end_session(session, token=token)
    assert ended is not None
    assert resume_session(session, token=token, idle_minutes=30) is None


def test_disabling_or_new_password_ends_sessions(session: Session, actor: Actor) -> None:
    _add(session, actor)
    user = _login(session)
    token, _ = start_session(session, user=user, source="x", absolute_minutes=60)
    update_user(
        session, username="an", data=UserUpdate(disabled=True), actor=actor, min_password_length=10
    )
    assert resume_session(session, token=token, idle_minutes=30) is None
    assert session.scalars(select(WebSession)).all() == []
    assert [c.action for c in changes_of(session, entity="user", key="an")] == [
        "create",
        "disable",
    ]
    update_user(
        session, username="an", data=UserUpdate(disabled=False), actor=actor, min_password_length=10
    )
    token, _ = start_session(session, user=_login(session), source="x", absolute_minutes=60)
    update_user(
        session,
        username="an",
        data=UserUpdate(password=SecretStr("a brand new secret")),
        actor=actor,
        min_password_length=10,
    )
    assert resume_session(session, token=token, idle_minutes=30) is None
