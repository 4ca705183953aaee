"""Event search, detail, thumbnail, coverage and clips over HTTP: roles, audit, bad input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.write import WriteContext
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from ingest.events.model import CoverageKind
from tests.api.conftest import Headers
from tests.builders import make_camera
from tests.ingest.events.builders import at, make_coverage, make_event, make_footage
from tests.ingest.media.video import make_video

BOX = "107.0843,10.3458,107.0850,10.3462"
WEST, SOUTH, EAST, NORTH = 107.0843, 10.3458, 107.0850, 10.3462
POLYGON = {
    "type": "Polygon",
    "coordinates": [[[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]],
}
WINDOW = {"from": "2026-03-12T21:00:00", "to": "2026-03-12T23:30:00"}  # display zone, UTC+7
CASE = "HS-2026-0042"


@dataclass
class Seeded:
    seen: str
    inside: str
    far: str


@pytest.fixture
def seeded(
    session_factory: sessionmaker[Session],
    write_context: WriteContext,
    settings: Settings,
    tmp_path: Path,
) -> Seeded:
    """Three cameras (one sees the box, one stands in it, one far away) with events and video."""
    video = make_video(tmp_path / "rec.mp4")
    with unit_of_work(session_factory) as session:
        view = make_camera(
            session,
            ctx=write_context,
            code="VIEW",
            lat=10.3460,
            lon=107.0840,
            heading_deg=90,
            fov_deg=60,
            range_m=60,
        )
        inside = make_camera(session, ctx=write_context, code="INSIDE", lat=10.3460, lon=107.0846)
        far = make_camera(session, ctx=write_context, code="FAR", lat=10.36, lon=107.10)
        (settings.data_dir / "thumbs").mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "thumbs" / "e1.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
        seen = make_event(session, view, start=at(10), thumbnail_path="thumbs/e1.jpg")
        in_box = make_event(session, inside, start=at(20), score=0.3, zones=["gate"])
        away = make_event(session, far, start=at(30))
        footage = make_footage(
            session, view, path=str(video), start=at(10), end=at(10) + (at(0.1) - at(0))
        )
        make_coverage(session, view, start=at(10), end=at(10.1), footage=footage)
        make_coverage(session, view, start=at(60), end=at(90), kind=CoverageKind.GAP)
        return Seeded(seen.id, in_box.id, away.id)


def _audit(session_factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with session_factory() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(session.scalars(stmt))


def test_get_search_by_bbox_with_links_and_audit(
    client: TestClient,
    headers_for: Callable[..., Headers],
    seeded: Seeded,
    session_factory: sessionmaker[Session],
) -> None:
    key = headers_for(Role.INVESTIGATOR)
    answer = client.get("/api/v1/events", headers=key, params={**WINDOW, "bbox": BOX, "case": CASE})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [c["camera"] for c in body["cameras"]] == ["INSIDE", "VIEW"]
    assert [e["id"] for e in body["events"]] == [seeded.seen, seeded.inside]
    first = body["events"][0]
    assert first["camera"] == "VIEW"
    assert first["start"].startswith("2026-03-12T14:10:00")
    assert first["thumbnail"] == f"/api/v1/events/{seeded.seen}/thumbnail"
    assert first["clip"].startswith("/api/v1/cameras/VIEW/clip?from=2026-03-12T14")
    assert body["events"][1]["thumbnail"] is None
    view = body["cameras"][1]
    assert [s["kind"] for s in view["spans"]] == [
        "unknown",
        "recorded",
        "unknown",
        "gap",
        "unknown",
    ]
    (entry,) = _audit(session_factory, "event.search")
    assert entry.case_number == CASE
    assert entry.details["results"] == 2


def test_get_search_conditions(client: TestClient, admin: Headers, seeded: Seeded) -> None:
    def ids(**params: str) -> list[str]:
        answer = client.get("/api/v1/events", headers=admin, params={**WINDOW, **params})
        assert answer.status_code == 200, answer.text
        return [e["id"] for e in answer.json()["events"]]

    assert ids(bbox=BOX, min_score="0.5") == [seeded.seen]
    assert ids(bbox=BOX, zone="gate") == [seeded.inside]
    assert ids(camera="FAR") == [seeded.far]
    assert ids(near="10.3460,107.08432", radius="8") == [seeded.seen]
    assert ids(bbox=BOX, region="0.0,0.0,0.1,0.1") == [seeded.seen, seeded.inside]
    assert ids(bbox=BOX, region="0.5,0.5,1,1") == []


def test_paging_follows_next_cursor(client: TestClient, admin: Headers, seeded: Seeded) -> None:
    params = {**WINDOW, "bbox": BOX, "limit": "1"}
    first = client.get("/api/v1/events", headers=admin, params=params)
    assert 'rel="next"' in first.headers["Link"]
    cursor = first.json()["next_cursor"]
    second = client.get("/api/v1/events", headers=admin, params={**params, "cursor": cursor})
    assert [e["id"] for e in second.json()["events"]] == [seeded.inside]
    assert second.json()["next_cursor"] is None


def test_post_search_with_polygon(client: TestClient, admin: Headers, seeded: Seeded) -> None:
    body = {"from": "2026-03-12T21:00:00+07:00", "to": "2026-03-12T23:30:00+07:00"}
    answer = client.post(
        "/api/v1/events/search", headers=admin, json={**body, "area": POLYGON, "zone": "gate"}
    )
    assert answer.status_code == 200, answer.text
    assert [e["id"] for e in answer.json()["events"]] == [seeded.inside]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-12T23:00:00", "to": "2026-03-12T21:00:00"}, "to"),
        ({"from": "2026-03-12T00:00:00", "to": "2026-03-16T00:00:00"}, "to"),
        ({**WINDOW, "bbox": "1,2,3"}, "bbox"),
        ({**WINDOW, "near": "10.3,107.0"}, "radius"),
        ({**WINDOW, "region": "0.5,0,0.2,1"}, "region"),
        # Found by schemathesis: the first day of year 1 overflowed "start minus longest event".
        ({"from": "0001-01-01T00:00:00", "to": "0001-01-01T01:00:00"}, "from"),
        ({"from": "9999-12-31T22:00:00", "to": "9999-12-31T23:00:00"}, "from"),
    ],
)
def test_bad_get_input_is_a_problem(
    client: TestClient, admin: Headers, params: dict[str, str], field: str
) -> None:
    answer = client.get("/api/v1/events", headers=admin, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert any(e["field"].startswith(field) or field in e["message"] for e in problem["errors"])


def test_invalid_polygon_is_a_problem(client: TestClient, admin: Headers) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[107.08, 10.34], [107.09, 10.35], [107.09, 10.34], [107.08, 10.35], [107.08, 10.34]]
        ],
    }
    body = {**WINDOW, "area": bow_tie}
    answer = client.post("/api/v1/events/search", headers=admin, json=body)
    assert answer.status_code == 422
    assert "not valid" in answer.json()["detail"]


def test_detail_and_thumbnail(
    client: TestClient, admin: Headers, seeded: Seeded, session_factory: sessionmaker[Session]
) -> None:
    detail = client.get(f"/api/v1/events/{seeded.seen}", headers=admin)
    assert detail.status_code == 200
    assert detail.json()["track"] == [[0, 0.8, detail.json()["grid"]]]
    assert detail.json()["thumbnail"] == f"/api/v1/events/{seeded.seen}/thumbnail"
    image = client.get(f"/api/v1/events/{seeded.seen}/thumbnail", headers=admin)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
    assert [e.target for e in _audit(session_factory, "event.thumbnail.view")] == [seeded.seen]
    none = client.get(f"/api/v1/events/{seeded.inside}/thumbnail", headers=admin)
    assert none.status_code == 404
    assert client.get("/api/v1/events/nope", headers=admin).status_code == 404


def test_scope_hides_events_of_other_cameras(
    client: TestClient, headers_for: Callable[..., Headers], seeded: Seeded
) -> None:
    key = headers_for(Role.INTEGRATION, cameras=["INSIDE"])
    answer = client.get("/api/v1/events", headers=key, params={**WINDOW, "bbox": BOX})
    assert [e["id"] for e in answer.json()["events"]] == [seeded.inside]
    assert client.get(f"/api/v1/events/{seeded.seen}", headers=key).status_code == 404


def test_camera_coverage(client: TestClient, admin: Headers, seeded: Seeded) -> None:
    answer = client.get(
        "/api/v1/cameras/VIEW/coverage",
        headers=admin,
        params={"from": "2026-03-12T21:10:00+07:00", "to": "2026-03-12T21:10:06+07:00"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["covered_fraction"] == 1.0


def test_clip_download_is_audited_with_case_number(
    client: TestClient,
    headers_for: Callable[..., Headers],
    seeded: Seeded,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    key = headers_for(Role.INVESTIGATOR)
    answer = client.get(
        "/api/v1/cameras/VIEW/clip",
        headers={**key, "X-Case-Number": CASE},
        params={"from": "2026-03-12T21:10:02.500+07:00", "to": "2026-03-12T21:10:04+07:00"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "video/mp4"
    assert answer.headers["content-disposition"].startswith("inline")
    clip = tmp_path / "got.mp4"
    clip.write_bytes(answer.content)
    with av.open(str(clip)) as result:
        assert result.metadata["creation_time"] == "2026-03-12T14:10:02.000000Z"
    (entry,) = _audit(session_factory, "clip.download")
    assert (entry.case_number, entry.target) == (CASE, "VIEW")


def test_clip_roles_and_missing_footage(
    client: TestClient, headers_for: Callable[..., Headers], seeded: Seeded
) -> None:
    params = {"from": "2026-03-12T21:10:02+07:00", "to": "2026-03-12T21:10:04+07:00"}
    for role, status in [(Role.TECHNICIAN, 403), (Role.AUDITOR, 403), (Role.INTEGRATION, 200)]:
        answer = client.get("/api/v1/cameras/VIEW/clip", headers=headers_for(role), params=params)
        assert answer.status_code == status, role
    auditor = headers_for(Role.AUDITOR)
    search = client.get("/api/v1/events", headers=auditor, params={**WINDOW, "bbox": BOX})
    assert search.status_code == 403
    missing = client.get(
        "/api/v1/cameras/INSIDE/clip", headers=headers_for(Role.ADMIN), params=params
    )
    assert missing.status_code == 404
    assert "no recording" in missing.json()["detail"]


def test_h265_clip_downloads_and_long_windows_are_refused(
    client: TestClient,
    admin: Headers,
    session_factory: sessionmaker[Session],
    write_context: WriteContext,
    tmp_path: Path,
) -> None:
    if "libx265" not in av.codecs_available:
        pytest.skip("this FFmpeg build has no libx265 encoder to make an H.265 source")
    video = make_video(tmp_path / "hevc.mp4", codec="libx265")
    with unit_of_work(session_factory) as session:
        camera = make_camera(session, ctx=write_context, code="HEVC")
        make_footage(session, camera, path=str(video), start=at(0), end=at(0.1), codec="hevc")
    params = {"from": "2026-03-12T21:00:01+07:00", "to": "2026-03-12T21:00:03+07:00"}
    answer = client.get("/api/v1/cameras/HEVC/clip", headers=admin, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "video/mp4"
    assert answer.headers["content-disposition"].startswith("attachment")
    assert 'filename="HEVC_20260312T210001.mp4"' in answer.headers["content-disposition"]
    too_long = {"from": "2026-03-12T00:00:00+07:00", "to": "2026-03-20T00:00:00+07:00"}
    refused = client.get("/api/v1/cameras/HEVC/clip", headers=admin, params=too_long)
    assert refused.status_code == 422
    assert "longer than 72 h" in refused.json()["detail"]


def test_post_region_cells_and_damaged_cursor(
    client: TestClient, admin: Headers, seeded: Seeded
) -> None:
    body = {**WINDOW, "bbox": [WEST, SOUTH, EAST, NORTH], "region": {"cells": [0]}}
    answer = client.post("/api/v1/events/search", headers=admin, json=body)
    assert [e["id"] for e in answer.json()["events"]] == [seeded.seen, seeded.inside]
    body["region"] = {"cells": [200]}
    assert client.post("/api/v1/events/search", headers=admin, json=body).status_code == 422
    damaged = client.get(
        "/api/v1/events", headers=admin, params={**WINDOW, "bbox": BOX, "cursor": "x"}
    )
    assert damaged.status_code == 422
    assert "cursor" in damaged.json()["detail"]


@pytest.mark.parametrize("path", ["coverage", "clip"])
def test_out_of_range_times_are_problems_on_camera_routes(
    client: TestClient, admin: Headers, seeded: Seeded, path: str
) -> None:
    params = {"from": "0001-01-01T00:00:00", "to": "0001-01-01T01:00:00"}
    answer = client.get(f"/api/v1/cameras/INSIDE/{path}", headers=admin, params=params)
    assert answer.status_code == 422, answer.text
    assert "1970-01-01" in answer.json()["detail"]
