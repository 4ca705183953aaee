"""Write an indexed file: footage, coverage and events, with change log and audit entry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.audit.service import append_audit
from camera_registry.camera.repository import CameraRepository
from camera_registry.changelog.service import record_change
from camera_registry.errors import CameraNotFound
from ingest.events.model import (
    CoverageInterval,
    CoverageKind,
    Footage,
    FootageKind,
    MotionEvent,
)
from ingest.motion.base import grid_hex
from ingest.motion.draft import EventDraft
from ingest.pipeline.analysis import Analysed
from ingest.pipeline.file_job import FileJob
from ingest.pipeline.storage import StoredFile

EVENT_SOURCE = "file"


def footage_by_hash(session: Session, sha256: str) -> Footage | None:
    """Return the footage with this content hash, if it was indexed already."""
    return session.scalars(select(Footage).where(Footage.sha256 == sha256)).first()


def camera_id(session: Session, code: str) -> int:
    """Return the id of the camera with this code; raise CameraNotFound otherwise."""
    camera = CameraRepository(session).get(code)
    if camera is None:
        raise CameraNotFound(
            f"no camera with code {code!r}; check `camreg cameras list` (codes are case-sensitive)"
        )
    return camera.id


def store_indexed_file(
    session: Session,
    *,
    job: FileJob,
    stored: StoredFile,
    analysed: Analysed,
    thumbnails: dict[str, Path],
    now: datetime,
) -> Footage:
    """Insert footage, coverage and events (upserted by id) and log the write, in one session."""
    cam_id = camera_id(session, job.camera)
    footage = _footage(job, stored, analysed, cam_id, now)
    session.add(footage)
    session.flush()
    session.add(
        CoverageInterval(
            camera_id=cam_id,
            kind=CoverageKind.RECORDED,
            start=footage.start,
            end=footage.end,
            footage_id=footage.id,
        )
    )
    event_ids = [
        upsert_event(
            session,
            camera_id=cam_id,
            camera_code=job.camera,
            draft=draft,
            footage_ids=[footage.id],
            thumbnail=thumbnails.get(draft.event_id(job.camera)),
            source=EVENT_SOURCE,
            now=now,
        )
        for draft in analysed.drafts
    ]
    _log(session, job, footage, event_ids)
    session.flush()
    return footage


def _footage(
    job: FileJob, stored: StoredFile, analysed: Analysed, cam_id: int, now: datetime
) -> Footage:
    info = analysed.info
    return Footage(
        camera_id=cam_id,
        kind=FootageKind.FILE,
        storage=stored.storage,
        path=str(stored.path),
        original_name=job.original_name[:500],
        sha256=job.sha256,
        size_bytes=job.size_bytes,
        start=job.start,
        end=job.start + timedelta(seconds=analysed.span_s),
        clock_offset_s=job.clock_offset_s,
        container=(info.container or "")[:32] or None,
        codec=info.codec[:32],
        width=info.width,
        height=info.height,
        fps=info.fps,
        case_number=job.case_number,
        created_at=now,
    )


def upsert_event(
    session: Session,
    *,
    camera_id: int,
    camera_code: str,
    draft: EventDraft,
    footage_ids: Iterable[int],
    thumbnail: Path | None,
    source: str,
    now: datetime,
) -> str:
    """Insert the event, or merge it into the stored one with the same id; return the id.

    Files and live streams both store events here, so they are the same thing: the same
    stretch seen again (re-ingest, restart, a second file) merges instead of duplicating.
    """
    event_id = draft.event_id(camera_code)
    row = session.get(MotionEvent, event_id)
    if row is None:
        row = MotionEvent(id=event_id, camera_id=camera_id, start=draft.start, created_at=now)
        row.footage_ids = []
        row.thumbnail_path = None
        session.add(row)
    # The longer sighting wins; a shorter one only adds the footage that shows it.
    longer = row.end is None or draft.end >= row.end
    if longer:
        _fill(row, draft, source)
    if thumbnail is not None and (row.thumbnail_path is None or longer):
        row.thumbnail_path = str(thumbnail)
    row.footage_ids = sorted({*row.footage_ids, *footage_ids})
    return event_id


def _fill(row: MotionEvent, draft: EventDraft, source: str) -> None:
    row.end = draft.end
    row.peak_score = draft.peak_score
    row.mean_score = draft.mean_score
    row.area_fraction = draft.area_fraction
    row.box_x0, row.box_y0 = draft.box.x0, draft.box.y0
    row.box_x1, row.box_y1 = draft.box.x1, draft.box.y1
    row.zones = sorted(draft.zones)
    row.grid_mask = grid_hex(draft.grid)
    row.track = [[p.offset_s, round(p.score, 4), grid_hex(p.grid)] for p in draft.track]
    row.source = source


def _log(session: Session, job: FileJob, footage: Footage, event_ids: list[str]) -> None:
    actor = job.acting()
    after: dict[str, Any] = {
        "id": footage.id,
        "camera": job.camera,
        "file": job.original_name,
        "path": footage.path,
        "storage": str(footage.storage),
        "sha256": job.sha256,
        "size_bytes": job.size_bytes,
        "start": footage.start.isoformat(),
        "end": footage.end.isoformat(),
        "clock_offset_s": job.clock_offset_s,
        "start_source": job.start_source,
        "case_number": job.case_number,
        "events": len(event_ids),
    }
    record_change(
        session,
        actor=actor,
        entity="footage",
        key=job.sha256,
        action="ingest",
        before=None,
        after=after,
    )
    append_audit(
        session,
        actor=actor,
        action="footage.ingest",
        target=job.camera,
        details={**after, "event_ids": event_ids[:200]},
    )
