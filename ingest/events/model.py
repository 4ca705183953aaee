"""Tables of the motion-event index: footage, coverage intervals, ingest jobs, motion events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column

from camera_registry.db.base import Base
from camera_registry.db.types import UtcDateTime


def _enum(enum: type[StrEnum], name: str) -> SqlEnum:
    return SqlEnum(
        enum,
        name=name,
        native_enum=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class FootageKind(StrEnum):
    """Where footage came from."""

    FILE = "file"  # a recorded file collected from an owner's recorder
    SEGMENT = "segment"  # a segment recorded by a worker from a live stream


class FootageStorage(StrEnum):
    """How the footage file is kept."""

    COPIED = "copied"  # copied into the data folder
    REFERENCED = "referenced"  # left where it was, read-only
    RECORDED = "recorded"  # written by a worker


class Footage(Base):
    """One stored video file with its wall-clock span and hash."""

    __tablename__ = "footage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    kind: Mapped[FootageKind] = mapped_column(_enum(FootageKind, "footage_kind"))
    storage: Mapped[FootageStorage] = mapped_column(_enum(FootageStorage, "footage_storage"))
    path: Mapped[str] = mapped_column(String(1000))
    original_name: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    # Seconds added to the recorder's clock to get true time (a recorder whose clock was wrong).
    clock_offset_s: Mapped[float] = mapped_column(Float, default=0.0)
    container: Mapped[str | None] = mapped_column(String(32))
    codec: Mapped[str | None] = mapped_column(String(32))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    case_number: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_footage_camera_start", "camera_id", "start"),)


class CoverageKind(StrEnum):
    """Whether an interval of a camera's timeline has footage."""

    RECORDED = "recorded"
    GAP = "gap"


class CoverageInterval(Base):
    """A stretch of a camera's timeline with footage, or a gap without any."""

    __tablename__ = "coverage_intervals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    kind: Mapped[CoverageKind] = mapped_column(_enum(CoverageKind, "coverage_kind"))
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    footage_id: Mapped[int | None] = mapped_column(ForeignKey("footage.id"))
    reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_coverage_camera_start", "camera_id", "start"),
        # Lets a window query bound intervals from both sides (long intervals exist).
        Index("ix_coverage_camera_end", "camera_id", "end"),
    )


class JobState(StrEnum):
    """Life of a queued job."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class IngestJob(Base):
    """A unit of ingest work any worker may take (lease with a fencing token)."""

    __tablename__ = "ingest_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[JobState] = mapped_column(_enum(JobState, "job_state"), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Grows with every lease, so a worker whose lease was taken over cannot write stale results.
    fence: Mapped[int] = mapped_column(Integer, default=0)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_ingest_jobs_state_id", "state", "id"),)


# No stored event is longer: the segmenter splits longer activity (its setting is capped here),
# and searches look back this far before a window to find events already running at its start.
MAX_EVENT_SECONDS = 600


class MotionEvent(Base):
    """A stretch of activity in one camera's footage; its id follows from camera and start."""

    __tablename__ = "motion_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    peak_score: Mapped[float] = mapped_column(Float)
    mean_score: Mapped[float] = mapped_column(Float)
    area_fraction: Mapped[float] = mapped_column(Float)
    # Union box of the activity, normalised to the frame (0..1).
    box_x0: Mapped[float] = mapped_column(Float)
    box_y0: Mapped[float] = mapped_column(Float)
    box_x1: Mapped[float] = mapped_column(Float)
    box_y1: Mapped[float] = mapped_column(Float)
    zones: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Union of the cells of the activity grid (16x9, row-major) that ever moved, as hex.
    grid_mask: Mapped[str] = mapped_column(String(64))
    # Per-second activity: [[seconds from start, score, grid hex], ...].
    track: Mapped[list[Any]] = mapped_column(JSON, default=list)
    thumbnail_path: Mapped[str | None] = mapped_column(String(1000))
    footage_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_motion_events_camera_start", "camera_id", "start"),
        Index("ix_motion_events_start", "start"),
    )
