"""Availability over a window: time in each state, incidents, outages and recorded footage.

Closed intervals are clipped to the window and summed per camera and state in SQL, so the
database returns one row per camera and state whatever the window. Open intervals (at most one
per camera) get their effective end in Python: the state holds until now while checks keep
coming, and until the last check plus the unknown window when they stop. Incidents and the
longest outage need the order of the intervals away from online, which are few; only those are
fetched as rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.audit.service import append_audit
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.model import Camera, CameraStatus
from camera_registry.camera.query import iter_cameras
from camera_registry.clock import utcnow
from camera_registry.db.chunks import chunked
from camera_registry.db.types import UtcDateTime
from camera_registry.errors import FieldProblem, InvalidInput
from config.settings import HealthSettings
from ingest.events.model import CoverageInterval, CoverageKind
from ingest.health.model import CameraHealth, HealthInterval
from ingest.health.reading import check_span, health_rows, require_health
from ingest.health.schema import (
    STATE_ORDER,
    Availability,
    AvailabilityReport,
    CameraAvailability,
    WardAvailability,
)
from ingest.health.timeline import Known, effective_end, known_until, unknown_after
from ingest.health.vocabulary import MONITORED_STATUSES, HealthState

# A year and a bit: monthly and yearly reports in one request.
MAX_REPORT_DAYS = 400
_AWAY = (HealthState.DEGRADED, HealthState.OFFLINE)


@dataclass
class _Tally:
    """Seconds per state, incidents, longest outage and recorded seconds of one camera or group."""

    seconds: dict[HealthState, float] = field(
        default_factory=lambda: dict.fromkeys(STATE_ORDER, 0.0)
    )
    incidents: int = 0
    longest_outage_s: float = 0.0
    recorded_s: float = 0.0
    cameras: int = 1

    def add(self, other: _Tally) -> None:
        """Add another tally (for wards and the city)."""
        for state, value in other.seconds.items():
            self.seconds[state] += value
        self.incidents += other.incidents
        self.longest_outage_s = max(self.longest_outage_s, other.longest_outage_s)
        self.recorded_s += other.recorded_s
        self.cameras += other.cameras

    def result(self, window_s: float) -> dict[str, Any]:
        """Return the fields of an Availability; unknown is what no state accounts for."""
        total = window_s * self.cameras
        known = sum(v for s, v in self.seconds.items() if s != HealthState.UNKNOWN)
        seconds = dict(self.seconds)
        seconds[HealthState.UNKNOWN] = max(0.0, total - known)
        share = {s: (v / total if total else 0.0) for s, v in seconds.items()}
        return {
            "cameras": self.cameras,
            "seconds": {s: round(v, 3) for s, v in seconds.items()},
            "share": {s: round(v, 6) for s, v in share.items()},
            "incidents": self.incidents,
            "longest_outage_s": round(self.longest_outage_s, 3),
            "recorded_s": round(self.recorded_s, 3),
            "recorded_share": round(self.recorded_s / total, 6) if total else 0.0,
        }


def _seconds(session: Session, lo: Any, hi: Any) -> ColumnElement[Any]:
    """Return SQL for the seconds from `lo` to `hi` on this backend."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(hi) - func.julianday(lo)) * 86400.0
    return func.extract("epoch", hi - lo)


