"""Camera queries: places, scopes, statuses, tags, paging, on both databases."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.actor import Actor, Scope
from camera_registry.area.service import import_areas
from camera_registry.camera.filter import CameraFilter, PlaceMatch
from camera_registry.camera.model import CameraStatus, Funding
from camera_registry.camera.query import search_cameras
from camera_registry.camera.reading import list_cameras, show_camera
from camera_registry.errors import CameraNotFound, InvalidArea
from tests.builders import make_camera


def _square(west: float, south: float, east: float, north: float) -> dict[str, object]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


def _areas() -> dict[str, object]:
    old_a = {"code": "OLD-A", "name": "Phường 1", "valid_to": "2025-06-30", "replaced_by": ["NEW"]}
    old_b = {"code": "OLD-B", "name": "Phường 2", "valid_to": "2025-06-30", "replaced_by": ["NEW"]}
    new = {"code": "NEW", "name": "Phường Mới", "valid_from": "2025-07-01"}
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": old_a, "geometry": _square(107.0, 10.3, 107.1, 10.4)},
            {"type": "Feature", "properties": old_b, "geometry": _square(107.1, 10.3, 107.2, 10.4)},
            {"type": "Feature", "properties": new, "geometry": _square(107.0, 10.3, 107.2, 10.4)},
        ],
    }


def _codes(session: Session, actor: Actor, **criteria: object) -> list[str]:
    page = search_cameras(session, query=CameraFilter(**criteria), actor=actor)
    return [m.camera.code for m in page.items]


def test_ward_today_and_at_a_past_date(session: Session, actor: Actor) -> None:
    import_areas(session, document=_areas(), actor=actor)
    make_camera(session, code="IN-A", lat=10.35, lon=107.05)
    make_camera(session, code="IN-B", lat=10.35, lon=107.15)
    assert _codes(session, actor, ward="NEW") == ["IN-A", "IN-B"]
    assert _codes(session, actor, ward="OLD-A", at=date(2024, 1, 1)) == ["IN-A"]
    assert _codes(session, actor, ward="OLD-B") == ["IN-B"]
    assert session.get_bind() is not None


def test_bbox_polygon_and_view_matching(session: Session, actor: Actor) -> None:
    make_camera(session, code="C1", lat=10.350, lon=107.080)
    # Stands outside the box but looks into it (east, 150 m).
    make_camera(
        session, code="C2", lat=10.350, lon=107.0785, heading_deg=90, fov_deg=40, range_m=150
    )
    box = (107.0795, 10.3495, 107.0805, 10.3505)
    assert _codes(session, actor, bbox=box) == ["C1"]
    assert _codes(session, actor, bbox=box, match=PlaceMatch.VIEW) == ["C1", "C2"]
    polygon = _square(*box)
    assert _codes(session, actor, area=polygon) == ["C1"]
    assert _codes(session, actor, area=polygon, match=PlaceMatch.VIEW) == ["C1", "C2"]


def test_invalid_polygon_is_refused(session: Session, actor: Actor) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[107.0, 10.3], [107.1, 10.4], [107.1, 10.3], [107.0, 10.4], [107.0, 10.3]]
        ],
    }
    with pytest.raises(InvalidArea, match="not valid"):
        _codes(session, actor, area=bowtie)
    swapped = _square(10.3, 107.0, 10.4, 107.1)
    with pytest.raises(InvalidArea, match="swapped"):
        _codes(session, actor, area=swapped)


def test_status_funding_consent_and_tags(session: Session, actor: Actor) -> None:
    make_camera(
        session,
        code="A",
        status=CameraStatus.ACTIVE,
        funding=Funding.SOCIAL,
        consent=True,
        tags=["cho", "giao-lo"],
    )
    make_camera(
        session,
        code="B",
        status=CameraStatus.PLANNED,
        funding=Funding.STATE,
        consent=False,
        tags=["cho"],
    )
    assert _codes(session, actor, status=[CameraStatus.ACTIVE]) == ["A"]
    assert _codes(session, actor, funding=[Funding.STATE]) == ["B"]
    assert _codes(session, actor, consent=True) == ["A"]
    assert _codes(session, actor, tags=["cho"]) == ["A", "B"]
    assert _codes(session, actor, tags=["cho", "giao-lo"]) == ["A"]


def test_scope_limits_every_query(session: Session) -> None:
    make_camera(session, code="MINE", ward_code="26506")
    make_camera(session, code="OTHER", ward_code="26526")
    scoped = Actor(
        name="key:x", role=Role.INTEGRATION, scope=Scope(ward_codes=frozenset({"26506"}))
    )
    assert _codes(session, scoped) == ["MINE"]
    assert _codes(session, scoped, q="test") == ["MINE"]
    with pytest.raises(CameraNotFound):
        show_camera(session, code="OTHER", actor=scoped)


def test_paging_by_code_and_by_distance_covers_everything_once(
    session: Session, actor: Actor
) -> None:
    for i in range(7):
        make_camera(session, code=f"P{i}", lat=10.35 + i * 0.001, lon=107.08)
    for criteria in ({}, {"near": (10.35, 107.08), "radius_m": 5000}):
        seen: list[str] = []
        cursor = None
        while True:
            page = search_cameras(
                session, query=CameraFilter(**criteria), actor=actor, limit=3, cursor=cursor
            )
            seen += [m.camera.code for m in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [f"P{i}" for i in range(7)]


def test_searches_and_personal_reads_are_audited(session: Session, actor: Actor) -> None:
    from camera_registry.audit.service import AuditFilter, list_audit, verify_chain

    make_camera(session, code="OWN", owner_name="Nguyễn Văn A", owner_phone="0903123456")
    listing = list_cameras(session, query=CameraFilter(q="own"), actor=actor)
    assert listing.items[0].owner_name is None  # listings leave personal data out by default
    read = show_camera(session, code="OWN", actor=actor)
    assert read.owner_phone == "0903123456"
    investigator = Actor(name="user:inv", role=Role.INVESTIGATOR, case_number="HS-2026-001")
    list_cameras(session, query=CameraFilter(q="own"), actor=investigator, include_personal=True)
    integration = Actor(name="key:cms", role=Role.INTEGRATION)
    hidden = show_camera(session, code="OWN", actor=integration)
    assert hidden.owner_phone is None
    assert hidden.personal_data_hidden
    entries = list_audit(session, query=AuditFilter())
    actions = [(e.actor, e.action, e.case_number) for e in entries]
    assert actions == [
        ("cli:" + actor.name.split(":", 1)[1], "camera.search", None),
        (actor.name, "camera.personal_data.read", None),
        ("user:inv", "camera.search", "HS-2026-001"),
        ("user:inv", "camera.personal_data.read", "HS-2026-001"),
        ("key:cms", "camera.view", None),
    ]
    assert json.dumps(entries[0].details["filter"]) == '{"q": "own"}'
    assert verify_chain(session).ok


def test_radius_pages_match_the_exact_order_over_many_cameras(
    session: Session, actor: Actor
) -> None:
    import random

    from camera_registry.geo.distance import haversine_m

    rng = random.Random(7)
    centre = (10.35, 107.08)
    points = {}
    for i in range(300):
        lat, lon = centre[0] + rng.uniform(-0.02, 0.02), centre[1] + rng.uniform(-0.02, 0.02)
        make_camera(session, code=f"R{i:03d}", lat=lat, lon=lon)
        points[f"R{i:03d}"] = haversine_m(*centre, lat, lon)
    expected = sorted((d, c) for c, d in points.items() if d <= 1500)
    seen: list[str] = []
    cursor = None
    while True:
        page = search_cameras(
            session,
            query=CameraFilter(near=centre, radius_m=1500),
            actor=actor,
            limit=10,
            cursor=cursor,
        )
        seen += [m.camera.code for m in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [c for _, c in expected]
