"""Check a recorded file before it is queued: a video, a known camera, a start time, its hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from camera_registry.actor import Actor
from config.settings import Settings
from ingest.pipeline.errors import IngestRefused
from ingest.pipeline.file_job import FileJob
from ingest.pipeline.start_time import StartRules, resolve_start
from ingest.pipeline.storage import hash_file
from ingest.source.errors import MediaError
from ingest.source.file_source import FileSource

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".avi", ".ts", ".mov", ".m4v", ".mts"})


@dataclass(frozen=True)
class FileRequest:
    """What the operator said about the files: camera, start, clock offset, case."""

    camera: str
    start: str | None
    clock_offset_s: float
    case_number: str | None
    actor: Actor


def video_files(path: Path) -> list[Path]:
    """Return the file itself, or every video file in a folder (recursively, sorted by path)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise IngestRefused(f"{path}: no such file or folder")
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    if not found:
        kinds = ", ".join(sorted(VIDEO_SUFFIXES))
        raise IngestRefused(f"{path}: no video files in this folder (looked for {kinds})")
    return found


def prepare_file(path: Path, *, request: FileRequest, settings: Settings, now: datetime) -> FileJob:
    """Check the file and its start time and return the job to queue; raise what to fix."""
    try:
        FileSource(path, now)  # probes the container: a video stream with a frame size
    except MediaError as exc:
        raise IngestRefused(
            f"{path.name}: {exc.reason}; give a video file (MP4, MKV, AVI, TS)"
        ) from exc
    rules = StartRules(
        zone=settings.zone,
        filename_pattern=settings.ingest.filename_pattern,
        future_tolerance_s=settings.ingest.future_tolerance_s,
    )
    start = resolve_start(
        path, explicit=request.start, clock_offset_s=request.clock_offset_s, rules=rules, now=now
    )
    sha256, size = hash_file(path)
    return FileJob(
        path=str(path.resolve()),
        camera=request.camera,
        recorder_start=start.recorder_start,
        clock_offset_s=request.clock_offset_s,
        start_source=str(start.source),
        sha256=sha256,
        size_bytes=size,
        original_name=path.name,
        keep_originals=settings.ingest.keep_originals,
        case_number=request.case_number,
        actor=request.actor.name,
        actor_source=request.actor.source,
    )
