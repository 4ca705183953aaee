"""The demo's footage step: index the sample clips as last night's footage of the city centre.

`camreg demo` (in `api/cli`, which may not import the pipeline) runs every `camreg.demo_steps`
entry point after importing the registry; `demo_step` is this module's. The sample clips of
`samples/footage/` are indexed as if four active cameras around 10.346,107.084 (whose fields of
view cover that point or pass within 100 m of it) had recorded them last night between 21:00 and
23:30 in the display zone, so a newcomer who draws an area there finds events, thumbnails and
clips at once. Files already indexed (same SHA-256) are skipped: running the demo again adds
nothing, and the footage keeps the night it was first given.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, time, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from sqlalchemy import func, select

from camera_registry.actor import cli_actor
from camera_registry.clock import utcnow
from camera_registry.errors import CamregError
from config.settings import Settings
from ingest.events.model import Footage, MotionEvent
from ingest.jobs import queue
from ingest.jobs.runner import RunOptions, run_jobs
from ingest.pipeline.errors import IngestRefused
from ingest.pipeline.file_job import FILE_JOB
from ingest.pipeline.prepare import FileRequest, prepare_file
from ingest.pipeline.store import camera_id, footage_by_hash
from ingest.runtime import IngestRuntime

CENTRE = (10.346, 107.084)  # latitude, longitude: between Lê Lợi, Quang Trung and Trưng Nhị
SEARCH_RADIUS_M = 150
# (file, camera, minutes after 21:00 last night): active cameras whose view covers the centre
# or passes within 100 m of it, each with footage from 21:00 to about 23:30.
PLAN: tuple[tuple[str, str, int], ...] = (
    ("bottle-detection.mp4", "VT-0034", 0),  # Trạm y tế Lê Lợi, looks south over the centre
    ("person-bicycle-car-detection.gif", "VT-0015", 10),  # Ngã ba Hoàng Hoa Thám
    ("people-detection.gif", "VT-1040", 30),  # Trước nhà Quang Trung
    ("worker-zone-detection.gif", "VT-0475", 45),  # Ngã ba Trưng Nhị
    ("store-aisle-detection.gif", "VT-0034", 80),
    ("face-demographics-walking-and-pause.gif", "VT-0015", 115),
    ("classroom.gif", "VT-1040", 150),
)
FIRST_START = time(21, 0)


def as_camera_footage(path: Path, cache: Path) -> Path:
    """Return the file as H.264 MP4, as cameras record: GIFs are converted once, into `cache`.

    Clips are cut by copying packets into MP4, which cannot hold GIF; the converted file is kept
    so that its hash (and so the duplicate check) stays the same on every run.
    """
    if path.suffix.lower() != ".gif":
        return path
    target = cache / f"{path.stem}.mp4"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    with av.open(str(path)) as source, av.open(str(partial), "w", format="mp4") as out:
        stream_in = source.streams.video[0]
        time_base = stream_in.time_base or Fraction(1, 100)
        rate = stream_in.average_rate or Fraction(10, 1)
        stream = out.add_stream("libx264", rate=rate)
        # yuv420p needs even sides (270 -> 272); one thread and no B-frames: the same bytes
        # every time, and each packet's time is its frame's.
        stream.width = stream_in.codec_context.width // 2 * 2
        stream.height = (stream_in.codec_context.height + 1) // 2 * 2
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = time_base
        stream.options = {"preset": "veryfast", "bf": "0", "threads": "1", "crf": "23"}
        last_pts = -1
        for index, frame in enumerate(source.decode(stream_in)):
            image = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            pts = frame.pts if frame.pts is not None else index
            image.pts = max(pts, last_pts + 1)
            image.time_base = time_base
            last_pts = image.pts
            for packet in stream.encode(image):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    partial.rename(target)
    return target


def night_start(settings: Settings, now: datetime) -> datetime:
    """Return 21:00 of the day before `now` in the display zone (aware)."""
    zone = settings.zone
    yesterday = now.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(yesterday, FIRST_START, tzinfo=zone)


def ingest_demo_footage(settings: Settings, *, samples: Path) -> dict[str, Any]:
    """Index the sample clips as last night's footage of central cameras; skip known files."""
    folder = samples / "footage"
    now = utcnow()
    base = night_start(settings, now)
    owner = f"demo:{socket.gethostname()}:{os.getpid()}"
    runtime = IngestRuntime.from_settings(settings)
    indexed = duplicates = 0
    failures: list[str] = []
    try:
        job_ids: list[int] = []
        hashes: list[str] = []
        with runtime.unit() as session:
            for name, code, minutes in PLAN:
                if not (folder / name).is_file():
                    failures.append(f"{name}: missing from {folder}")
                    continue
                path = as_camera_footage(folder / name, settings.data_dir / "demo-footage")
                try:
                    camera_id(session, code)
                except CamregError as exc:  # another cameras.csv: index what fits, say the rest
                    failures.append(f"{name}: {exc.message}")
                    continue
                request = FileRequest(
                    camera=code,
                    start=(base + timedelta(minutes=minutes)).isoformat(),
                    clock_offset_s=0.0,
                    case_number=None,
                    actor=cli_actor(),
                )
                try:
                    job = prepare_file(path, request=request, settings=settings, now=now)
                except IngestRefused as exc:
                    failures.append(exc.message)
                    continue
                hashes.append(job.sha256)
                if footage_by_hash(session, job.sha256) is not None:
                    duplicates += 1
                    continue
                row, _ = queue.enqueue(
                    session,
                    kind=FILE_JOB,
                    payload=job.to_payload(),
                    dedupe_key=job.dedupe_key,
                    created_by=request.actor.name,
                    max_attempts=settings.ingest.max_attempts,
                )
                job_ids.append(row.id)
        for outcome in run_jobs(runtime, job_ids, owner=owner, options=RunOptions()):
            if outcome.result is not None and outcome.result.get("status") == "indexed":
                indexed += 1
            elif outcome.result is not None:
                duplicates += 1
            else:
                failures.append(f"job {outcome.job_id}: {outcome.error or outcome.state}")
        summary = _what_is_stored(runtime, hashes)
    finally:
        runtime.close()
    return {**summary, "indexed": indexed, "duplicates": duplicates, "failures": failures}


