"""Event search over the index: places by field of view, window edges, conditions, scope, audit."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.actor import Actor, Scope, cli_actor
from camera_registry.area.service import import_areas
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import Camera
from camera_registry.errors import InvalidInput, PermissionDenied
from ingest.events.schema import EventQuery, FrameRegion
from ingest.events.search import check_window, search_events
from ingest.motion.base import GRID_COLUMNS
from tests.builders import make_camera
from tests.ingest.events.builders import at, make_event

# A box east of the "view" camera: its field of view reaches in, its position does not.
BOX = (107.0843, 10.3458, 107.0850, 10.3462)
INVESTIGATOR = Actor(name="inv", role=Role.INVESTIGATOR, case_number="HS-2026-001")


@dataclass
class Scene:
    view: Camera  # stands west of the box, looks east into it
    inside: Camera  # stands in the box, no field of view recorded
    away: Camera  # stands west of the box, looks west (away from it)
    far: Camera


@pytest.fixture
def scene(session: Session) -> Scene:
    return Scene(
        view=make_camera(
            session, code="VIEW", lat=10.3460, lon=107.0840, heading_deg=90, fov_deg=60, range_m=60
        ),
        inside=make_camera(session, code="INSIDE", lat=10.3460, lon=107.0846),
        away=make_camera(
            session, code="AWAY", lat=10.3460, lon=107.0838, heading_deg=270, fov_deg=60, range_m=60
        ),
        far=make_camera(session, code="FAR", lat=10.3600, lon=107.1000),
    )


def _query(**kw: object) -> EventQuery:
    data: dict[str, object] = {"start": at(0), "end": at(150), "bbox": BOX}
    data.update(kw)
    return EventQuery.model_validate(data)


def _search(session: Session, actor: Actor = INVESTIGATOR, **kw: object) -> list[str]:
    result = search_events(
        session, query=_query(**kw), actor=actor, max_window_hours=72, max_event_seconds=600
    )
    return [e.id for e in result.events]


def test_place_matches_field_of_view_or_position(session: Session, scene: Scene) -> None:
    seen = make_event(session, scene.view, start=at(10))
    inside = make_event(session, scene.inside, start=at(20))
    make_event(session, scene.away, start=at(25))
    make_event(session, scene.far, start=at(30))
    result = search_events(
        session, query=_query(), actor=INVESTIGATOR, max_window_hours=72, max_event_seconds=600
    )
    assert [c.camera for c in result.cameras] == ["INSIDE", "VIEW"]
    assert [e.id for e in result.events] == [seen.id, inside.id]
    assert result.events[0].camera == "VIEW"
    assert result.events[0].start == at(10)
    assert result.events[0].duration_s == 10.0


def test_near_with_radius_finds_a_camera_that_sees_the_point(
    session: Session, scene: Scene
) -> None:
    seen = make_event(session, scene.view, start=at(10))
    # 35 m east of VIEW: inside its cone, far from its position compared with the radius.
    ids = _search(session, bbox=None, near=(10.3460, 107.08432), radius_m=8)
    assert ids == [seen.id]


def test_window_edges_and_long_events_before_the_start(session: Session, scene: Scene) -> None:
    running = make_event(session, scene.view, start=at(-5), seconds=540)
    make_event(session, scene.view, start=at(-2), seconds=60)  # over before the window
    last = make_event(session, scene.view, start=at(149.9), seconds=30)
    make_event(session, scene.view, start=at(150))  # starts as the window ends
    make_event(session, scene.view, start=at(-30), seconds=3600)  # longer than the split length
    assert _search(session) == [running.id, last.id]


def test_min_score_and_min_duration(session: Session, scene: Scene) -> None:
    weak = make_event(session, scene.view, start=at(1), score=0.2, seconds=30)
    short = make_event(session, scene.view, start=at(2), score=0.9, seconds=2)
    strong = make_event(session, scene.view, start=at(3), score=0.9, seconds=30)
    assert _search(session, min_score=0.5) == [short.id, strong.id]
    assert _search(session, min_duration_s=10) == [weak.id, strong.id]
    assert _search(session, min_score=0.5, min_duration_s=10) == [strong.id]


def test_zone_and_frame_region(session: Session, scene: Scene) -> None:
    gate = make_event(session, scene.view, start=at(1), zones=["gate"], cells=[0])
    # Bottom-right cell of the grid.
    corner = make_event(session, scene.view, start=at(2), zones=["road"], cells=[143])
    assert _search(session, zone="gate") == [gate.id]
    assert _search(session, region=FrameRegion(rect=(0.9, 0.85, 1.0, 1.0))) == [corner.id]
    assert _search(session, region=FrameRegion(cells=[0, 1])) == [gate.id]
    assert _search(session, region=FrameRegion(rect=(0.3, 0.3, 0.6, 0.6))) == []


def test_region_rectangle_covers_the_cells_it_overlaps() -> None:
    mask = FrameRegion(rect=(0.0, 0.0, 0.5, 1 / 9)).mask()
    assert mask == sum(1 << c for c in range(GRID_COLUMNS // 2))
    with pytest.raises(ValueError, match="x0 < x1"):
        FrameRegion(rect=(0.5, 0.0, 0.4, 1.0))


def test_pages_follow_the_cursor(session: Session, scene: Scene) -> None:
    view = [make_event(session, scene.view, start=at(i)).id for i in range(5)]
    same_start = make_event(session, scene.inside, start=at(2)).id
    # Equal starts are ordered by id ("ev-INSIDE…" before "ev-VIEW…").
    expected = [*view[:2], same_start, *view[2:]]
    seen, cursor = [], None
    while True:
        result = search_events(
            session,
            query=_query(limit=2, cursor=cursor, zone=None),
            actor=INVESTIGATOR,
            max_window_hours=72,
            max_event_seconds=600,
        )
        seen += [e.id for e in result.events]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_scope_limits_cameras_and_events(session: Session, scene: Scene) -> None:
    make_event(session, scene.view, start=at(1))
    inside = make_event(session, scene.inside, start=at(2))
    scoped = Actor(name="k", role=Role.INTEGRATION, scope=Scope(camera_codes=frozenset({"INSIDE"})))
    assert _search(session, actor=scoped) == [inside.id]


def test_search_is_audited_with_the_case_number(session: Session, scene: Scene) -> None:
    make_event(session, scene.view, start=at(1))
    _search(session, min_score=0.1)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "event.search")).one()
    assert entry.case_number == "HS-2026-001"
    assert entry.actor == "inv"
    assert entry.details["results"] == 1
    assert entry.details["filter"]["min_score"] == 0.1


def test_auditors_may_not_search(session: Session, scene: Scene) -> None:
    with pytest.raises(PermissionDenied):
        _search(session, actor=Actor(name="a", role=Role.AUDITOR))


def test_bad_windows_are_refused() -> None:
    with pytest.raises(InvalidInput, match="longer than 24 h"):
        check_window(at(0), at(0) + timedelta(hours=25), max_hours=24)
    with pytest.raises(InvalidInput, match="after its start"):
        check_window(at(10), at(0), max_hours=24)
    with pytest.raises(ValueError, match="after its start"):
        _query(end=at(-1))
    with pytest.raises(ValueError, match="offset"):
        _query(start=at(0).replace(tzinfo=None))
    with pytest.raises(ValueError, match="one place"):
        _query(ward="P7")


def test_search_modules_import_neither_opencv_nor_pyav() -> None:
    code = (
        "import sys, ingest.events.search, ingest.events.coverage;"
        "print(sorted(m for m in ('cv2', 'av') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ward_matches_cameras_that_look_into_it(session: Session, scene: Scene) -> None:
    west, south, east, north = BOX
    square = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    ward = {"code": "BOXWARD", "name": "Phường Hộp"}
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": ward,
                "geometry": {"type": "Polygon", "coordinates": [square]},
            }
        ],
    }
    import_areas(session, document=document, actor=cli_actor())
    seen = make_event(session, scene.view, start=at(1))
    inside = make_event(session, scene.inside, start=at(2))
    make_event(session, scene.away, start=at(3))
    assert _search(session, bbox=None, ward="BOXWARD") == [seen.id, inside.id]
