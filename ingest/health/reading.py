"""Audited reads of camera health: current states, a camera's checks, its timeline, snapshots."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.audit.service import append_audit
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.model import Camera, CameraStatus
from camera_registry.camera.query import decode_cursor, get_camera, iter_cameras
from camera_registry.clock import utcnow
from camera_registry.db.chunks import chunked
from camera_registry.errors import (
    CameraNotFound,
    FieldProblem,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from config.settings import HealthSettings
from ingest.health.model import CameraHealth, HealthCheck, HealthInterval
from ingest.health.schema import (
    STATE_ORDER,
    CameraHealthDetail,
    CameraHealthRead,
    CameraTimeline,
    CameraTimelines,
    CheckPage,
    CheckRead,
    HealthListing,
    IntervalRead,
    LiveInfo,
)
from ingest.health.timeline import (
    display_state,
    effective_end,
    is_live,
    known_until,
    last_check_of,
    reasons_of,
    unknown_after,
)
from ingest.health.vocabulary import MONITORED_STATUSES, CheckTier, HealthState, Reason

# Longest window of one camera's intervals or checks a single request may ask for.
MAX_TIMELINE_DAYS = 400
# Several cameras' timelines in one request: as many as an events search usually covers, over
# at most the longest search window (31 days).
MAX_BATCH_CAMERAS = 200
MAX_BATCH_DAYS = 31
RECENT_CHECKS = 20


class CheckNotFound(NotFound):
    """No check with that id (or its camera is outside the caller's scope)."""


def require_health(actor: Actor, permission: Permission, what: str) -> None:
    """Refuse an actor whose role lacks the permission."""
    if not actor.can(permission):
        raise PermissionDenied(f"role {actor.role} may not {what}")


def check_span(start: datetime, end: datetime, *, max_days: int) -> None:
    """Refuse a naive window, one that ends before it starts, or one longer than `max_days`."""
    for name, value in (("from", start), ("to", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            message = "give a time with a zone or offset"
            raise InvalidInput(f"{name}: {message}", problems=[FieldProblem(name, message)])
    if end <= start:
        message = "the window's end must come after its start"
        raise InvalidInput(message, problems=[FieldProblem("to", message)])
    if end - start > timedelta(days=max_days):
        message = f"the window is longer than {max_days} days; ask for smaller windows"
        raise InvalidInput(message, problems=[FieldProblem("to", message)])


def health_rows(session: Session, camera_ids: Sequence[int]) -> dict[int, CameraHealth]:
    """Return the health rows of these cameras by camera id (cameras never checked have none)."""
    rows: dict[int, CameraHealth] = {}
    for chunk in chunked(camera_ids):
        stmt = select(CameraHealth).where(CameraHealth.camera_id.in_(chunk))
        rows.update({r.camera_id: r for r in session.scalars(stmt)})
    return rows


def present(
    camera: Camera,
    row: CameraHealth | None,
    *,
    now: datetime,
    window: timedelta,
    ward_name: str | None = None,
) -> CameraHealthRead:
    """Return a camera's current state as seen at `now` (unknown when stale or never checked)."""
    state = display_state(row, now, window)
    known = known_until(row, now, window)
    since: datetime | None
    reasons: list[Reason]
    if row is None:
        since, reasons = None, []
    elif state == HealthState.UNKNOWN:
        # It became unknown when its last check aged past the window.
        since, reasons = known.until if known.until else None, []
    else:
        since, reasons = row.since, reasons_of(row.reasons)
    live = None
    if row is not None and is_live(row, now):
        live = LiveInfo(
            worker=row.live_owner,
            until=row.live_until,
            last_frame_at=row.last_frame_at,
            fps=row.live_fps,
        )
    return CameraHealthRead(
        camera=camera.code,
        name=camera.name,
        ward=camera.ward_code,
        ward_name=ward_name,
        lat=camera.lat,
        lon=camera.lon,
        status=camera.status,
        state=state,
        reasons=reasons,
        since=since,
        duration_s=round((now - since).total_seconds(), 3) if since else None,
        last_check_at=last_check_of(row),
        last_reachability_at=row.last_reachability_at if row else None,
        last_picture_at=row.last_picture_at if row else None,
        latency_ms=row.last_latency_ms if row else None,
        live=live,
        has_reference=bool(row and row.reference_path),
        reference_set_at=row.reference_set_at if row else None,
        reference_set_by=row.reference_set_by if row else None,
    )


def problems_first(item: CameraHealthRead) -> tuple[int, float, str]:
    """Sort key: problems first, longest lasting first (never checked last); then online."""
    if item.state == HealthState.ONLINE:
        return (2, 0.0, item.camera)
    if item.since is None:
        return (1, 0.0, item.camera)
    return (0, item.since.timestamp(), item.camera)


def list_states(
    session: Session,
    *,
    actor: Actor,
    health: HealthSettings,
    codes: Sequence[str] = (),
    ward: str | None = None,
    status: Sequence[CameraStatus] = (),
    states: Sequence[HealthState] = (),
    reasons: Sequence[Reason] = (),
    now: datetime | None = None,
) -> HealthListing:
    """Return the current state of every camera in scope matching the filters (audited)."""
    require_health(actor, Permission.HEALTH_READ, "read camera health")
    now = now or utcnow()
    watched = list(status) or ([] if codes else list(MONITORED_STATUSES))
    query = CameraFilter(codes=list(codes), ward=ward, status=watched)
    cameras = [m.camera for m in iter_cameras(session, query=query, actor=actor)]
    rows = health_rows(session, [c.id for c in cameras])
    layer = AreaLayer.load(session, now.date())
    window = unknown_after(health)
    items = [
        present(c, rows.get(c.id), now=now, window=window, ward_name=layer.name_of(c.ward_code))
        for c in cameras
    ]
    counts = dict.fromkeys(STATE_ORDER, 0)
    for item in items:
        counts[item.state] += 1
    wanted_reasons = set(reasons)
    chosen = [
        i
        for i in items
        if (not states or i.state in states)
        and (not wanted_reasons or wanted_reasons & set(i.reasons))
    ]
    chosen.sort(key=problems_first)
    details = {
        "filter": {
            "codes": list(codes),
            "ward": ward,
            "status": [str(s) for s in status],
            "states": [str(s) for s in states],
            "reasons": [str(r) for r in reasons],
        },
        "cameras": len(cameras),
        "results": len(chosen),
    }
    append_audit(session, actor=actor, action="health.search", details=details)
    return HealthListing(at=now, counts=counts, items=chosen)


def _check_read(row: HealthCheck, code: str) -> CheckRead:
    return CheckRead(
        id=row.id,
        camera=code,
        tier=row.tier,
        checked_at=row.checked_at,
        state=row.state,
        reasons=reasons_of(row.reasons),
        latency_ms=row.latency_ms,
        message=row.message,
        details=dict(row.details or {}),
        snapshot=row.snapshot_path,
        worker=row.worker,
    )


def _encode_cursor(row: HealthCheck) -> str:
    data = {"at": row.checked_at.isoformat(), "id": row.id}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _before(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    data = decode_cursor(cursor)
    try:
        at, check_id = datetime.fromisoformat(str(data["at"])), data["id"]
        if at.tzinfo is None or not isinstance(check_id, int) or isinstance(check_id, bool):
            raise ValueError
    except (KeyError, ValueError) as exc:
        message = "cursor is damaged; start again without one"
        raise InvalidInput(message, problems=[FieldProblem("cursor", message)]) from exc
    return at, check_id


def _checks(
    session: Session,
    camera: Camera,
    *,
    limit: int,
    tier: CheckTier | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
) -> CheckPage:
    stmt = select(HealthCheck).where(HealthCheck.camera_id == camera.id)
    if tier is not None:
        stmt = stmt.where(HealthCheck.tier == tier)
    if start is not None:
        stmt = stmt.where(HealthCheck.checked_at >= start)
    if end is not None:
        stmt = stmt.where(HealthCheck.checked_at < end)
    before = _before(cursor)
    if before is not None:
        at, check_id = before
        stmt = stmt.where(
            or_(
                HealthCheck.checked_at < at,
                and_(HealthCheck.checked_at == at, HealthCheck.id < check_id),
            )
        )
    stmt = stmt.order_by(HealthCheck.checked_at.desc(), HealthCheck.id.desc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1]) if len(rows) > limit else None
    return CheckPage(items=[_check_read(r, camera.code) for r in page], next_cursor=next_cursor)


def list_checks(
    session: Session,
    *,
    code: str,
    actor: Actor,
    limit: int,
    tier: CheckTier | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
) -> CheckPage:
    """Return a camera's checks, newest first, one page at a time (audited)."""
    require_health(actor, Permission.HEALTH_READ, "read camera health")
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            message = "give a time with a zone or offset"
            raise InvalidInput(f"{name}: {message}", problems=[FieldProblem(name, message)])
    if start is not None and end is not None and end <= start:
        message = "the window's end must come after its start"
        raise InvalidInput(message, problems=[FieldProblem("to", message)])
    camera = get_camera(session, code=code, actor=actor)
    page = _checks(session, camera, limit=limit, tier=tier, start=start, end=end, cursor=cursor)
    details: dict[str, object] = {"tier": str(tier) if tier else None, "results": len(page.items)}
    if start is not None:
        details["from"] = start.isoformat()
    if end is not None:
        details["to"] = end.isoformat()
    append_audit(session, actor=actor, action="health.checks.view", target=code, details=details)
    return page


def _intervals_stmt(camera_ids: Sequence[int], start: datetime, end: datetime) -> Select[Any]:
    return (
        select(HealthInterval)
        .where(
            HealthInterval.camera_id.in_(list(camera_ids)),
            HealthInterval.start < end,
            or_(HealthInterval.end.is_(None), HealthInterval.end > start),
        )
        .order_by(HealthInterval.camera_id, HealthInterval.start, HealthInterval.id)
    )


def clip_timeline(
    code: str,
    intervals: Iterable[HealthInterval],
    row: CameraHealth | None,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    window: timedelta,
) -> CameraTimeline:
    """Return stored intervals (by start) clipped to [start, end), uncovered time as unknown."""
    known = known_until(row, now, window)
    out: list[IntervalRead] = []
    cursor = start
    for iv in intervals:
        iv_end, ongoing = effective_end(iv.start, iv.end, known, now)
        lo, hi = max(iv.start, start, cursor), min(iv_end, end)
        if hi <= lo:
            continue
        if lo > cursor:
            out.append(_unknown(cursor, lo))
        out.append(
            IntervalRead(
                state=iv.state,
                reasons=reasons_of(iv.reasons),
                start=lo,
                end=hi,
                ongoing=ongoing and iv_end <= end,
            )
        )
        cursor = hi
    limit = min(end, now) if end > now else end
    if cursor < limit:
        out.append(_unknown(cursor, limit))
    return CameraTimeline(camera=code, start=start, end=end, intervals=out)


def timeline_of(
    session: Session,
    camera: Camera,
    row: CameraHealth | None,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    window: timedelta,
) -> CameraTimeline:
    """Return the camera's intervals clipped to [start, end), with uncovered time as unknown."""
    intervals = session.scalars(_intervals_stmt([camera.id], start, end))
    return clip_timeline(camera.code, intervals, row, start=start, end=end, now=now, window=window)


def _unknown(start: datetime, end: datetime) -> IntervalRead:
    return IntervalRead(state=HealthState.UNKNOWN, start=start, end=end, recorded=False)


def camera_intervals(
    session: Session,
    *,
    code: str,
    actor: Actor,
    health: HealthSettings,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    max_days: int = MAX_TIMELINE_DAYS,
) -> CameraTimeline:
    """Return a camera's states over a window (audited)."""
    require_health(actor, Permission.HEALTH_READ, "read camera health")
    check_span(start, end, max_days=max_days)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    now = now or utcnow()
    camera = get_camera(session, code=code, actor=actor)
    row = session.get(CameraHealth, camera.id)
    result = timeline_of(
        session, camera, row, start=start, end=end, now=now, window=unknown_after(health)
    )
    append_audit(
        session,
        actor=actor,
        action="health.intervals.view",
        target=code,
        details={"from": start.isoformat(), "to": end.isoformat()},
    )
    return result


def _batch_codes(codes: Sequence[str], max_cameras: int) -> list[str]:
    """Return the codes once each, in the order given; refuse none or too many."""
    unique = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not unique:
        message = "name at least one camera (camera=CODE, repeatable)"
        raise InvalidInput(message, problems=[FieldProblem("camera", message)])
    if len(unique) > max_cameras:
        message = f"{len(unique)} cameras asked for; at most {max_cameras} per request, split it"
        raise InvalidInput(message, problems=[FieldProblem("camera", message)])
    return unique


def _visible_cameras(session: Session, codes: Sequence[str], actor: Actor) -> list[Camera]:
    """Return these cameras in the order given; any unknown or out of scope is refused by name."""
    found: dict[str, Camera] = {}
    for chunk in chunked(codes):
        stmt = select(Camera).where(Camera.code.in_(chunk))
        for camera in session.scalars(stmt):
            if actor.scope.allows(camera.code, camera.ward_code):
                found[camera.code] = camera
    missing = [c for c in codes if c not in found]
    if missing:
        raise CameraNotFound(
            f"no camera {', '.join(missing)}; `camreg cameras list --q` helps find codes"
        )
    return [found[c] for c in codes]


def camera_timelines(
    session: Session,
    *,
    codes: Sequence[str],
    actor: Actor,
    health: HealthSettings,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    max_cameras: int = MAX_BATCH_CAMERAS,
    max_days: int = MAX_BATCH_DAYS,
) -> CameraTimelines:
    """Return several cameras' states over one window, in the order given (audited per camera)."""
    require_health(actor, Permission.HEALTH_READ, "read camera health")
    wanted = _batch_codes(codes, max_cameras)
    check_span(start, end, max_days=max_days)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    now = now or utcnow()
    cameras = _visible_cameras(session, wanted, actor)
    ids = [c.id for c in cameras]
    rows = health_rows(session, ids)
    by_camera: dict[int, list[HealthInterval]] = defaultdict(list)
    for chunk in chunked(ids):
        for iv in session.scalars(_intervals_stmt(chunk, start, end)):
            by_camera[iv.camera_id].append(iv)
    window = unknown_after(health)
    timelines = [
        clip_timeline(
            c.code,
            by_camera.get(c.id, []),
            rows.get(c.id),
            start=start,
            end=end,
            now=now,
            window=window,
        )
        for c in cameras
    ]
    # One entry per camera, as for a single camera's timeline: "who looked at camera X" stays
    # one query.
    details = {"from": start.isoformat(), "to": end.isoformat(), "batch": len(cameras)}
    for camera in cameras:
        append_audit(
            session,
            actor=actor,
            action="health.intervals.view",
            target=camera.code,
            details=details,
        )
    return CameraTimelines(start=start, end=end, cameras=timelines)


def camera_detail(
    session: Session,
    *,
    code: str,
    actor: Actor,
    health: HealthSettings,
    now: datetime | None = None,
    recent: int = RECENT_CHECKS,
    hours: int = 24,
) -> CameraHealthDetail:
    """Return a camera's current state, its latest checks and its last day of states (audited)."""
    require_health(actor, Permission.HEALTH_READ, "read camera health")
    now = now or utcnow()
    camera = get_camera(session, code=code, actor=actor)
    row = session.get(CameraHealth, camera.id)
    window = unknown_after(health)
    layer = AreaLayer.load(session, now.date())
    ward_name = layer.name_of(camera.ward_code)
    current = present(camera, row, now=now, window=window, ward_name=ward_name)
    checks = _checks(session, camera, limit=recent).items
    timeline = timeline_of(
        session, camera, row, start=now - timedelta(hours=hours), end=now, now=now, window=window
    )
    append_audit(session, actor=actor, action="health.view", target=code)
    return CameraHealthDetail(current=current, checks=checks, timeline=timeline)


def stored_file(data_dir: Path, relative: str) -> Path:
    """Return a stored file's path inside the data folder, refusing any path that leaves it."""
    root = data_dir.resolve()
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise NotFound("the stored file lies outside the data folder")
    path = (root / candidate).resolve()
    if not path.is_relative_to(root):
        raise NotFound("the stored file lies outside the data folder")
    return path


def check_with_camera(
    session: Session, *, check_id: int, actor: Actor
) -> tuple[HealthCheck, Camera]:
    """Return a check and its camera, as if absent when the camera is outside the scope."""
    check = session.get(HealthCheck, check_id)
    camera = session.get(Camera, check.camera_id) if check else None
    if check is None or camera is None or not actor.scope.allows(camera.code, camera.ward_code):
        raise CheckNotFound(f"no check {check_id}; `camreg health history CODE` lists them")
    return check, camera


def snapshot_file(session: Session, *, check_id: int, actor: Actor, data_dir: Path) -> Path:
    """Return the snapshot JPEG of a picture check (audited)."""
    require_health(actor, Permission.HEALTH_READ, "read camera health")
    check, camera = check_with_camera(session, check_id=check_id, actor=actor)
    if not check.snapshot_path:
        raise NotFound(f"check {check_id} has no snapshot (only picture checks keep one)")
    path = stored_file(data_dir, check.snapshot_path)
    if not path.is_file():
        raise NotFound(f"the snapshot of check {check_id} is missing from storage")
    append_audit(
        session,
        actor=actor,
        action="health.snapshot.view",
        target=camera.code,
        details={"check": check_id},
    )
    return path
