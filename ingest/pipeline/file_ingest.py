"""Index one queued recorded file: keep the original, decode, detect, store everything at once.

Nothing of a file becomes visible before it is complete: the original is copied under a temporary
name and renamed when checked, thumbnails are named by their (deterministic) event id, and the
footage row, its coverage, its events, the logs and the job's completion are committed in one
unit of work, fenced by the job's lease.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from camera_registry.clock import utcnow
from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import FootageStorage
from ingest.jobs import queue
from ingest.jobs.queue import Lease
from ingest.pipeline.analysis import Analysed, Analysis, Progress, analyse_file, check_complete
from ingest.pipeline.errors import IngestRefused
from ingest.pipeline.file_job import FileJob, FileResult
from ingest.pipeline.storage import StoredFile, keep_original, write_thumbnail
from ingest.pipeline.store import camera_id, footage_by_hash, store_indexed_file
from ingest.runtime import IngestRuntime


@dataclass(frozen=True)
class IngestContext:
    """What indexing a job needs besides the job itself."""

    runtime: IngestRuntime
    analysis: Analysis
    lease: Lease | None = None
    progress: Progress | None = None


def ingest_file(job: FileJob, ctx: IngestContext) -> FileResult:
    """Index one file and complete its job in the same transaction; skip a known hash."""
    began = time.monotonic()
    duplicate = _duplicate(job, ctx)
    if duplicate is not None:
        return duplicate
    settings = ctx.runtime.settings.ingest
    stored = keep_original(
        Path(job.path),
        sha256=job.sha256,
        camera_code=job.camera,
        mode=job.keep_originals,
        footage_dir=ctx.runtime.footage_dir,
    )
    try:
        analysed = analyse_file(
            stored.path, job.start, analysis=ctx.analysis, progress=ctx.progress
        )
        check_complete(
            Path(job.original_name), analysed, tolerance_s=settings.truncation_tolerance_s
        )
    except IngestRefused:
        _forget_copy(stored)
        raise
    thumbnails = _write_thumbnails(job, analysed, ctx.runtime.thumbnail_dir)
    return _commit(job, ctx, stored, analysed, thumbnails, wall=time.monotonic() - began)


def _duplicate(job: FileJob, ctx: IngestContext) -> FileResult | None:
    with unit_of_work(ctx.runtime.session_factory) as session:
        camera_id(session, job.camera)
        return _finish_if_known(session, job, ctx.lease)


def _finish_if_known(session: Session, job: FileJob, lease: Lease | None) -> FileResult | None:
    """Complete the job as a duplicate when footage with the same hash is stored."""
    known = footage_by_hash(session, job.sha256)
    if known is None:
        return None
    result = FileResult(
        status="duplicate",
        file=job.original_name,
        camera=job.camera,
        sha256=job.sha256,
        footage_id=known.id,
        start=known.start,
        end=known.end,
    )
    if lease is not None:
        queue.complete(session, lease, result=result.as_dict())
    return result


def _write_thumbnails(job: FileJob, analysed: Analysed, folder: Path) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for draft in analysed.drafts:
        if draft.thumbnail_jpeg:
            event_id = draft.event_id(job.camera)
            written[event_id] = write_thumbnail(folder, job.camera, event_id, draft.thumbnail_jpeg)
    return written


def _commit(
    job: FileJob,
    ctx: IngestContext,
    stored: StoredFile,
    analysed: Analysed,
    thumbnails: dict[str, Path],
    *,
    wall: float,
) -> FileResult:
    with unit_of_work(ctx.runtime.session_factory) as session:
        if ctx.lease is not None:
            # Lock the job first: a worker whose lease was taken over stops here, writing nothing.
            queue.guard(session, ctx.lease)
        # Another job may have stored the same content while this one decoded.
        duplicate = _finish_if_known(session, job, ctx.lease)
        if duplicate is not None:
            return duplicate
        footage = store_indexed_file(
            session,
            job=job,
            stored=stored,
            analysed=analysed,
            thumbnails={k: v.resolve() for k, v in thumbnails.items()},
            now=utcnow(),
        )
        result = FileResult(
            status="indexed",
            file=job.original_name,
            camera=job.camera,
            sha256=job.sha256,
            footage_id=footage.id,
            start=footage.start,
            end=footage.end,
            frames=analysed.frames,
            footage_seconds=round(analysed.span_s, 3),
            wall_seconds=round(wall, 3),
            events=len({d.event_id(job.camera) for d in analysed.drafts}),
        )
        if ctx.lease is not None:
            queue.complete(session, ctx.lease, result=result.as_dict())
        return result


def _forget_copy(stored: StoredFile) -> None:
    # A refused file leaves no copy behind; a referenced original is never touched.
    if stored.storage == FootageStorage.COPIED:
        stored.path.chmod(0o600)
        stored.path.unlink(missing_ok=True)
