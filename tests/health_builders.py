"""Builders of camera-health rows for read-side tests (states, checks, intervals, snapshots)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sqlalchemy.orm import Session

from camera_registry.camera.model import Camera
from ingest.events.model import CoverageInterval, CoverageKind
from ingest.health.model import CameraHealth, HealthCheck, HealthInterval
from ingest.health.vocabulary import CheckTier, HealthState, Reason, state_of
from tests.builders import make_camera


def make_watched_camera(session: Session, **overrides: Any) -> Camera:
    """Create an active camera (health listings and reports show installed cameras by default)."""
    overrides.setdefault("status", "active")
    return make_camera(session, **overrides)


def jpeg(color: tuple[int, int, int] = (40, 120, 200), size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a small real JPEG of one colour."""
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:] = color[::-1]  # OpenCV is BGR
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return bytes(data)


def make_health(
    session: Session,
    camera: Camera,
    *,
    state: HealthState,
    since: datetime,
    checked_at: datetime,
    reasons: list[Reason] | None = None,
    **overrides: Any,
) -> CameraHealth:
    """Store a camera's debounced state, last checked at `checked_at`."""
    row = CameraHealth(
        camera_id=camera.id,
        state=state,
        reasons=[r.value for r in reasons or []],
        since=since,
        last_reachability_at=checked_at,
        last_latency_ms=overrides.pop("last_latency_ms", 12.5),
        updated_at=checked_at,
        **overrides,
    )
    session.add(row)
    session.flush()
    return row


def make_check(
    session: Session,
    camera: Camera,
    *,
    at: datetime,
    tier: CheckTier = CheckTier.REACHABILITY,
    reasons: list[Reason] | None = None,
    snapshot: bytes | None = None,
    data_dir: Path | None = None,
    **overrides: Any,
) -> HealthCheck:
    """Store one check; with `snapshot` the JPEG is written under data_dir like a picture check."""
    reasons = reasons or []
    path = None
    if snapshot is not None:
        assert data_dir is not None, "a snapshot needs the data folder"
        relative = Path("health") / "snapshots" / camera.code / f"{at:%Y%m%dT%H%M%S%f}.jpg"
        (data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / relative).write_bytes(snapshot)
        path = relative.as_posix()
    row = HealthCheck(
        camera_id=camera.id,
        tier=tier,
        checked_at=at,
        state=state_of(reasons),
        reasons=[r.value for r in reasons],
        latency_ms=overrides.pop("latency_ms", 10.0),
        details=overrides.pop("details", {}),
        snapshot_path=overrides.pop("snapshot_path", path),
        **overrides,
    )
    session.add(row)
    session.flush()
    return row


def make_interval(
    session: Session,
    camera: Camera,
    state: HealthState,
    start: datetime,
    end: datetime | None,
    reasons: list[Reason] | None = None,
) -> HealthInterval:
    """Store a stretch of a camera's timeline (end None: still going)."""
    row = HealthInterval(
        camera_id=camera.id,
        state=state,
        reasons=[r.value for r in reasons or []],
        start=start,
        end=end,
    )
    session.add(row)
    session.flush()
    return row


def make_timeline(
    session: Session, camera: Camera, start: datetime, steps: Sequence[tuple[HealthState, float]]
) -> datetime:
    """Store back-to-back intervals of (state, minutes); the last one stays open if minutes < 0."""
    at = start
    for state, minutes in steps:
        end = None if minutes < 0 else at + timedelta(minutes=minutes)
        reasons = {
            HealthState.OFFLINE: [Reason.UNREACHABLE],
            HealthState.DEGRADED: [Reason.BLACK],
        }.get(state, [])
        make_interval(session, camera, state, at, end, reasons)
        if end is None:
            return at
        at = end
    return at


def make_recorded(session: Session, camera: Camera, start: datetime, end: datetime) -> None:
    """Store a stretch of recorded footage in the coverage intervals."""
    session.add(
        CoverageInterval(camera_id=camera.id, kind=CoverageKind.RECORDED, start=start, end=end)
    )
    session.flush()
