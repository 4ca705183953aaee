"""What a live pipeline writes besides segments: coverage gaps and motion events."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import (
    CoverageInterval,
    CoverageKind,
    Footage,
    FootageKind,
    MotionEvent,
)
from ingest.motion.base import grid_hex
from ingest.motion.draft import EventDraft
from ingest.pipeline.storage import write_thumbnail

log = logging.getLogger(__name__)

EVENT_SOURCE = "live"
REASON_LENGTH = 200


class GapTracker:
    """Keep one GAP coverage row per outage of a camera, written as soon as the outage starts.

    The row is extended at every failed reconnect, so an investigator sees the outage while it
    lasts, and closed when footage resumes (or the worker stops).
    """

    def __init__(self, *, camera_id: int, session_factory: sessionmaker[Session]) -> None:
        self.camera_id = camera_id
        self.session_factory = session_factory
        self._row_id: int | None = None
        self._first_reason = ""
        self.closed_count = 0

    @property
    def is_open(self) -> bool:
        """Return True while an outage is being recorded."""
        return self._row_id is not None

    def note(self, *, start: datetime, now: datetime, reason: str) -> None:
        """Open the outage at `start` (or extend the open one) up to `now`, with its reason."""
        with unit_of_work(self.session_factory) as session:
            row = None if self._row_id is None else session.get(CoverageInterval, self._row_id)
            if row is None:
                self._first_reason = reason
                row = CoverageInterval(
                    camera_id=self.camera_id,
                    kind=CoverageKind.GAP,
                    start=start,
                    end=max(start, now),
                    reason=reason[:REASON_LENGTH],
                )
                session.add(row)
                session.flush()
                self._row_id = row.id
                return
            row.end = max(row.end, now)
            if reason != self._first_reason:
                row.reason = f"{self._first_reason}; then {reason}"[:REASON_LENGTH]

    def close(self, *, end: datetime) -> None:
        """End the open outage at `end` (when footage resumed or the worker stopped)."""
        if self._row_id is None:
            return
        with unit_of_work(self.session_factory) as session:
            row = session.get(CoverageInterval, self._row_id)
            if row is not None:
                row.end = max(row.end, end)
                self.closed_count += 1
        self._row_id = None


NOT_RECORDED = "not recorded (worker not running or camera not active)"


def last_live_coverage_end(session: Session, *, camera_id: int) -> datetime | None:
    """Return where the camera's live timeline (segments and gaps, not ingested files) ends."""
    query = (
        select(func.max(CoverageInterval.end))
        .outerjoin(Footage, Footage.id == CoverageInterval.footage_id)
        .where(
            CoverageInterval.camera_id == camera_id,
            or_(CoverageInterval.kind == CoverageKind.GAP, Footage.kind == FootageKind.SEGMENT),
        )
    )
    end: datetime | None = session.scalar(query)
    return end


class EventWriter:
    """Store a camera's event drafts (upsert by deterministic id) with thumbnails and footage."""

    def __init__(
        self,
        *,
        camera_id: int,
        camera_code: str,
        session_factory: sessionmaker[Session],
        thumbnail_dir: Path,
    ) -> None:
        self.camera_id = camera_id
        self.camera_code = camera_code
        self.session_factory = session_factory
        self.thumbnail_dir = thumbnail_dir
        self.stored_count = 0

    def store(self, drafts: Iterable[EventDraft], *, now: datetime) -> None:
        """Write the drafts in one unit of work; a failure is logged, not raised."""
        drafts = list(drafts)
        if not drafts:
            return
        try:
            with unit_of_work(self.session_factory) as session:
                for draft in drafts:
                    self._upsert(session, draft, now)
            self.stored_count += len(drafts)
        except Exception:
            log.exception("camera %s: %d events not stored", self.camera_code, len(drafts))

    def _upsert(self, session: Session, draft: EventDraft, now: datetime) -> str:
        event_id = draft.event_id(self.camera_code)
        row = session.get(MotionEvent, event_id)
        if row is None:
            row = MotionEvent(id=event_id, camera_id=self.camera_id, start=draft.start)
            row.created_at, row.footage_ids, row.thumbnail_path = now, [], None
            session.add(row)
        elif draft.end < row.end:
            return event_id  # a shorter sighting of a stored event adds nothing
        row.end, row.peak_score, row.mean_score = draft.end, draft.peak_score, draft.mean_score
        row.area_fraction = draft.area_fraction
        row.box_x0, row.box_y0, row.box_x1, row.box_y1 = (
            draft.box.x0,
            draft.box.y0,
            draft.box.x1,
            draft.box.y1,
        )
        row.zones, row.grid_mask = sorted(draft.zones), grid_hex(draft.grid)
        row.track = [[p.offset_s, round(p.score, 4), grid_hex(p.grid)] for p in draft.track]
        row.source = EVENT_SOURCE
        if draft.thumbnail_jpeg:
            path = write_thumbnail(
                self.thumbnail_dir, self.camera_code, event_id, draft.thumbnail_jpeg
            )
            row.thumbnail_path = str(path)
        row.footage_ids = sorted({*row.footage_ids, *self._footage(session, draft)})
        return event_id

    def _footage(self, session: Session, draft: EventDraft) -> list[int]:
        # Segments closed already; the one still recording links itself when it closes.
        return list(
            session.scalars(
                select(Footage.id).where(
                    Footage.camera_id == self.camera_id,
                    Footage.start < draft.end,
                    Footage.start >= draft.start - timedelta(days=1),
                    Footage.end > draft.start,
                )
            )
        )
