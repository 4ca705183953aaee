"""Log-in, lockout, session cookie, CSRF header, API key lifecycle, unauthenticated access."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from camera_registry.account.model import ApiKey, WebSession
from camera_registry.account.role import Role
from camera_registry.audit.model import AuditEntry
from camera_registry.clock import utcnow
from config import Settings, load_settings
from tests.api.conftest import PASSWORD, Headers

LOGIN = "/api/v1/auth/login"
CSRF = {"X-Requested-With": "camreg"}
NEW_CAMERA = {"code": "VT-0200", "name": "Mũi Nghinh Phong", "lat": 10.3203, "lon": 107.0843}


def _logins(session_factory: sessionmaker[Session]) -> list[AuditEntry]:
    with session_factory() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == "auth.login").order_by(AuditEntry.seq)
        return list(session.scalars(stmt))


def test_login_sets_a_strict_cookie_and_me_answers(
    client: TestClient, add_person: Callable[..., None]
) -> None:
    add_person("an", Role.TECHNICIAN)
    answer = client.post(LOGIN, json={"username": "an", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("camreg_session=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # cookie_secure is off in these tests
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["name"] == "user:an"
    assert me.json()["display_name"] == "an"
    assert me.json()["kind"] == "user"
    assert me.json()["role"] == "technician"
    assert me.json()["language"] == "vi"
    assert "camera:write" in me.json()["permissions"]


def test_secure_cookie_when_configured(
    settings: Settings, session_factory: sessionmaker[Session], add_person: Callable[..., None]
) -> None:
    add_person("an")
    secure = settings.model_copy(
        update={"http": settings.http.model_copy(update={"cookie_secure": True})}
    )
    with TestClient(create_app(secure)) as client:
        answer = client.post(LOGIN, json={"username": "an", "password": PASSWORD})
    assert "; secure" in answer.headers["set-cookie"].lower()


def test_session_token_is_stored_hashed(
    client: TestClient, add_person: Callable[..., None], session_factory: sessionmaker[Session]
) -> None:
    add_person("an")
    client.post(LOGIN, json={"username": "an", "password": PASSWORD})
    token = client.cookies["camreg_session"]
    with session_factory() as session:
        stored = session.scalars(select(WebSession.token_hash)).one()
    assert token != stored
    assert len(stored) == 64


def test_failed_logins_look_alike_lock_the_account_and_are_audited(
    client: TestClient, add_person: Callable[..., None], session_factory: sessionmaker[Session]
) -> None:
    add_person("an")
    context = {"X-Request-ID": "req-login-1", "X-Case-Number": "VT-2026-17"}
    answers = [
        client.post(LOGIN, json={"username": "an", "password": "wrong one!"}, headers=context)
        for _ in range(3)
    ]
    answers.append(client.post(LOGIN, json={"username": "ghost", "password": "x"}))
    locked = client.post(LOGIN, json={"username": "an", "password": PASSWORD})
    answers.append(locked)
    assert {a.status_code for a in answers} == {401}
    assert len({a.json()["detail"] for a in answers}) == 1  # no user enumeration
    assert locked.headers["WWW-Authenticate"].startswith("Bearer")
    assert "camreg_session" not in client.cookies
    entries = _logins(session_factory)
    assert [(e.actor, e.outcome, e.details["reason"]) for e in entries] == [
        ("user:an", "failed", "wrong_password"),
        ("user:an", "failed", "wrong_password"),
        ("user:an", "failed", "wrong_password"),
        ("user:ghost", "failed", "unknown_user"),
        ("user:an", "locked", "locked"),
    ]
    first = entries[0]
    assert (first.role, first.source, first.request_id, first.case_number) == (
        "investigator",
        "testclient",
        "req-login-1",
        "VT-2026-17",
    )


def test_successful_login_is_audited(
    client: TestClient, add_person: Callable[..., None], session_factory: sessionmaker[Session]
) -> None:
    add_person("an")
    answer = client.post(
        LOGIN, json={"username": "an", "password": PASSWORD}, headers={"X-Request-ID": "r-ok"}
    )
    assert answer.headers["X-Request-ID"] == "r-ok"
    (entry,) = _logins(session_factory)
    assert (entry.actor, entry.outcome, entry.request_id) == ("user:an", "ok", "r-ok")


def test_logout_ends_the_session(
    client: TestClient, add_person: Callable[..., None], session_factory: sessionmaker[Session]
) -> None:
    add_person("an")
    client.post(LOGIN, json={"username": "an", "password": PASSWORD})
    token = client.cookies["camreg_session"]
    assert client.post("/api/v1/auth/logout").status_code == 403  # no CSRF header
    assert client.post("/api/v1/auth/logout", headers=CSRF).status_code == 204
    client.cookies.set("camreg_session", token)
    assert client.get("/api/v1/auth/me").status_code == 401
    with session_factory() as session:
        assert session.scalars(select(WebSession)).all() == []


def test_expired_session_is_refused(
    client: TestClient, add_person: Callable[..., None], session_factory: sessionmaker[Session]
) -> None:
    add_person("an")
    client.post(LOGIN, json={"username": "an", "password": PASSWORD})
    with session_factory() as session, session.begin():
        session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(days=2)))
    assert client.get("/api/v1/auth/me").status_code == 401


def test_cookie_changes_need_the_csrf_header(
    client: TestClient, add_person: Callable[..., None], headers_for: Callable[..., Headers]
) -> None:
    add_person("tech", Role.TECHNICIAN)
    client.post(LOGIN, json={"username": "tech", "password": PASSWORD})
    assert client.get("/api/v1/cameras").status_code == 200  # reads need no header
    refused = client.post("/api/v1/cameras", json=NEW_CAMERA)
    assert refused.status_code == 403
    assert "X-Requested-With" in refused.json()["detail"]
    assert client.get("/api/v1/cameras/VT-0200").status_code == 404  # nothing was written
    assert client.post("/api/v1/cameras", json=NEW_CAMERA, headers=CSRF).status_code == 201
    # A bearer key needs no such header: browsers never send it on their own.
    bearer = headers_for(Role.TECHNICIAN)
    other = {**NEW_CAMERA, "code": "VT-0201"}
    plain = TestClient(client.app)
    assert plain.post("/api/v1/cameras", json=other, headers=bearer).status_code == 201


def test_revoked_rotated_and_expired_keys_stop_working(
    client: TestClient,
    admin: Headers,
    issue_key: Callable[..., str],
    session_factory: sessionmaker[Session],
) -> None:
    def works(key: str) -> bool:
        answer = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code in (200, 401)
        return bool(answer.status_code == 200)

    created = client.post("/api/v1/keys", json={"name": "case system"}, headers=admin)
    assert created.status_code == 201
    key_id, key = created.json()["id"], created.json()["key"]
    assert works(key)
    listed = client.get("/api/v1/keys", headers=admin).json()
    assert key not in str(listed)
    rotated = client.post(f"/api/v1/keys/{key_id}/rotate", headers=admin)
    assert rotated.status_code == 201
    assert rotated.json()["rotated_from"] == key_id
    assert not works(key)
    new_id, new_key = rotated.json()["id"], rotated.json()["key"]
    assert works(new_key)
    graceful = client.post(
        f"/api/v1/keys/{new_id}/rotate", json={"grace_minutes": 30}, headers=admin
    ).json()
    assert works(new_key)
    assert works(graceful["key"])
    assert client.delete(f"/api/v1/keys/{graceful['id']}", headers=admin).json()["state"] == (
        "revoked"
    )
    assert not works(graceful["key"])
    expiring = issue_key(Role.INTEGRATION)
    assert works(expiring)
    with session_factory() as session, session.begin():
        session.execute(
            update(ApiKey)
            .where(ApiKey.name == "integration key")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert not works(expiring)


def test_garbage_credentials_are_401(client: TestClient) -> None:
    for value in ("Bearer nonsense", "Bearer camreg_000000000000_" + "x" * 43, "Basic YTpi"):
        answer = client.get("/api/v1/cameras", headers={"Authorization": value})
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    client.cookies.set("camreg_session", "forged")
    assert client.get("/api/v1/cameras").status_code == 401


def test_only_probes_and_login_are_open(client: TestClient, app: FastAPI) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    assert client.get("/api/v1/openapi.json").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    open_paths = {"/healthz", "/readyz", "/api/v1/auth/login", "/api/v1/auth/logout"}
    checked = 0
    for path, item in schema["paths"].items():
        if path in open_paths:
            continue
        concrete = path.replace("{code}", "VT-0001").replace("{key_id}", "0" * 12)
        concrete = concrete.replace("{username}", "an")
        for method in item:
            answer = client.request(method.upper(), concrete)
            assert answer.status_code == 401, (method, path, answer.status_code)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("trusted", "expected"), [("testclient", "203.0.113.9"), ("", "testclient")]
)
def test_forwarded_for_is_believed_only_from_the_trusted_proxy(
    settings: Settings,
    session_factory: sessionmaker[Session],
    admin: Headers,
    trusted: str,
    expected: str,
) -> None:
    http = settings.http.model_copy(update={"trusted_proxy": trusted})
    app = create_app(settings.model_copy(update={"http": http}))
    with TestClient(app) as client:
        headers = {**admin, "X-Forwarded-For": "10.9.9.9, 203.0.113.9"}
        assert client.get("/api/v1/cameras", headers=headers).status_code == 200
    with session_factory() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "camera.search")
        ).one()
    assert entry.source == expected


def test_readiness_needs_a_migrated_database(tmp_path: Path, credentials_key: str) -> None:
    empty = load_settings(
        database_url=f"sqlite:///{(tmp_path / 'empty.db').as_posix()}",
        data_dir=tmp_path,
        credentials_key=credentials_key,
    )
    with TestClient(create_app(empty)) as client:
        assert client.get("/healthz").status_code == 200
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "camreg db upgrade" in answer.json()["detail"]
