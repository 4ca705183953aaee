"""Admins manage users and keys over HTTP; SQL-looking text is stored and found literally."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from camera_registry.account.role import Role
from tests.api.conftest import PASSWORD, Headers

USERS = "/api/v1/users"


def test_admin_manages_users(client: TestClient, admin: Headers) -> None:
    body = {"username": "binh", "role": "technician", "password": PASSWORD}
    created = client.post(USERS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{USERS}/binh"
    assert "password" not in created.json()
    assert client.post(USERS, json=body, headers=admin).status_code == 409
    short = client.post(USERS, json={**body, "username": "chi", "password": "short"}, headers=admin)
    assert short.status_code == 422
    login = {"username": "binh", "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    patched = client.patch(
        f"{USERS}/binh",
        json={"role": "investigator", "scope": {"wards": ["26506"]}, "disabled": True},
        headers=admin,
    )
    assert patched.status_code == 200
    assert (patched.json()["role"], patched.json()["disabled"]) == ("investigator", True)
    # Disabling ended the session opened above.
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.post("/api/v1/auth/login", json=login).status_code == 401
    listed = client.get(USERS, headers=admin).json()
    assert [(u["username"], u["scope"]["wards"]) for u in listed] == [("binh", ["26506"])]
    assert client.patch(f"{USERS}/nobody", json={}, headers=admin).status_code == 404


def test_only_admins_manage_accounts(
    client: TestClient, headers_for: Callable[..., Headers]
) -> None:
    for role in (Role.TECHNICIAN, Role.INVESTIGATOR, Role.INTEGRATION, Role.AUDITOR):
        headers = headers_for(role)
        assert client.get(USERS, headers=headers).status_code == 403
        assert client.post("/api/v1/keys", json={"name": "x"}, headers=headers).status_code == 403
    scoped_admin = headers_for(Role.ADMIN, wards=["26506"])
    assert client.get("/api/v1/keys", headers=scoped_admin).status_code == 403


def test_keys_with_scope_and_expiry(client: TestClient, admin: Headers) -> None:
    body = {
        "name": "Công an phường",
        "role": "integration",
        "scope": {"wards": ["26506"], "cameras": []},
        "expires_at": "2099-01-01T00:00:00+07:00",
    }
    created = client.post("/api/v1/keys", json=body, headers=admin)
    assert created.status_code == 201, created.text
    issued = created.json()
    assert issued["key"].startswith(f"camreg_{issued['id']}_")
    assert issued["expires_at"].startswith("2098-12-31T17:00:00")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {issued['key']}"}).json()
    assert (me["kind"], me["role"], me["scope"]["wards"]) == ("key", "integration", ["26506"])
    naive = client.post(
        "/api/v1/keys", json={**body, "expires_at": "2099-01-01T00:00"}, headers=admin
    )
    assert naive.status_code == 422
    unknown = client.post("/api/v1/keys", json={**body, "scope": {"wards": ["0"]}}, headers=admin)
    assert unknown.status_code == 422
    assert client.post("/api/v1/keys/000000000000/rotate", headers=admin).status_code == 404


def test_sql_looking_text_round_trips_literally(client: TestClient, admin: Headers) -> None:
    tricky = 'Cam\'; DROP TABLE cameras; -- 100% _x_ \\ "q"'
    body = {"code": "VT-0001", "name": tricky, "lat": 10.35, "lon": 107.08, "notes": tricky}
    created = client.post("/api/v1/cameras", json=body, headers=admin)
    assert created.status_code == 201, created.text
    read = client.get("/api/v1/cameras/VT-0001", headers=admin).json()
    assert (read["name"], read["notes"]) == (tricky, tricky)
    found = client.get("/api/v1/cameras", headers=admin, params={"q": "drop table cameras; --"})
    assert [c["code"] for c in found.json()["items"]] == ["VT-0001"]
    for needle in ("100%", "_x_", "' OR '1'='1"):
        hits = client.get("/api/v1/cameras", headers=admin, params={"q": needle}).json()["items"]
        assert len(hits) == (0 if "OR" in needle else 1), needle
    wildcard = client.get("/api/v1/cameras", headers=admin, params={"q": "%"}).json()["items"]
    assert len(wildcard) == 1  # "%" is a literal character that the name contains
    assert client.get("/api/v1/cameras", headers=admin, params={"q": "1%0"}).json()["items"] == []
    assert (
        client.get("/api/v1/cameras", headers=admin, params={"tag": "x' OR 1=1 --"}).json()["items"]
        == []
    )
