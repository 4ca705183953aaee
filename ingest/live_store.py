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
)
from ingest.motion.draft import EventDraft
from ingest.pipeline.storage import write_thumbnail
from ingest.pipeline.store import upsert_event

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
        thumbnail = None
        if draft.thumbnail_jpeg:
            event_id = draft.event_id(self.camera_code)
            thumbnail = write_thumbnail(
                self.thumbnail_dir, self.camera_code, event_id, draft.thumbnail_jpeg
            )
        return upsert_event(
            session,
            camera_id=self.camera_id,
            camera_code=self.camera_code,
            draft=draft,
            footage_ids=self._footage(session, draft),
            thumbnail=thumbnail,
            source=EVENT_SOURCE,
            now=now,
        )

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
