"""Builders of footage, coverage and motion-event rows for event-search tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from camera_registry.camera.model import Camera
from ingest.events.model import (
    CoverageInterval,
    CoverageKind,
    Footage,
    FootageKind,
    FootageStorage,
    MotionEvent,
)
from ingest.motion.base import grid_hex

_ids = itertools.count(1)
# 21:00 in Vũng Tàu (UTC+7) on an ordinary day.
T0 = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """Return T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


def make_event(
    session: Session,
    camera: Camera,
    *,
    start: datetime,
    seconds: float = 10.0,
    score: float = 0.8,
    zones: list[str] | None = None,
    cells: list[int] | None = None,
    **overrides: Any,
) -> MotionEvent:
    """Insert one motion event of a camera."""
    grid = sum(1 << c for c in (cells if cells is not None else [0]))
    n = next(_ids)
    data: dict[str, Any] = {
        "id": f"ev-{camera.code}-{n:06d}",
        "camera_id": camera.id,
        "start": start,
        "end": start + timedelta(seconds=seconds),
        "peak_score": score,
        "mean_score": score / 2,
        "area_fraction": 0.05,
        "box_x0": 0.1,
        "box_y0": 0.1,
        "box_x1": 0.3,
        "box_y1": 0.4,
        "zones": zones or [],
        "grid_mask": grid_hex(grid),
        "track": [[0, score, grid_hex(grid)]],
        "thumbnail_path": None,
        "footage_ids": [],
        "source": "file",
        "created_at": T0,
    }
    data.update(overrides)
    row = MotionEvent(**data)
    session.add(row)
    session.flush()
    return row


def make_coverage(
    session: Session,
    camera: Camera,
    *,
    start: datetime,
    end: datetime,
    kind: CoverageKind = CoverageKind.RECORDED,
    reason: str | None = None,
    footage: Footage | None = None,
) -> CoverageInterval:
    """Insert one coverage interval of a camera."""
    row = CoverageInterval(
        camera_id=camera.id,
        kind=kind,
        start=start,
        end=end,
        reason=reason,
        footage_id=footage.id if footage else None,
    )
    session.add(row)
    session.flush()
    return row


def make_footage(
    session: Session,
    camera: Camera,
    *,
    path: str,
    start: datetime,
    end: datetime,
    codec: str = "h264",
) -> Footage:
    """Insert one footage file of a camera."""
    n = next(_ids)
    row = Footage(
        camera_id=camera.id,
        kind=FootageKind.FILE,
        storage=FootageStorage.REFERENCED,
        path=path,
        original_name=None,
        sha256=f"{n:064x}",
        size_bytes=1,
        start=start,
        end=end,
        clock_offset_s=0.0,
        container="mp4",
        codec=codec,
        width=64,
        height=48,
        fps=10.0,
        case_number=None,
        created_at=T0,
    )
    session.add(row)
    session.flush()
    return row