def _clipped(session: Session, column_start: Any, column_end: Any, start: Any, end: Any) -> Any:
    """Return SQL for the seconds of [column_start, column_end) inside [start, end)."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite's two-argument max/min are scalar; times are stored as sortable text.
        lo: Any = func.max(column_start, start)
        hi: Any = func.min(column_end, end)
    else:
        lo, hi = func.greatest(column_start, start), func.least(column_end, end)
    return _seconds(session, lo, hi)


def _closed_sums(
    session: Session, ids: Sequence[int], start: datetime, end: datetime
) -> Iterable[tuple[int, HealthState, float]]:
    lo, hi = literal(start, UtcDateTime), literal(end, UtcDateTime)
    seconds = func.sum(_clipped(session, HealthInterval.start, HealthInterval.end, lo, hi))
    for chunk in chunked(ids):
        stmt = (
            select(HealthInterval.camera_id, HealthInterval.state, seconds)
            .where(
                HealthInterval.camera_id.in_(chunk),
                HealthInterval.end.is_not(None),
                HealthInterval.start < end,
                HealthInterval.end > start,
            )
            .group_by(HealthInterval.camera_id, HealthInterval.state)
        )
        for camera_id, state, value in session.execute(stmt):
            yield camera_id, HealthState(state), float(value or 0.0)


def _recorded_sums(
    session: Session, ids: Sequence[int], start: datetime, end: datetime
) -> Iterable[tuple[int, float]]:
    lo, hi = literal(start, UtcDateTime), literal(end, UtcDateTime)
    seconds = func.sum(_clipped(session, CoverageInterval.start, CoverageInterval.end, lo, hi))
    for chunk in chunked(ids):
        stmt = (
            select(CoverageInterval.camera_id, seconds)
            .where(
                CoverageInterval.camera_id.in_(chunk),
                CoverageInterval.kind == CoverageKind.RECORDED,
                CoverageInterval.start < end,
                CoverageInterval.end > start,
            )
            .group_by(CoverageInterval.camera_id)
        )
        for camera_id, value in session.execute(stmt):
            yield camera_id, float(value or 0.0)


@dataclass(frozen=True)
class _Span:
    state: HealthState
    start: datetime
    end: datetime
    open: bool  # still going when stored: its seconds are not in the SQL sums


def _spans(
    session: Session,
    ids: Sequence[int],
    start: datetime,
    end: datetime,
    known: dict[int, Known],
    now: datetime,
) -> dict[int, list[_Span]]:
    """Return, per camera, the open intervals and the ones away from online, clipped, in order."""
    out: dict[int, list[_Span]] = defaultdict(list)
    for chunk in chunked(ids):
        stmt = (
            select(
                HealthInterval.camera_id,
                HealthInterval.state,
                HealthInterval.start,
                HealthInterval.end,
            )
            .where(
                HealthInterval.camera_id.in_(chunk),
                HealthInterval.start < end,
                or_(
                    HealthInterval.end.is_(None),
                    and_(HealthInterval.end > start, HealthInterval.state.in_(_AWAY)),
                ),
            )
            .order_by(HealthInterval.camera_id, HealthInterval.start)
        )
        for camera_id, state, iv_start, iv_end in session.execute(stmt):
            stop, _ = effective_end(iv_start, iv_end, known[camera_id], now)
            lo, hi = max(iv_start, start), min(stop, end)
            if hi > lo:
                out[camera_id].append(_Span(HealthState(state), lo, hi, iv_end is None))
    return out


def _incidents(spans: list[_Span]) -> tuple[int, float]:
    """Return the number of stretches away from online and the longest run offline."""
    incidents, longest = 0, 0.0
    away_end: datetime | None = None
    run_start: datetime | None = None
    run_end: datetime | None = None
    for span in spans:
        if span.state not in _AWAY:
            continue
        # Degraded then offline without a pause is one incident, as the alerts see it.
        if away_end is None or span.start > away_end:
            incidents += 1
        away_end = span.end if away_end is None else max(away_end, span.end)
        if span.state == HealthState.OFFLINE:
            if run_end is None or run_start is None or span.start > run_end:
                run_start = span.start
            run_end = span.end if run_end is None else max(run_end, span.end)
            longest = max(longest, (run_end - run_start).total_seconds())
        else:
            run_start = run_end = None
    return incidents, longest


def _tallies(
    session: Session,
    cameras: list[Camera],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    health: HealthSettings,
) -> dict[int, _Tally]:
    ids = [c.id for c in cameras]
    tallies = {i: _Tally() for i in ids}
    rows: dict[int, CameraHealth] = health_rows(session, ids)
    window = unknown_after(health)
    known = {i: known_until(rows.get(i), now, window) for i in ids}
    for camera_id, state, value in _closed_sums(session, ids, start, end):
        tallies[camera_id].seconds[state] += value
    for camera_id, spans in _spans(session, ids, start, end, known, now).items():
        tally = tallies[camera_id]
        for span in spans:
            if span.open:
                tally.seconds[span.state] += (span.end - span.start).total_seconds()
        tally.incidents, tally.longest_outage_s = _incidents(spans)
    for camera_id, value in _recorded_sums(session, ids, start, end):
        tallies[camera_id].recorded_s = value
    return tallies


def availability(
    session: Session,
    *,
    actor: Actor,
    health: HealthSettings,
    start: datetime,
    end: datetime,
    codes: Sequence[str] = (),
    ward: str | None = None,
    status: Sequence[CameraStatus] = (),
    now: datetime | None = None,
    max_days: int = MAX_REPORT_DAYS,
) -> AvailabilityReport:
    """Return availability per camera, per ward and for the city over [start, end) (audited)."""
    require_health(actor, Permission.HEALTH_READ, "read camera availability")
    check_span(start, end, max_days=max_days)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    now = now or utcnow()
    # The future has no state yet: a window reaching past now is measured up to now (the
    # report's end says so), or "today" at noon would be half unknown.
    if start >= now:
        message = "the window starts in the future; availability is known only up to now"
        raise InvalidInput(message, problems=[FieldProblem("from", message)])
    end = min(end, now)
    query = CameraFilter(codes=list(codes), ward=ward, status=list(status))
    found = [m.camera for m in iter_cameras(session, query=query, actor=actor)]
    if not status and not codes:
        # Cameras not watched now (planned, decommissioned) count only where they have a state
        # history in the window: a camera retired last year must not read as "unknown" today.
        with_history = _with_intervals(session, [c.id for c in found], start=start, end=end)
        found = [c for c in found if c.status in MONITORED_STATUSES or c.id in with_history]
    cameras = sorted(found, key=lambda c: c.code)
    tallies = _tallies(session, cameras, start=start, end=end, now=now, health=health)
    window_s = (end - start).total_seconds()
    layer = AreaLayer.load(session, now.date())
    per_camera: list[CameraAvailability] = []
    wards: dict[str | None, _Tally] = {}
    city = _Tally(cameras=0)
    for camera in cameras:
        tally = tallies[camera.id]
        per_camera.append(
            CameraAvailability(
                camera=camera.code,
                name=camera.name,
                ward=camera.ward_code,
                **tally.result(window_s),
            )
        )
        wards.setdefault(camera.ward_code, _Tally(cameras=0)).add(tally)
        city.add(tally)
    ward_rows = [
        WardAvailability(ward=code, ward_name=layer.name_of(code), **tally.result(window_s))
        for code, tally in sorted(wards.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]
    append_audit(
        session,
        actor=actor,
        action="health.availability",
        details={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "codes": list(codes),
            "ward": ward,
            "cameras": len(cameras),
        },
    )
    return AvailabilityReport(
        start=start,
        end=end,
        window_s=window_s,
        city=Availability(**city.result(window_s)),
        wards=ward_rows,
        cameras=per_camera,
    )


def _with_intervals(
    session: Session, camera_ids: Sequence[int], *, start: datetime, end: datetime
) -> set[int]:
    """Return which of these cameras have a state interval overlapping [start, end)."""
    found: set[int] = set()
    for chunk in chunked(camera_ids):
        found.update(
            session.scalars(
                select(HealthInterval.camera_id)
                .where(
                    HealthInterval.camera_id.in_(chunk),
                    HealthInterval.start < end,
                    or_(HealthInterval.end.is_(None), HealthInterval.end > start),
                    HealthInterval.state != HealthState.UNKNOWN,
                )
                .distinct()
            )
        )
    return found
