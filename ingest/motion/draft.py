"""An event found by the segmenter, before another part stores it as a MotionEvent row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest.motion.base import Box


@dataclass(frozen=True)
class TrackPoint:
    """One second of an event: seconds from the event's start, peak score, cells that moved."""

    offset_s: int
    score: float
    grid: int


@dataclass(frozen=True)
class EventDraft:
    """A stretch of activity with the fields of the MotionEvent table (camera and id aside)."""

    start: datetime
    end: datetime
    peak_score: float
    mean_score: float
    area_fraction: float  # the largest share of the frame that moved at once
    box: Box
    zones: frozenset[str]
    grid: int  # union of the 16x9 cells that moved (row-major bitmask)
    track: tuple[TrackPoint, ...] = field(default_factory=tuple)
    thumbnail_jpeg: bytes = b""

    @property
    def duration_s(self) -> float:
        """Return the event's length in seconds."""
        return (self.end - self.start).total_seconds()

    def event_id(self, camera_code: str) -> str:
        """Return the deterministic id of this event for a camera."""
        return event_id(camera_code, self.start)


def event_id(camera_code: str, start: datetime) -> str:
    """Return the id that follows from camera code and start time (millisecond precision, UTC)."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    at = start.astimezone(UTC)
    return f"{camera_code}@{at:%Y%m%dT%H%M%S}.{at.microsecond // 1000:03d}Z"
