"""Every error is problem JSON (RFC 9457) with the status its kind maps to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from camera_registry.account.role import Role
from tests.api.conftest import Headers

CAMERAS = "/api/v1/cameras"
FIELDS = {"type", "title", "status", "detail", "instance", "errors", "request_id"}


def _check(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert set(body) == FIELDS
    assert body["status"] == status
    assert body["type"] == f"urn:camreg:problem:{kind}"
    assert body["instance"] == answer.request.url.path
    assert body["request_id"] == answer.headers["X-Request-ID"]
    assert body["detail"]
    return body


@pytest.fixture
def one_camera(cameras: Callable[..., Any]) -> str:
    """A camera at version 1."""
    cameras({"code": "VT-0001"})
    return "VT-0001"


def test_not_found(client: TestClient, admin: Headers) -> None:
    _check(client.get(f"{CAMERAS}/NOPE", headers=admin), 404, "not_found")


def test_conflict(client: TestClient, admin: Headers, one_camera: str) -> None:
    body = {"code": one_camera, "name": "x", "lat": 10.35, "lon": 107.08}
    _check(client.post(CAMERAS, json=body, headers=admin), 409, "conflict")


def test_precondition_failed_and_required(
    client: TestClient, admin: Headers, one_camera: str
) -> None:
    url = f"{CAMERAS}/{one_camera}"
    stale = {**admin, "If-Match": '"9"'}
    _check(client.patch(url, json={"name": "x"}, headers=stale), 412, "precondition_failed")
    _check(client.patch(url, json={"name": "x"}, headers=admin), 428, "precondition_required")


def test_domain_invalid_lists_fields(client: TestClient, admin: Headers, one_camera: str) -> None:
    answer = client.post(
        f"{CAMERAS}/{one_camera}/status", json={"status": "maintenance"}, headers=admin
    )
    problem = _check(answer, 422, "invalid")
    assert "planned" in problem["detail"]


def test_request_validation_has_field_paths(client: TestClient, admin: Headers) -> None:
    body = {"code": "bad code!", "name": "", "lat": 1.0, "lon": 2.0}
    problem = _check(client.post(CAMERAS, json=body, headers=admin), 422, "invalid")
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.code", "body.name"} <= fields
    outside = {"code": "VT-9", "name": "x", "lat": 1.0, "lon": 2.0}
    problem = _check(client.post(CAMERAS, json=outside, headers=admin), 422, "invalid")
    assert problem["errors"][0]["message"].startswith("position 1.0, 2.0 is outside Vietnam")
    broken = client.post(
        CAMERAS, content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    _check(broken, 422, "invalid")
    query = client.get(CAMERAS, headers=admin, params={"limit": "many"})
    assert _check(query, 422, "invalid")["errors"][0]["field"] == "query.limit"


def test_unauthenticated_and_forbidden(
    client: TestClient, headers_for: Callable[..., Headers]
) -> None:
    anonymous = client.get(CAMERAS)
    _check(anonymous, 401, "unauthenticated")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    integration = headers_for(Role.INTEGRATION)
    _check(client.get("/api/v1/users", headers=integration), 403, "forbidden")


def test_too_large(client: TestClient, admin: Headers) -> None:
    files = {"file": ("cameras.csv", b"code,name,lat,lon\n" + b"x" * 60_000, "text/csv")}
    _check(client.post(f"{CAMERAS}/import", files=files, headers=admin), 413, "too_large")
    big_json = {"code": "VT-9", "name": "x", "lat": 10.35, "lon": 107.08, "notes": "n" * 60_000}
    _check(client.post(CAMERAS, json=big_json, headers=admin), 413, "too_large")


def test_unknown_route_and_method(client: TestClient, admin: Headers) -> None:
    _check(client.get("/api/v1/nothing-here", headers=admin), 404, "not_found")
    _check(client.put(CAMERAS, headers=admin), 405, "method_not_allowed")


def test_unexpected_error_hides_internals(app: FastAPI, admin: Headers) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/api/v1/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/explode", headers={"X-Request-ID": "boom-1"})
    problem = _check(answer, 500, "internal")
    assert "hunter2" not in answer.text
    assert problem["request_id"] == "boom-1"


def test_request_id_is_generated_or_echoed(client: TestClient) -> None:
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-1"}).headers["X-Request-ID"] == (
        "abc-1"
    )
    # Header injection or oversized ids are replaced, not echoed.
    odd = client.get("/healthz", headers={"X-Request-ID": "a b<script>"}).headers["X-Request-ID"]
    assert odd != "a b<script>"


def test_position_cannot_be_cleared(client: TestClient, admin: Headers, one_camera: str) -> None:
    answer = client.patch(
        f"{CAMERAS}/{one_camera}",
        json={"lat": None, "lon": None},
        headers={**admin, "If-Match": "*"},
    )
    problem = _check(answer, 422, "invalid")
    assert {e["field"] for e in problem["errors"]} == {"body.lat", "body.lon"}
