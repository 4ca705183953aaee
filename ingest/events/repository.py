"""SQL of the event index: events, coverage and footage by camera ids and time.

Every query leads with `camera_id IN (...)` and a range on `start`, so it walks the
(camera_id, start) indexes. Events are bounded in length (the segmenter splits long activity
at `MAX_EVENT_SECONDS`, ingest/events/model.py), so an event overlapping the window starts no
earlier than the window start minus that bound:
`start >= window_start - max AND start < window_end AND end > window_start` is exact and still a
narrow index range.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import Session

from camera_registry.db.chunks import chunked
from ingest.events.model import CoverageInterval, Footage, MotionEvent

# What a search shows; plain rows without the per-second track load several times faster.
EVENT_COLUMNS = (
    MotionEvent.id,
    MotionEvent.camera_id,
    MotionEvent.start,
    MotionEvent.end,
    MotionEvent.peak_score,
    MotionEvent.mean_score,
    MotionEvent.area_fraction,
    MotionEvent.box_x0,
    MotionEvent.box_y0,
    MotionEvent.box_x1,
    MotionEvent.box_y1,
    MotionEvent.zones,
    MotionEvent.grid_mask,
    MotionEvent.thumbnail_path,
)


class EventRepository:
    """Reads the motion-event index."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def events_in_window(
        self,
        *,
        camera_ids: Sequence[int],
        start: datetime,
        end: datetime,
        max_event: timedelta,
        min_score: float | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int,
    ) -> list[Row[Any]]:
        """Return events of these cameras overlapping [start, end), by (start, id), after a key."""
        if not camera_ids:
            return []
        conditions = [
            MotionEvent.start >= start - max_event,
            MotionEvent.start < end,
            MotionEvent.end > start,
        ]
        if min_score is not None:
            conditions.append(MotionEvent.peak_score >= min_score)
        if after is not None:
            at, event_id = after
            conditions.append(
                or_(
                    MotionEvent.start > at,
                    and_(MotionEvent.start == at, MotionEvent.id > event_id),
                )
            )
        rows: list[Row[Any]] = []
        for chunk in _chunks(camera_ids):
            stmt = (
                select(*EVENT_COLUMNS)
                .where(MotionEvent.camera_id.in_(chunk), *conditions)
                .order_by(MotionEvent.start, MotionEvent.id)
                .limit(limit)
            )
            # Core execution: plain rows need none of the ORM's result machinery.
            rows.extend(self.session.connection().execute(stmt))
        rows.sort(key=lambda e: (e.start, e.id))
        return rows[:limit]

    def event(self, event_id: str) -> MotionEvent | None:
        """Return one event by id."""
        return self.session.get(MotionEvent, event_id)

    def coverage_in_window(
        self, *, camera_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[CoverageInterval]:
        """Return coverage intervals of these cameras overlapping [start, end)."""
        rows: list[CoverageInterval] = []
        for chunk in _chunks(camera_ids):
            stmt = (
                select(CoverageInterval)
                .where(
                    CoverageInterval.camera_id.in_(chunk),
                    CoverageInterval.start < end,
                    CoverageInterval.end > start,
                )
                .order_by(CoverageInterval.camera_id, CoverageInterval.start)
            )
            rows.extend(self.session.scalars(stmt))
        return rows

    def footage_in_window(self, *, camera_id: int, start: datetime, end: datetime) -> list[Footage]:
        """Return one camera's footage files overlapping [start, end), by start."""
        stmt = (
            select(Footage)
            .where(Footage.camera_id == camera_id, Footage.start < end, Footage.end > start)
            .order_by(Footage.start, Footage.id)
        )
        return list(self.session.scalars(stmt))


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return list(chunked(unique))
