"""Camera health over HTTP: states (JSON and GeoJSON), checks, intervals, snapshots, reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.write import WriteContext
from camera_registry.clock import utcnow
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.api.conftest import Headers
from tests.health_builders import (
    jpeg,
    make_check,
    make_health,
    make_recorded,
    make_timeline,
    make_watched_camera,
)

API = "/api/v1"
CASE = "HS-2026-0099"


@dataclass
class Seeded:
    now: datetime
    picture_id: int
    reach_id: int


@pytest.fixture
def seeded(
    session_factory: sessionmaker[Session], write_context: WriteContext, settings: Settings
) -> Seeded:
    """OK (online), BAD (offline for an hour, a snapshot), NEW (never checked), ward 26506/26526."""
    now = utcnow()
    with unit_of_work(session_factory) as session:
        ok = make_watched_camera(session, ctx=write_context, code="OK", ward_code="26506")
        bad = make_watched_camera(session, ctx=write_context, code="BAD", ward_code="26526")
        make_watched_camera(session, ctx=write_context, code="NEW", ward_code="26526")
        make_health(
            session,
            ok,
            state=HealthState.ONLINE,
            since=now - timedelta(hours=3),
            checked_at=now - timedelta(minutes=1),
        )
        make_health(
            session,
            bad,
            state=HealthState.OFFLINE,
            reasons=[Reason.UNREACHABLE],
            since=now - timedelta(hours=1),
            checked_at=now - timedelta(minutes=1),
        )
        make_timeline(session, ok, now - timedelta(hours=3), [(HealthState.ONLINE, -1)])
        make_timeline(
            session,
            bad,
            now - timedelta(hours=3),
            [(HealthState.ONLINE, 120), (HealthState.OFFLINE, -1)],
        )
        make_recorded(session, bad, now - timedelta(hours=3), now - timedelta(hours=2))
        picture = make_check(
            session,
            bad,
            at=now - timedelta(hours=2),
            tier=CheckTier.PICTURE,
            snapshot=jpeg(),
            data_dir=settings.data_dir,
        )
        reach = make_check(
            session, bad, at=now - timedelta(minutes=1), reasons=[Reason.UNREACHABLE]
        )
        return Seeded(now=now, picture_id=picture.id, reach_id=reach.id)


def _audit(session_factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with unit_of_work(session_factory) as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.scalars(stmt))


def test_states_json_and_geojson(
    client: TestClient,
    headers_for: Callable[..., Headers],
    seeded: Seeded,
    session_factory: sessionmaker[Session],
) -> None:
    investigator = {**headers_for(Role.INVESTIGATOR), "X-Case-Number": CASE}
    resp = client.get(f"{API}/health/cameras", headers=investigator)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [(i["camera"], i["state"]) for i in body["items"]] == [
        ("BAD", "offline"),
        ("NEW", "unknown"),
        ("OK", "online"),
    ]
    assert body["items"][0]["reasons"] == ["unreachable"]
    assert body["items"][0]["duration_s"] == pytest.approx(3600, abs=60)
    assert body["counts"] == {"online": 1, "degraded": 0, "offline": 1, "unknown": 1}
    assert [a.case_number for a in _audit(session_factory, "health.search")] == [CASE]

    geo = client.get(
        f"{API}/health/cameras",
        params={"state": "offline"},
        headers={**investigator, "Accept": "application/geo+json"},
    )
    assert geo.status_code == 200
    assert geo.headers["content-type"].startswith("application/geo+json")
    fc = geo.json()
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == ["BAD"]
    feature = fc["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["state"] == "offline"
    same = client.get(f"{API}/health/cameras?format=geojson&camera=OK", headers=investigator)
    assert [f["id"] for f in same.json()["features"]] == ["OK"]


def test_states_filters_refuse_bad_values(
    client: TestClient, headers_for: Callable[..., Headers], seeded: Seeded
) -> None:
    headers = headers_for(Role.TECHNICIAN)
    resp = client.get(f"{API}/health/cameras?state=broken", headers=headers)
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    ward = client.get(f"{API}/health/cameras?ward=NOPE", headers=headers)
    assert ward.status_code == 422
    assert any(e.get("field") == "ward" or "ward" in str(e) for e in ward.json()["errors"])


def test_roles_and_scope(
    client: TestClient, headers_for: Callable[..., Headers], seeded: Seeded
) -> None:
    auditor = headers_for(Role.AUDITOR)
    assert client.get(f"{API}/health/cameras", headers=auditor).status_code == 403
    assert client.get(f"{API}/health/cameras").status_code == 401
    scoped = headers_for(Role.INTEGRATION, cameras=["OK"])
    body = client.get(f"{API}/health/cameras", headers=scoped).json()
    assert [i["camera"] for i in body["items"]] == ["OK"]
    assert client.get(f"{API}/cameras/BAD/health", headers=scoped).status_code == 404
    snap = client.get(f"{API}/health/snapshots/{seeded.picture_id}", headers=scoped)
    assert snap.status_code == 404
    investigator = headers_for(Role.INVESTIGATOR)
    put = client.put(f"{API}/cameras/BAD/health/reference", headers=investigator, json={})
    assert put.status_code == 403


def test_camera_detail_checks_and_snapshot(
    client: TestClient,
    headers_for: Callable[..., Headers],
    seeded: Seeded,
    session_factory: sessionmaker[Session],
) -> None:
    headers = {**headers_for(Role.INVESTIGATOR), "X-Case-Number": CASE}
    detail = client.get(f"{API}/cameras/BAD/health", headers=headers)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["current"]["state"] == "offline"
    assert [c["id"] for c in body["checks"]] == [seeded.reach_id, seeded.picture_id]
    assert body["checks"][1]["snapshot"] == f"{API}/health/snapshots/{seeded.picture_id}"
    assert body["checks"][0]["snapshot"] is None
    assert [i["state"] for i in body["timeline"]["intervals"]][-2:] == ["online", "offline"]

    page = client.get(f"{API}/cameras/BAD/health/checks?limit=1", headers=headers)
    assert [c["id"] for c in page.json()["items"]] == [seeded.reach_id]
    assert 'rel="next"' in page.headers["Link"]
    cursor = page.json()["next_cursor"]
    rest = client.get(f"{API}/cameras/BAD/health/checks?limit=1&cursor={cursor}", headers=headers)
    assert [c["id"] for c in rest.json()["items"]] == [seeded.picture_id]
    pictures = client.get(f"{API}/cameras/BAD/health/checks?tier=picture", headers=headers)
    assert [c["tier"] for c in pictures.json()["items"]] == ["picture"]
    too_many = client.get(f"{API}/cameras/BAD/health/checks?limit=51", headers=headers)
    assert too_many.status_code == 422

    snap = client.get(body["checks"][1]["snapshot"], headers=headers)
    assert snap.status_code == 200
    assert snap.headers["content-type"] == "image/jpeg"
    assert snap.content[:2] == b"\xff\xd8"
    no_snap = client.get(f"{API}/health/snapshots/{seeded.reach_id}", headers=headers)
    assert no_snap.status_code == 404
    assert "no snapshot" in no_snap.json()["detail"]
    views = _audit(session_factory, "health.snapshot.view")
    assert [(a.target, a.case_number) for a in views] == [("BAD", CASE)]


def test_intervals_window(
    client: TestClient, headers_for: Callable[..., Headers], seeded: Seeded
) -> None:
    headers = headers_for(Role.TECHNICIAN)
    start = (seeded.now - timedelta(hours=4)).astimezone(UTC).isoformat()
    end = seeded.now.astimezone(UTC).isoformat()
    resp = client.get(
        f"{API}/cameras/BAD/health/intervals", params={"from": start, "to": end}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    spans = [(i["state"], i["recorded"]) for i in resp.json()["intervals"]]
    assert spans == [("unknown", False), ("online", True), ("offline", True)]
    backwards = client.get(
        f"{API}/cameras/BAD/health/intervals", params={"from": end, "to": start}, headers=headers
    )
    assert backwards.status_code == 422
    # A naive time is read in the display zone (UTC+7): 7 hours earlier than the same UTC text.
    naive = client.get(
        f"{API}/cameras/BAD/health/intervals",
        params={"from": "2026-03-12T21:00:00", "to": "2026-03-12T22:00:00"},
        headers=headers,
    )
    assert datetime.fromisoformat(naive.json()["start"]) == datetime(2026, 3, 12, 14, tzinfo=UTC)


def test_availability_report(
    client: TestClient,
    headers_for: Callable[..., Headers],
    seeded: Seeded,
    session_factory: sessionmaker[Session],
) -> None:
    headers = {**headers_for(Role.INVESTIGATOR), "X-Case-Number": CASE}
    start = (seeded.now - timedelta(hours=3)).isoformat()
    end = seeded.now.isoformat()
    resp = client.get(
        f"{API}/health/availability", params={"from": start, "to": end}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    rows = {r["camera"]: r for r in body["cameras"]}
    assert rows["BAD"]["seconds"]["online"] == pytest.approx(7200, abs=1)
    assert rows["BAD"]["seconds"]["offline"] == pytest.approx(3600, abs=60)
    assert rows["BAD"]["recorded_s"] == pytest.approx(3600, abs=1)
    assert rows["BAD"]["incidents"] == 1
    assert rows["NEW"]["share"]["unknown"] == 1.0
    assert [w["ward"] for w in body["wards"]] == ["26506", "26526"]
    assert body["city"]["cameras"] == 3
    only = client.get(
        f"{API}/health/availability",
        params={"from": start, "to": end, "camera": "OK"},
        headers=headers,
    )
    assert [r["camera"] for r in only.json()["cameras"]] == ["OK"]
    assert [a.case_number for a in _audit(session_factory, "health.availability")] == [CASE, CASE]
    missing = client.get(f"{API}/health/availability", params={"from": start}, headers=headers)
    assert missing.status_code == 422


def test_set_and_clear_reference(
    client: TestClient, headers_for: Callable[..., Headers], seeded: Seeded, settings: Settings
) -> None:
    tech = headers_for(Role.TECHNICIAN)
    resp = client.put(f"{API}/cameras/BAD/health/reference", headers=tech)
    assert resp.status_code == 200, resp.text
    assert resp.json()["check_id"] == seeded.picture_id
    assert (settings.data_dir / "health" / "references" / "BAD.jpg").is_file()
    detail = client.get(f"{API}/cameras/BAD/health", headers=tech).json()
    assert detail["current"]["has_reference"] is True
    picture = client.get(f"{API}/cameras/BAD/health/reference", headers=tech)
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert picture.content[:2] == b"\xff\xd8"
    wrong = client.put(
        f"{API}/cameras/BAD/health/reference", headers=tech, json={"check_id": seeded.reach_id}
    )
    assert wrong.status_code == 422
    none = client.put(f"{API}/cameras/OK/health/reference", headers=tech, json={})
    assert none.status_code == 404
    cleared = client.delete(f"{API}/cameras/BAD/health/reference", headers=tech)
    assert cleared.status_code == 200
    assert cleared.json()["has_reference"] is False
    assert not (settings.data_dir / "health" / "references" / "BAD.jpg").exists()
    gone = client.get(f"{API}/cameras/BAD/health/reference", headers=tech)
    assert gone.status_code == 404


def test_intervals_of_several_cameras(
    client: TestClient,
    headers_for: Callable[..., Headers],
    seeded: Seeded,
    session_factory: sessionmaker[Session],
) -> None:
    headers = {**headers_for(Role.INVESTIGATOR), "X-Case-Number": CASE}
    start = (seeded.now - timedelta(hours=4)).astimezone(UTC).isoformat()
    end = seeded.now.astimezone(UTC).isoformat()
    window = {"from": start, "to": end}
    resp = client.get(
        f"{API}/health/intervals",
        params={**window, "camera": ["BAD", "NEW", "OK", "BAD"]},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    # In the order asked for, each camera once.
    assert [c["camera"] for c in body["cameras"]] == ["BAD", "NEW", "OK"]
    states = {c["camera"]: [i["state"] for i in c["intervals"]] for c in body["cameras"]}
    assert states == {
        "BAD": ["unknown", "online", "offline"],
        "NEW": ["unknown"],
        "OK": ["unknown", "online"],
    }
    bad = body["cameras"][0]["intervals"]
    assert bad[2]["reasons"] == ["unreachable"]
    assert datetime.fromisoformat(bad[0]["start"]) == datetime.fromisoformat(start)
    # The same stretches as the single-camera read.
    single = client.get(f"{API}/cameras/BAD/health/intervals", params=window, headers=headers)
    assert single.json()["intervals"] == bad
    views = _audit(session_factory, "health.intervals.view")
    batch = [(a.target, a.case_number) for a in views if a.details.get("batch")]
    assert sorted(batch) == [("BAD", CASE), ("NEW", CASE), ("OK", CASE)]


def test_intervals_of_several_cameras_refusals(
    client: TestClient,
    headers_for: Callable[..., Headers],
    seeded: Seeded,
    session_factory: sessionmaker[Session],
) -> None:
    tech = headers_for(Role.TECHNICIAN)
    end = seeded.now.astimezone(UTC)
    window = {"from": (end - timedelta(hours=4)).isoformat(), "to": end.isoformat()}
    url = f"{API}/health/intervals"
    # Permission: the auditor may not read health; no login at all is 401.
    auditor = client.get(url, params={**window, "camera": "OK"}, headers=headers_for(Role.AUDITOR))
    assert auditor.status_code == 403
    assert client.get(url, params={**window, "camera": "OK"}).status_code == 401
    # Scope: a camera outside it is as unknown as a camera that does not exist.
    scoped = headers_for(Role.INTEGRATION, cameras=["OK"])
    assert client.get(url, params={**window, "camera": "OK"}, headers=scoped).status_code == 200
    hidden = client.get(url, params={**window, "camera": ["OK", "BAD"]}, headers=scoped)
    assert hidden.status_code == 404
    assert "BAD" in hidden.json()["detail"]
    unknown = client.get(url, params={**window, "camera": ["OK", "NOPE-1"]}, headers=tech)
    assert unknown.status_code == 404
    assert "no camera NOPE-1" in unknown.json()["detail"]
    # Bad input: no camera, too many, a window too long or backwards.
    none = client.get(url, params=window, headers=tech)
    assert none.status_code == 422
    many = [f"C-{i:04d}" for i in range(201)]
    too_many = client.get(url, params={**window, "camera": many}, headers=tech)
    assert too_many.status_code == 422
    assert "at most 200" in too_many.text
    long = {"from": (end - timedelta(days=32)).isoformat(), "to": end.isoformat()}
    too_long = client.get(url, params={**long, "camera": "OK"}, headers=tech)
    assert too_long.status_code == 422
    assert "longer than 31 days" in too_long.text
    backwards = {"from": window["to"], "to": window["from"], "camera": "OK"}
    assert client.get(url, params=backwards, headers=tech).status_code == 422
    # Nothing refused was audited as viewed.
    assert [a.target for a in _audit(session_factory, "health.intervals.view")] == ["OK"]
