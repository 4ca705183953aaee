"""Event search, event detail, coverage and clip planning: audited services over the index."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.audit.service import append_audit
from camera_registry.camera.filter import CameraFilter, PlaceMatch
from camera_registry.camera.model import Camera
from camera_registry.camera.query import CameraRef, camera_refs, decode_cursor, get_camera
from camera_registry.errors import (
    FieldProblem,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from camera_registry.geo.distance import destination
from ingest.events.coverage import Interval, timeline
from ingest.events.model import (
    MAX_EVENT_SECONDS,
    CoverageInterval,
    CoverageKind,
    Footage,
    MotionEvent,
)
from ingest.events.repository import EventRepository
from ingest.events.schema import (
    CoverageRead,
    EventDetail,
    EventQuery,
    EventRead,
    SearchResult,
)
from ingest.motion.base import grid_from_hex

# Rows fetched per round while conditions SQL cannot answer (zone, region, duration) thin them.
_FETCH_FACTOR = 4
_CIRCLE_POINTS = 64


class EventNotFound(NotFound):
    """No event with that id (or outside the caller's scope)."""


class FootageNotFound(NotFound):
    """No recording of that camera in the time range."""


def check_window(start: datetime, end: datetime, *, max_hours: int) -> None:
    """Refuse a window that ends before it starts or is longer than the configured limit."""
    if end <= start:
        message = "the window's end must come after its start"
        raise InvalidInput(message, problems=[FieldProblem("to", message)])
    if end - start > timedelta(hours=max_hours):
        message = f"the window is longer than {max_hours} h; search in smaller windows"
        raise InvalidInput(message, problems=[FieldProblem("to", message)])


def _circle(lat: float, lon: float, radius_m: float) -> dict[str, object]:
    """Return a GeoJSON polygon approximating a circle (outside the true circle, never inside)."""
    # Vertices on a slightly larger circle, so the polygon's edges stay outside the true one.
    outer = radius_m / math.cos(math.pi / _CIRCLE_POINTS)
    ring = []
    for i in range(_CIRCLE_POINTS):
        p_lat, p_lon = destination(lat, lon, 360 * i / _CIRCLE_POINTS, outer)
        ring.append([p_lon, p_lat])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def camera_filter_of(query: EventQuery) -> CameraFilter:
    """Return the camera filter of a query's place: cameras whose view touches it."""
    area = query.area
    if query.near is not None and query.radius_m is not None:
        area = _circle(query.near[0], query.near[1], query.radius_m)
    return CameraFilter(
        codes=list(query.codes),
        ward=query.ward,
        at=query.at,
        area=area,
        bbox=query.bbox,
        match=PlaceMatch.VIEW,
    )


def _find_cameras(session: Session, query: EventQuery, actor: Actor) -> list[CameraRef]:
    return camera_refs(session, query=camera_filter_of(query), actor=actor)


def _ref(camera: Camera) -> CameraRef:
    return CameraRef(camera.id, camera.code, camera.name)


def to_event_read(row: MotionEvent | Row[Any], code: str) -> EventRead:
    """Return the read schema of an event row (thumbnail as the stored path)."""
    # Validating a plain dict runs in pydantic-core and is several times cheaper than
    # model_construct, which matters for 500-event answers.
    return EventRead.model_validate(
        {
            "id": row.id,
            "camera": code,
            "start": row.start,
            "end": row.end,
            "score": row.peak_score,
            "mean_score": row.mean_score,
            "duration_s": (row.end - row.start).total_seconds(),
            "area_fraction": row.area_fraction,
            "box": {"x0": row.box_x0, "y0": row.box_y0, "x1": row.box_x1, "y1": row.box_y1},
            "zones": row.zones or [],
            "grid": row.grid_mask,
            "thumbnail": row.thumbnail_path,
        }
    )


def _accepts(row: Row[Any], query: EventQuery, region_mask: int) -> bool:
    """Test the conditions SQL cannot answer portably: duration, zone, frame region."""
    duration = (row.end - row.start).total_seconds()
    if query.min_duration_s is not None and duration < query.min_duration_s:
        return False
    if query.zone is not None and query.zone not in (row.zones or []):
        return False
    return not region_mask or bool(grid_from_hex(row.grid_mask) & region_mask)


def _encode_cursor(row: Row[Any]) -> str:
    data = {"start": row.start.isoformat(), "id": row.id}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    data = decode_cursor(cursor)
    try:
        start, event_id = datetime.fromisoformat(str(data["start"])), data["id"]
        if start.tzinfo is None or not isinstance(event_id, str):
            raise ValueError
    except (KeyError, ValueError) as exc:
        message = "cursor is damaged; start again without one"
        raise InvalidInput(message, problems=[FieldProblem("cursor", message)]) from exc
    return start, event_id


def _page(
    session: Session, query: EventQuery, cameras: list[CameraRef], max_event: timedelta
) -> tuple[list[Row[Any]], str | None]:
    """Return up to `limit` accepted events by (start, id) and the cursor after them."""
    repo, region_mask = EventRepository(session), query.region.mask() if query.region else 0
    thinned = query.min_duration_s is not None or query.zone is not None or bool(region_mask)
    fetch = query.limit + 1 if not thinned else (query.limit + 1) * _FETCH_FACTOR
    after, accepted = _after(query.cursor), []
    while True:
        rows = repo.events_in_window(
            camera_ids=[c.id for c in cameras],
            start=query.start,
            end=query.end,
            max_event=max_event,
            min_score=query.min_score,
            after=after,
            limit=fetch,
        )
        accepted += [r for r in rows if _accepts(r, query, region_mask)]
        if len(accepted) > query.limit:
            page = accepted[: query.limit]
            return page, _encode_cursor(page[-1])
        if len(rows) < fetch:
            return accepted, None
        after = (rows[-1].start, rows[-1].id)


def _coverages(
    session: Session, cameras: list[CameraRef], start: datetime, end: datetime
) -> list[CoverageRead]:
    rows = EventRepository(session).coverage_in_window(
        camera_ids=[c.id for c in cameras], start=start, end=end
    )
    by_camera: dict[int, list[CoverageInterval]] = {}
    for row in rows:
        by_camera.setdefault(row.camera_id, []).append(row)
    return [_timeline(cam, by_camera.get(cam.id, []), start, end) for cam in cameras]


def _timeline(
    camera: CameraRef, rows: Iterable[CoverageInterval], start: datetime, end: datetime
) -> CoverageRead:
    recorded: list[Interval] = []
    gaps: list[Interval] = []
    for row in rows:
        interval = Interval(row.start, row.end, row.reason)
        (recorded if row.kind == CoverageKind.RECORDED else gaps).append(interval)
    return timeline(
        code=camera.code, name=camera.name, recorded=recorded, gaps=gaps, start=start, end=end
    )


def _require(actor: Actor, permission: Permission, what: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"role {actor.role} may not {what}")


def search_events(
    session: Session,
    *,
    query: EventQuery,
    actor: Actor,
    max_window_hours: int,
    max_event_seconds: int = MAX_EVENT_SECONDS,
) -> SearchResult:
    """Find the cameras covering a place in a window, their coverage and their events (audited)."""
    _require(actor, Permission.EVENT_READ, "search motion events")
    check_window(query.start, query.end, max_hours=max_window_hours)
    cameras = _find_cameras(session, query, actor)
    rows, next_cursor = _page(session, query, cameras, timedelta(seconds=max_event_seconds))
    code_of = {c.id: c.code for c in cameras}
    events = [to_event_read(r, code_of[r.camera_id]) for r in rows]
    append_audit(
        session,
        actor=actor,
        action="event.search",
        details={"filter": query.summary(), "cameras": len(cameras), "results": len(events)},
    )
    return SearchResult(
        cameras=_coverages(session, cameras, query.start, query.end),
        events=events,
        next_cursor=next_cursor,
    )


def coverage(
    session: Session, *, query: EventQuery, actor: Actor, max_window_hours: int
) -> list[CoverageRead]:
    """Return the cameras covering a place and their recorded spans and gaps in the window."""
    _require(actor, Permission.EVENT_READ, "read coverage")
    check_window(query.start, query.end, max_hours=max_window_hours)
    cameras = _find_cameras(session, query, actor)
    details = {"filter": query.summary(), "cameras": len(cameras)}
    append_audit(session, actor=actor, action="coverage.search", details=details)
    return _coverages(session, cameras, query.start, query.end)


def camera_coverage(
    session: Session,
    *,
    code: str,
    start: datetime,
    end: datetime,
    actor: Actor,
    max_window_hours: int,
) -> CoverageRead:
    """Return one camera's coverage in a window."""
    _require(actor, Permission.EVENT_READ, "read coverage")
    check_window(start, end, max_hours=max_window_hours)
    camera = get_camera(session, code=code, actor=actor)
    append_audit(
        session,
        actor=actor,
        action="coverage.view",
        target=code,
        details={"from": start.isoformat(), "to": end.isoformat()},
    )
    return _coverages(session, [_ref(camera)], start, end)[0]


def _event_and_camera(session: Session, event_id: str, actor: Actor) -> tuple[MotionEvent, Camera]:
    row = EventRepository(session).event(event_id)
    camera = session.get(Camera, row.camera_id) if row else None
    if row is None or camera is None or not actor.scope.allows(camera.code, camera.ward_code):
        raise EventNotFound(f"no event {event_id}; search with `camreg events search`")
    return row, camera


def event_detail(session: Session, *, event_id: str, actor: Actor) -> EventDetail:
    """Return one event with its per-second activity (audited)."""
    _require(actor, Permission.EVENT_READ, "read motion events")
    row, camera = _event_and_camera(session, event_id, actor)
    append_audit(session, actor=actor, action="event.view", target=event_id)
    base = to_event_read(row, camera.code)
    return EventDetail(
        **base.model_dump(),
        track=list(row.track or []),
        footage_ids=list(row.footage_ids or []),
        source=row.source,
    )


def event_thumbnail(session: Session, *, event_id: str, actor: Actor) -> str:
    """Return the stored path of an event's thumbnail."""
    _require(actor, Permission.EVENT_READ, "read motion events")
    row, _ = _event_and_camera(session, event_id, actor)
    if not row.thumbnail_path:
        raise NotFound(f"event {event_id} has no thumbnail")
    # A thumbnail is a picture from the footage: its view is audited like any other.
    append_audit(session, actor=actor, action="event.thumbnail.view", target=event_id)
    return row.thumbnail_path


def clip_footage(
    session: Session,
    *,
    code: str,
    start: datetime,
    end: datetime,
    actor: Actor,
    max_window_hours: int,
) -> list[Footage]:
    """Return the footage to cut a clip from, recording the export in the audit log."""
    _require(actor, Permission.CLIP_EXPORT, "export video clips")
    check_window(start, end, max_hours=max_window_hours)
    camera = get_camera(session, code=code, actor=actor)
    files = EventRepository(session).footage_in_window(camera_id=camera.id, start=start, end=end)
    if not files:
        raise FootageNotFound(
            f"camera {code} has no recording between {start.isoformat()} and {end.isoformat()};"
            " check its coverage"
        )
    append_audit(
        session,
        actor=actor,
        action="clip.download",
        target=code,
        details={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "footage": [f.id for f in files],
        },
    )
    return files
