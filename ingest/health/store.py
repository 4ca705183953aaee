"""Store fresh check results: history rows, snapshots, debounced state, intervals, alerts.

`record_results` works inside the caller's unit of work, so a batch of results, the state they
lead to, the intervals and the alerts of the changes are one transaction. Snapshot files are
written before the commit and removed again when the transaction rolls back.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from camera_registry.camera.model import Camera
from config.settings import HealthSettings
from ingest.health.debounce import Debounced, apply_result
from ingest.health.model import CameraHealth, HealthCheck, HealthInterval
from ingest.health.outbox import enqueue_state_change
from ingest.health.results import CheckResult, StateChange
from ingest.health.schedule import Claim, ensure_health_rows, release, reschedule
from ingest.health.vocabulary import CheckTier, HealthState, Reason, ordered

log = logging.getLogger(__name__)

SNAPSHOT_DIR = Path("health") / "snapshots"
_FILES_KEY = "camreg.health.new_files"


@dataclass(frozen=True)
class Stored:
    """What became of one result: its history row and the camera's debounced state after it."""

    result: CheckResult
    check_id: int | None  # None: discarded (the camera was claimed by a newer checker)
    stored_state: HealthState | None
    stored_reasons: tuple[Reason, ...] = ()
    change: StateChange | None = None


def _debounced(row: CameraHealth) -> Debounced:
    return Debounced(
        state=row.state,
        reasons=tuple(Reason(r) for r in row.reasons),
        since=row.since,
        reach_reasons=tuple(Reason(r) for r in row.reach_reasons),
        pending_reasons=None
        if row.pending_reasons is None
        else tuple(Reason(r) for r in row.pending_reasons),
        pending_count=row.pending_count,
        picture_reasons=tuple(Reason(r) for r in row.picture_reasons),
    )


def _write_back(row: CameraHealth, record: Debounced) -> None:
    row.state = record.state
    row.reasons = [r.value for r in record.reasons]
    row.since = record.since
    row.reach_reasons = [r.value for r in record.reach_reasons]
    row.pending_reasons = (
        None if record.pending_reasons is None else [r.value for r in record.pending_reasons]
    )
    row.pending_count = record.pending_count
    row.picture_reasons = [r.value for r in record.picture_reasons]


def _cleanup_on_rollback(session: Session) -> list[Path]:
    """Return the session's list of new files, removed if its transaction rolls back."""
    files: list[Path] | None = session.info.get(_FILES_KEY)
    if files is not None:
        return files
    files = []
    session.info[_FILES_KEY] = files

    def removed(_session: Session) -> None:
        for path in files:
            path.unlink(missing_ok=True)
        files.clear()

    def kept(_session: Session) -> None:
        files.clear()

    event.listen(session, "after_rollback", removed)
    event.listen(session, "after_commit", kept)
    return files


def _write_snapshot(session: Session, result: CheckResult, data_dir: Path) -> str | None:
    if not result.snapshot_jpeg:
        return None
    at = result.checked_at
    name = f"{at:%H%M%S}-{result.tier.value}-{uuid.uuid4().hex[:8]}.jpg"
    relative = SNAPSHOT_DIR / result.camera_code / f"{at:%Y}" / f"{at:%m}" / f"{at:%d}" / name
    path = data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    files = _cleanup_on_rollback(session)
    path.write_bytes(result.snapshot_jpeg)
    files.append(path)
    return relative.as_posix()


def _open_interval(session: Session, camera_id: int) -> HealthInterval | None:
    stmt = (
        select(HealthInterval)
        .where(HealthInterval.camera_id == camera_id, HealthInterval.end.is_(None))
        .order_by(HealthInterval.start.desc())
    )
    return session.scalars(stmt).first()


def _start_interval(
    session: Session, camera_id: int, state: HealthState, reasons: Sequence[Reason], at: datetime
) -> None:
    stmt = select(HealthInterval).where(
        HealthInterval.camera_id == camera_id, HealthInterval.end.is_(None)
    )
    for interval in session.scalars(stmt):
        interval.end = max(at, interval.start)
    session.add(
        HealthInterval(
            camera_id=camera_id, state=state, reasons=[r.value for r in reasons], start=at
        )
    )
    session.flush()


def _widen_reasons(session: Session, camera_id: int, reasons: Sequence[Reason]) -> None:
    """Add reasons seen later in the same state to the open interval (its reasons are all seen)."""
    interval = _open_interval(session, camera_id)
    if interval is None:
        return
    merged = [r.value for r in ordered([*map(Reason, interval.reasons), *reasons])]
    if merged != interval.reasons:
        interval.reasons = merged


def _mark_unknown_after_silence(
    session: Session, row: CameraHealth, at: datetime, settings: HealthSettings
) -> None:
    """After too many missed periods the old state is stale: unknown from then on.

    A state holds for `unknown_after_missed` reachability periods after the last check, the
    same rule the read side applies to an open interval (ingest/health/timeline.py).
    """
    last = max((t for t in (row.last_reachability_at, row.last_picture_at) if t), default=None)
    stale_after = (
        timedelta(seconds=settings.reachability_interval_s) * settings.unknown_after_missed
    )
    if last is None or at - last <= stale_after:
        return
    start = last + stale_after
    if row.state is not HealthState.UNKNOWN:
        _start_interval(session, row.camera_id, HealthState.UNKNOWN, (), start)
        row.since = start
    # The verdict must settle again; what the last picture check found still holds.
    _write_back(row, Debounced.unknown(row.since, _debounced(row).picture_reasons))


