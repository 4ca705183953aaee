"""Indexing queued files through the job runner, on both databases, with real decoding."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import cli_actor
from camera_registry.audit.model import AuditEntry
from camera_registry.changelog.service import changes_of
from camera_registry.clock import utcnow
from config import load_settings
from ingest.events.model import (
    CoverageInterval,
    CoverageKind,
    Footage,
    FootageStorage,
    IngestJob,
    JobState,
    MotionEvent,
)
from ingest.jobs import queue
from ingest.jobs.runner import RunOptions, run_claimed, run_pending_jobs
from ingest.pipeline.file_job import FILE_JOB
from ingest.pipeline.prepare import FileRequest, prepare_file
from ingest.pipeline.storage import hash_file
from ingest.runtime import IngestRuntime
from tests.builders import make_camera
from tests.ingest.pipeline.clips import write_clip

START = "2026-03-01T08:00:00+07:00"


def _queue(rt: IngestRuntime, path: Path, *, camera: str = "CAM-1", case: str | None = None) -> int:
    actor = cli_actor()
    request = FileRequest(
        camera=camera,
        start=START,
        clock_offset_s=0,
        case_number=case,
        actor=replace(actor, case_number=case),
    )
    job = prepare_file(path, request=request, settings=rt.settings, now=utcnow())
    with rt.unit() as s:
        row, _ = queue.enqueue(
            s, kind=FILE_JOB, payload=job.to_payload(), dedupe_key=job.dedupe_key, created_by="t"
        )
        return row.id


def _count(rt: IngestRuntime, model: type) -> int:
    with rt.unit() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _camera(rt: IngestRuntime, code: str = "CAM-1") -> None:
    with rt.unit() as s:
        make_camera(s, code=code)


def test_file_is_indexed_with_coverage_events_thumbnails_and_logs(
    runtime: IngestRuntime, tmp_path: Path
) -> None:
    _camera(runtime)
    clip = write_clip(tmp_path / "clip.mkv")
    _queue(runtime, clip, case="HS-17")
    [outcome] = run_pending_jobs(runtime, owner="w1", stop_after=None)
    assert outcome.state == "done", outcome.error
    assert outcome.result is not None
    assert outcome.result["frames"] == 30
    assert outcome.result["events"] == 1
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with runtime.unit() as s:
        footage = s.scalars(select(Footage)).one()
        assert (footage.start, footage.end) == (start, start + timedelta(seconds=3))
        assert footage.storage == FootageStorage.COPIED
        assert Path(footage.path).is_file()
        assert Path(footage.path).name.startswith(footage.sha256)
        coverage = s.scalars(select(CoverageInterval)).one()
        assert (coverage.kind, coverage.footage_id) == (CoverageKind.RECORDED, footage.id)
        event = s.scalars(select(MotionEvent)).one()
        assert footage.start <= event.start < event.end <= footage.end
        assert event.footage_ids == [footage.id]
        assert event.source == "file"
        assert event.thumbnail_path is not None
        assert Path(event.thumbnail_path).read_bytes()[:2] == b"\xff\xd8"
        assert changes_of(s, entity="footage", key=footage.sha256)[0].action == "ingest"
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "footage.ingest")).one()
        assert (audit.case_number, audit.target) == ("HS-17", "CAM-1")
        job = s.scalars(select(IngestJob)).one()
        assert job.state == JobState.DONE


def test_same_content_is_indexed_once(runtime: IngestRuntime, tmp_path: Path) -> None:
    _camera(runtime)
    clip = write_clip(tmp_path / "clip.mp4")
    _queue(runtime, clip)
    run_pending_jobs(runtime, owner="w1", stop_after=None)
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(clip.read_bytes())
    with runtime.unit() as s:
        # A second job for the same content cannot even be queued while the first exists.
        s.execute(delete(IngestJob))
    _queue(runtime, copy)
    [outcome] = run_pending_jobs(runtime, owner="w1", stop_after=None)
    assert outcome.result is not None
    assert outcome.result["status"] == "duplicate"
    assert (_count(runtime, Footage), _count(runtime, MotionEvent)) == (1, 1)
    assert _count(runtime, CoverageInterval) == 1


def test_reference_mode_keeps_the_file_where_it_is(
    database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path / "var", ingest={"keep_originals": "reference"}
    )
    rt = IngestRuntime.from_settings(settings)
    try:
        _camera(rt)
        clip = write_clip(tmp_path / "clip.mp4")
        _queue(rt, clip)
        run_pending_jobs(rt, owner="w1", stop_after=None)
        with rt.unit() as s:
            footage = s.scalars(select(Footage)).one()
            assert (footage.storage, footage.path) == (FootageStorage.REFERENCED, str(clip))
        assert not (tmp_path / "var" / "footage").exists()
    finally:
        rt.close()


def test_truncated_file_fails_the_job_and_writes_nothing(
    runtime: IngestRuntime, tmp_path: Path
) -> None:
    _camera(runtime)
    clip = write_clip(tmp_path / "clip.mkv", seconds=6)
    job_id = _queue(runtime, clip)
    # The file is damaged after it was queued (as a copy off a failing disk would be).
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 2])
    with runtime.unit() as s:
        job = s.get(IngestJob, job_id)
        assert job is not None
        job.payload = {**job.payload, "sha256": hash_file(clip)[0], "size_bytes": len(data) // 2}
    [outcome] = run_pending_jobs(runtime, owner="w1", stop_after=None)
    assert outcome.state == "failed"
    assert "truncated" in (outcome.error or "")
    assert (_count(runtime, Footage), _count(runtime, MotionEvent)) == (0, 0)
    assert _count(runtime, CoverageInterval) == 0
    assert list((tmp_path / "var").rglob("*.mkv")) == []


def test_changed_file_is_refused(runtime: IngestRuntime, tmp_path: Path) -> None:
    _camera(runtime)
    clip = write_clip(tmp_path / "clip.mp4")
    _queue(runtime, clip)
    write_clip(clip, seed=9)
    [outcome] = run_pending_jobs(runtime, owner="w1", stop_after=None)
    assert outcome.state == "failed"
    assert "changed since it was queued" in (outcome.error or "")
    assert _count(runtime, Footage) == 0


def test_worker_whose_lease_was_taken_over_writes_nothing(
    runtime: IngestRuntime, tmp_path: Path
) -> None:
    _camera(runtime)
    job_id = _queue(runtime, write_clip(tmp_path / "clip.mp4"))
    with runtime.unit() as s:
        stale = queue.claim(s, owner="slow", lease_seconds=10, now=utcnow() - timedelta(hours=1))
    with runtime.unit() as s:
        fresh = queue.claim(s, owner="fast", lease_seconds=600)
    assert stale is not None
    assert fresh is not None
    assert fresh.fence > stale.fence
    lost = run_claimed(runtime, stale, RunOptions())
    assert lost.state == "lost"
    assert _count(runtime, Footage) == 0
    done = run_claimed(runtime, fresh, RunOptions())
    assert done.state == "done", done.error
    with runtime.unit() as s:
        assert s.get(IngestJob, job_id).state == JobState.DONE  # type: ignore[union-attr]
    assert _count(runtime, Footage) == 1


def test_event_seen_again_merges_by_id(runtime: IngestRuntime, tmp_path: Path) -> None:
    _camera(runtime)
    _queue(runtime, write_clip(tmp_path / "a.mp4"))
    _queue(runtime, write_clip(tmp_path / "b.mkv", seed=3))  # same scene, same start
    outcomes = run_pending_jobs(runtime, owner="w1", stop_after=None)
    assert [o.state for o in outcomes] == ["done", "done"]
    with runtime.unit() as s:
        event = s.scalars(select(MotionEvent)).one()
        ids = sorted(s.scalars(select(Footage.id)).all())
        assert sorted(event.footage_ids) == ids
