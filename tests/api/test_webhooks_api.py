"""Webhook subscriptions and the delivery log over HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import Camera
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from ingest.health.outbox import enqueue_state_change
from tests.api.conftest import Headers
from tests.support.alerts import T0, went_offline
from tests.support.webhook_receiver import closed_port_url, recording_receiver

HOOKS = "/api/v1/health/webhooks"
LOG = "/api/v1/health/deliveries"
SECRET = "api-test-secret-0123456789"


def test_admin_manages_a_subscription(client: TestClient, admin: Headers) -> None:
    body = {"name": "duty", "url": "https://alerts.example.invalid/camreg", "ward": "26506"}
    created = client.post(HOOKS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    issued = created.json()
    assert created.headers["Location"] == f"{HOOKS}/{issued['id']}"
    assert len(issued["secret"]) >= 40
    assert issued["kinds"] == ["state_changed", "down_long"]
    assert client.post(HOOKS, json=body, headers=admin).status_code == 409
    listed = client.get(HOOKS, headers=admin).json()
    assert [(s["name"], s["ward"]) for s in listed] == [("duty", "26506")]
    assert "secret" not in listed[0]
    shown = client.get(f"{HOOKS}/{issued['id']}", headers=admin).json()
    assert "secret" not in shown
    assert issued["secret"] not in str(shown)

    rotated = client.patch(
        f"{HOOKS}/{issued['id']}",
        json={"rotate_secret": True, "kinds": ["down_long"], "ward": None},
        headers=admin,
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] not in (None, issued["secret"])
    assert (rotated.json()["kinds"], rotated.json()["ward"]) == (["down_long"], None)
    paused = client.patch(f"{HOOKS}/{issued['id']}", json={"active": False}, headers=admin)
    assert (paused.json()["active"], paused.json()["secret"]) == (False, None)

    assert client.delete(f"{HOOKS}/{issued['id']}", headers=admin).status_code == 200
    missing = client.get(f"{HOOKS}/{issued['id']}", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "webhooks list" in missing.json()["detail"]


def test_refusals_say_what_to_fix(client: TestClient, admin: Headers) -> None:
    bad_scheme = client.post(HOOKS, json={"name": "x", "url": "ftp://a.invalid/"}, headers=admin)
    assert bad_scheme.status_code == 422
    problem = bad_scheme.json()
    assert "http:// or https://" in problem["detail"]
    assert problem["errors"][0]["field"] == "url"
    short = client.post(
        HOOKS, json={"name": "x", "url": "https://a.invalid/", "secret": "zq-7"}, headers=admin
    )
    assert short.status_code == 422
    assert "16 characters" in short.text
    assert "zq-7" not in short.text
    unknown = client.post(
        HOOKS, json={"name": "x", "url": "https://a.invalid/", "ward": "99999"}, headers=admin
    )
    assert unknown.status_code == 422
    assert "unknown ward code" in unknown.json()["detail"]
    extra = client.post(
        HOOKS, json={"name": "x", "url": "https://a.invalid/", "colour": "red"}, headers=admin
    )
    assert extra.status_code == 422
    assert client.patch(f"{HOOKS}/999", json={}, headers=admin).status_code == 404


def test_test_ping_is_signed_and_reported(
    client: TestClient, admin: Headers, session_factory: sessionmaker[Session]
) -> None:
    with recording_receiver() as receiver:
        body = {"name": "ping-me", "url": receiver.url, "secret": SECRET}
        hook = client.post(HOOKS, json=body, headers=admin).json()
        assert hook["secret"] is None  # a given secret is never echoed
        result = client.post(f"{HOOKS}/{hook['id']}/test", headers=admin)
        got = list(receiver.received)
    assert result.status_code == 200, result.text
    assert (result.json()["delivered"], result.json()["status"]) == (True, 204)
    assert len(got) == 1
    assert got[0].signature_ok(SECRET)
    assert got[0].json()["type"] == "ping"
    assert got[0].headers["x-camreg-event"] == "ping"
    dead = client.post(HOOKS, json={"name": "dead", "url": closed_port_url()}, headers=admin)
    failed = client.post(f"{HOOKS}/{dead.json()['id']}/test", headers=admin).json()
    assert (failed["delivered"], failed["status"]) == (False, None)
    assert "ConnectError" in failed["error"]
    with unit_of_work(session_factory) as session:
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert actions.count("webhook.test") == 2
    assert actions.count("webhook.create") == 2


def test_who_may_do_what(client: TestClient, headers_for: Callable[..., Headers]) -> None:
    body = {"name": "t", "url": "https://a.invalid/"}
    technician = headers_for(Role.TECHNICIAN)
    assert client.post(HOOKS, json=body, headers=technician).status_code == 201
    assert client.get(LOG, headers=technician).status_code == 200
    for role in (Role.INVESTIGATOR, Role.INTEGRATION):
        headers = headers_for(role)
        assert client.get(HOOKS, headers=headers).status_code == 403
        assert client.get(LOG, headers=headers).status_code == 200
    assert client.get(LOG, headers=headers_for(Role.AUDITOR)).status_code == 403
    scoped = headers_for(Role.TECHNICIAN, wards=["26506"])
    refused = client.get(HOOKS, headers=scoped)
    assert refused.status_code == 403
    assert "scope" in refused.json()["detail"]
    assert client.get(HOOKS).status_code == 401


def _seed(
    client: TestClient,
    admin: Headers,
    cameras: Callable[..., list[Camera]],
    factory: sessionmaker[Session],
    settings: Settings,
) -> dict[str, Any]:
    hook = client.post(HOOKS, json={"name": "all", "url": "https://a.invalid/"}, headers=admin)
    made = cameras(
        {"code": "VT-0001", "ward_code": "26506"}, {"code": "VT-0002", "ward_code": "26526"}
    )
    with unit_of_work(factory) as session:
        for camera in made:
            enqueue_state_change(session, went_offline(camera), settings.health, T0)
    return dict(hook.json())


def test_delivery_log_pages_filters_and_scope(
    client: TestClient,
    admin: Headers,
    headers_for: Callable[..., Headers],
    cameras: Callable[..., list[Camera]],
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    hook = _seed(client, admin, cameras, session_factory, settings)
    first = client.get(LOG, params={"limit": 1}, headers=admin)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [d["camera"] for d in page["items"]] == ["VT-0002"]  # newest first
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(LOG, params={"limit": 1, "cursor": page["next_cursor"]}, headers=admin)
    assert [d["camera"] for d in second.json()["items"]] == ["VT-0001"]
    assert second.json()["next_cursor"] is None
    item = second.json()["items"][0]
    assert (item["subscription"], item["subscription_id"], item["state"], item["kind"]) == (
        "all",
        hook["id"],
        "pending",
        "state_changed",
    )
    assert item["payload"]["camera"]["code"] == "VT-0001"

    def cams(**params: Any) -> list[str]:
        found = client.get(LOG, params=params, headers=admin)
        assert found.status_code == 200, found.text
        return [d["camera"] for d in found.json()["items"]]

    assert cams(camera="VT-0001") == ["VT-0001"]
    assert cams(state="delivered") == []
    assert cams(subscription=hook["id"]) == ["VT-0002", "VT-0001"]
    assert cams(subscription=hook["id"] + 1) == []
    assert client.get(LOG, params={"state": "lost"}, headers=admin).status_code == 422
    assert client.get(LOG, params={"limit": 51}, headers=admin).status_code == 422
    assert client.get(LOG, params={"cursor": "garbage"}, headers=admin).status_code == 422
    scoped = headers_for(Role.INTEGRATION, wards=["26526"])
    seen = client.get(LOG, headers=scoped).json()["items"]
    assert [d["camera"] for d in seen] == ["VT-0002"]


def test_ids_beyond_what_the_database_stores_are_refused(
    client: TestClient, admin: Headers
) -> None:
    # Found by schemathesis: a 20-digit subscription id overflowed SQLite's INTEGER.
    huge = str(10**20)
    answer = client.get("/api/v1/health/deliveries", headers=admin, params={"subscription": huge})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"].endswith("subscription")
    answer = client.put(
        "/api/v1/cameras/NOPE/health/reference", headers=admin, json={"check_id": 10**20}
    )
    assert answer.status_code == 422, answer.text