def _note_tier(row: CameraHealth, result: CheckResult, worker: str, now: datetime) -> None:
    if result.tier is CheckTier.PICTURE:
        row.last_picture_at = max(result.checked_at, row.last_picture_at or result.checked_at)
        return
    row.last_reachability_at = max(result.checked_at, row.last_reachability_at or result.checked_at)
    if result.latency_ms is not None:
        row.last_latency_ms = result.latency_ms
    if result.tier is CheckTier.LIVE:
        row.live_owner = worker
        valid_s = float(result.details.get("valid_s", 90.0))
        row.live_until = now + timedelta(seconds=valid_s)
        frame_at = result.details.get("last_frame_at")
        if frame_at:
            row.last_frame_at = datetime.fromisoformat(frame_at)
        fps = result.details.get("fps")
        row.live_fps = float(fps) if fps is not None else None


def _incident(row: CameraHealth, record: Debounced) -> None:
    if record.state is HealthState.ONLINE:
        row.incident_started_at = None
        row.long_alert_sent = False
    elif record.state is not HealthState.UNKNOWN and row.incident_started_at is None:
        row.incident_started_at = record.since
        row.long_alert_sent = False


def _lock_rows(
    session: Session, camera_ids: Sequence[int], settings: HealthSettings, now: datetime
) -> dict[int, CameraHealth]:
    def load() -> dict[int, CameraHealth]:
        stmt = (
            select(CameraHealth)
            .where(CameraHealth.camera_id.in_(camera_ids))
            .order_by(CameraHealth.camera_id)  # one lock order: no deadlock between writers
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.camera_id: row for row in session.scalars(stmt)}

    rows = load()
    if len(rows) < len(camera_ids):
        ensure_health_rows(session, settings=settings, now=now, camera_ids=camera_ids)
        rows = load()
    return rows


def record_results(
    session: Session,
    results: Sequence[CheckResult],
    *,
    settings: HealthSettings,
    worker: str,
    data_dir: Path,
    now: datetime,
    claims: Mapping[int, Claim] | None = None,
) -> list[Stored]:
    """Store results, debounce the cameras' states, keep intervals and enqueue alerts.

    With `claims` (camera id -> the checker's lease), a camera's results are stored only while
    its fence is still the claim's (otherwise a newer checker owns it and they are discarded), and
    storing them sets the tiers' next due times and gives the camera back. Without `claims` (live
    reports) results are stored as they come.
    """
    by_camera: dict[int, list[CheckResult]] = defaultdict(list)
    for result in sorted(results, key=lambda r: (r.camera_id, r.checked_at)):
        by_camera[result.camera_id].append(result)
    rows = _lock_rows(session, sorted(by_camera), settings, now)
    cameras = {
        c.id: c for c in session.scalars(select(Camera).where(Camera.id.in_(sorted(by_camera))))
    }
    stored: list[Stored] = []
    for camera_id, camera_results in by_camera.items():
        row = rows.get(camera_id)
        claim = claims.get(camera_id) if claims is not None else None
        if row is None or (claims is not None and (claim is None or claim.fence != row.fence)):
            log.warning(
                "health: %d result(s) of camera %s discarded (claimed by a newer checker)",
                len(camera_results),
                camera_results[0].camera_code,
            )
            stored += [Stored(r, None, None) for r in camera_results]
            continue
        camera = cameras[camera_id]
        for result in camera_results:
            stored.append(
                _record_one(session, row, camera, result, settings, worker, data_dir, now)
            )
        if claim is not None:
            for tier in {r.tier for r in camera_results} - {CheckTier.LIVE}:
                reschedule(row, tier=tier, settings=settings, now=now)
            release(row, claim)
        row.updated_at = now
    session.flush()
    return stored


def _record_one(
    session: Session,
    row: CameraHealth,
    camera: Camera,
    result: CheckResult,
    settings: HealthSettings,
    worker: str,
    data_dir: Path,
    now: datetime,
) -> Stored:
    check = HealthCheck(
        camera_id=row.camera_id,
        tier=result.tier,
        checked_at=result.checked_at,
        state=result.state,
        reasons=[r.value for r in result.reason_list],
        latency_ms=result.latency_ms,
        details=result.details,
        message=(result.message or "")[:300] or None,
        snapshot_path=_write_snapshot(session, result, data_dir),
        worker=worker,
    )
    session.add(check)
    _mark_unknown_after_silence(session, row, result.checked_at, settings)
    outcome = apply_result(
        _debounced(row),
        result,
        failures_to_offline=settings.failures_to_offline,
        successes_to_online=settings.successes_to_online,
    )
    record = outcome.record
    _write_back(row, record)
    _note_tier(row, result, worker, now)
    change = None
    if outcome.changed:
        _start_interval(session, row.camera_id, record.state, record.reasons, record.since)
        ended = row.incident_started_at
        _incident(row, record)
        # A recovery carries the incident it ends, so alerts can say how long it lasted.
        incident = ended if record.state is HealthState.ONLINE else row.incident_started_at
        change = StateChange(
            camera_id=row.camera_id,
            camera_code=camera.code,
            ward_code=camera.ward_code,
            previous=outcome.previous,
            current=record.state,
            reasons=record.reasons,
            at=record.since,
            incident_started_at=incident,
        )
        enqueue_state_change(session, change, settings, now)
    elif record.reasons:
        _widen_reasons(session, row.camera_id, record.reasons)
    session.flush()
    return Stored(result, check.id, record.state, record.reasons, change)