def _what_is_stored(runtime: IngestRuntime, hashes: list[str]) -> dict[str, Any]:
    """Return the demo footage as stored: its cameras, events and the window to search."""
    codes = sorted({code for _, code, _ in PLAN})
    events = 0
    window: dict[str, str] | None = None
    with runtime.unit() as session:
        rows = session.execute(
            select(Footage.camera_id, Footage.start, Footage.end).where(Footage.sha256.in_(hashes))
        ).all()
        if rows:
            start, end = min(r.start for r in rows), max(r.end for r in rows)
            events = (
                session.scalar(
                    select(func.count())
                    .select_from(MotionEvent)
                    .where(
                        MotionEvent.camera_id.in_({r.camera_id for r in rows}),
                        MotionEvent.start < end,
                        MotionEvent.end > start,
                    )
                )
                or 0
            )
            zone = runtime.settings.zone
            shown_from = start.astimezone(zone).replace(second=0, microsecond=0)
            shown_to = end.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
            window = {
                "from": shown_from.isoformat(timespec="minutes"),
                "to": shown_to.isoformat(timespec="minutes"),
            }
    return {
        "step": "footage",
        "cameras": codes,
        "footage": len(rows),
        "events": int(events),
        "near": f"{CENTRE[0]},{CENTRE[1]}",
        "radius_m": SEARCH_RADIUS_M,
        "window": window,
    }


def demo_step(settings: Settings, samples: Path) -> dict[str, Any]:
    """The `camreg.demo_steps` entry point: index the sample footage, return what is there."""
    return ingest_demo_footage(settings, samples=samples)
