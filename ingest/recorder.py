"""Record a live stream as MP4 segments (packets copied, never re-encoded) and index them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import (
    CoverageInterval,
    CoverageKind,
    Footage,
    FootageKind,
    FootageStorage,
    MotionEvent,
)
from ingest.frames import SourceInfo
from ingest.pipeline.storage import hash_file
from ingest.source.rtsp_source import StampedPacket, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedSegment:
    """A closed segment: its Footage row id, file, span, hash and size."""

    footage_id: int
    path: Path
    start: datetime
    end: datetime
    sha256: str
    size_bytes: int


def segment_path(recordings_dir: Path, camera_code: str, start: datetime) -> Path:
    """Return where a segment starting at `start` is kept (UTC date folders, UTC file name)."""
    at = start.astimezone(UTC)
    name = f"{at:%Y%m%dT%H%M%S}.{at.microsecond // 1000:03d}Z.mp4"
    return recordings_dir / camera_code / f"{at:%Y}" / f"{at:%m}" / f"{at:%d}" / name


@dataclass
class _Open:
    container: Any
    stream: Any
    partial: Path
    final: Path
    start: datetime
    end: datetime
    first_dts: int
    last_dts: int


class SegmentRecorder:
    """Remux one camera's main-stream packets into ~segment_seconds MP4 files cut at keyframes.

    A segment is written under a temporary name and appears under its final name only when it
    is complete; then its Footage row (kind segment, storage recorded) and RECORDED coverage are
    written in one unit of work.
    """

    def __init__(
        self,
        *,
        camera_id: int,
        camera_code: str,
        recordings_dir: Path,
        session_factory: sessionmaker[Session],
        segment_seconds: float = 60.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.camera_id = camera_id
        self.camera_code = camera_code
        self.recordings_dir = recordings_dir
        self.session_factory = session_factory
        self.segment_seconds = segment_seconds
        self._clock = clock
        self._template: Any = None
        self._info: SourceInfo | None = None
        self._open: _Open | None = None
        # Counters, not lists: a worker runs for months.
        self.segment_count = 0
        self.last_segment: RecordedSegment | None = None

    def begin(self, template: Any, info: SourceInfo) -> None:
        """Take the input stream of a new connection as the template of the next segments."""
        self.close()
        self._template = template
        self._info = info

    def write(self, item: StampedPacket) -> bool:
        """Add a packet (its data is consumed); return True when it opened a new segment."""
        packet = item.packet
        current = self._open
        if current is not None and packet.dts <= current.last_dts:
            # The sender restarted its timestamps: MP4 cannot go back in time, start afresh.
            self.close()
            current = None
        long_enough = current is not None and (
            (item.at - current.start).total_seconds() >= self.segment_seconds
        )
        if long_enough and packet.is_keyframe:
            self.close()
            current = None
        opened = False
        if current is None:
            if not packet.is_keyframe or self._template is None:
                return False  # a segment starts at a keyframe so it plays on its own
            current = self._start(item)
            opened = True
        self._mux(current, item)
        return opened

    def close(self) -> RecordedSegment | None:
        """Finish the open segment, if any: close the file, hash it, index it; return it."""
        current, self._open = self._open, None
        if current is None:
            return None
        try:
            current.container.close()
            sha256, size = hash_file(current.partial)
            # Only a complete file gets the final name.
            current.partial.replace(current.final)
        except Exception:
            log.exception("camera %s: segment %s dropped", self.camera_code, current.final.name)
            current.partial.unlink(missing_ok=True)
            return None
        try:
            return self._index(current, sha256, size)
        except Exception:
            # The file is complete evidence: keep it (`camreg ingest file` can index it later).
            log.exception(
                "camera %s: segment %s kept, not indexed", self.camera_code, current.final
            )
            return None

    def remove_partials(self) -> int:
        """Delete temporary files a crashed worker left in this camera's folder; return how many."""
        folder = self.recordings_dir / self.camera_code
        count = 0
        if folder.is_dir():
            for partial in folder.rglob(".*.mp4.part"):
                partial.unlink(missing_ok=True)
                count += 1
        return count

    def _start(self, item: StampedPacket) -> _Open:
        # Absolute, so clips can be cut from the footage whatever the reader's working folder.
        final = segment_path(self.recordings_dir.resolve(), self.camera_code, item.at)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(f".{final.name}.part")
        container = av.open(str(partial), "w", format="mp4")
        # The wall-clock start in the file itself: players show it, and two segments with the
        # same pictures (a looping test feed, a frozen camera) still differ, so hashes stay unique.
        stamp = item.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        container.metadata["creation_time"] = stamp
        container.metadata["comment"] = f"camreg camera {self.camera_code} from {stamp}"
        stream = container.add_stream_from_template(self._template)
        dts = int(item.packet.dts)
        self._open = _Open(container, stream, partial, final, item.at, item.at, dts, dts - 1)
        return self._open

    def _mux(self, current: _Open, item: StampedPacket) -> None:
        packet = item.packet
        duration = self._duration_s(packet)
        dts = int(packet.dts)
        packet.dts = dts - current.first_dts
        packet.pts = int(packet.pts) - current.first_dts
        packet.stream = current.stream
        current.container.mux(packet)
        current.last_dts = dts
        current.end = max(current.end, item.at + timedelta(seconds=duration))

    def _duration_s(self, packet: Any) -> float:
        if packet.duration and packet.time_base is not None:
            return float(packet.duration * packet.time_base)
        fps = self._info.fps if self._info is not None else 0.0
        return 1.0 / fps if fps > 0 else 0.0

    def _index(self, current: _Open, sha256: str, size: int) -> RecordedSegment:
        info = self._info
        with unit_of_work(self.session_factory) as session:
            footage = Footage(
                camera_id=self.camera_id,
                kind=FootageKind.SEGMENT,
                storage=FootageStorage.RECORDED,
                path=str(current.final),
                original_name=None,
                sha256=sha256,
                size_bytes=size,
                start=current.start,
                end=current.end,
                clock_offset_s=0.0,
                container="mp4",
                codec=info.codec[:32] if info else None,
                width=info.width if info else None,
                height=info.height if info else None,
                fps=info.fps if info else None,
                created_at=self._clock(),
            )
            session.add(footage)
            session.flush()
            session.add(
                CoverageInterval(
                    camera_id=self.camera_id,
                    kind=CoverageKind.RECORDED,
                    start=current.start,
                    end=current.end,
                    footage_id=footage.id,
                )
            )
            link_events(session, camera_id=self.camera_id, footage=footage)
        segment = RecordedSegment(
            footage.id, current.final, current.start, current.end, sha256, size
        )
        self.segment_count += 1
        self.last_segment = segment
        return segment


def link_events(session: Session, *, camera_id: int, footage: Footage) -> None:
    """Add the footage to the events of its camera that overlap it (stored while it recorded)."""
    rows = session.scalars(
        select(MotionEvent).where(
            MotionEvent.camera_id == camera_id,
            MotionEvent.start < footage.end,
            MotionEvent.start >= footage.start - timedelta(days=1),
            MotionEvent.end > footage.start,
        )
    )
    for row in rows:
        if footage.id not in row.footage_ids:
            row.footage_ids = [*row.footage_ids, footage.id]
