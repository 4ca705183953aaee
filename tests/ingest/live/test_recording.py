"""A live camera served by the GStreamer RTSP server is recorded as indexed, playable segments."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import pytest
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
from ingest.live import CameraPipeline, LiveCamera, LiveContext
from ingest.pipeline.storage import hash_file
from tests.builders import make_camera
from tests.support.rtsp import RtspTestServer, wait_until

pytestmark = pytest.mark.rtsp
# The first test runs on both databases; the others exercise streaming, not SQL.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@contextmanager
def running(pipeline: CameraPipeline) -> Iterator[CameraPipeline]:
    """Run a pipeline in a thread; stop it and wait for it (generously) on the way out."""
    thread = threading.Thread(target=pipeline.run, daemon=True)
    thread.start()
    try:
        yield pipeline
    finally:
        pipeline.stop.set()
        thread.join(30)
        assert not thread.is_alive(), "pipeline did not stop"


def add_camera(factory: sessionmaker[Session], url: str, **fields: Any) -> LiveCamera:
    """Register an active camera streaming from `url`; return it as a pipeline sees it."""
    with unit_of_work(factory) as s:
        row = make_camera(s, status="active", stream_url=url, **fields)
        return LiveCamera(id=row.id, code=row.code, stream_url=url)


def footage_of(factory: sessionmaker[Session], camera_id: int) -> list[Footage]:
    """Return the camera's footage rows in time order."""
    with unit_of_work(factory) as s:
        rows = s.scalars(
            select(Footage).where(Footage.camera_id == camera_id).order_by(Footage.start)
        )
        return list(rows)


def coverage_of(factory: sessionmaker[Session], camera_id: int) -> list[CoverageInterval]:
    """Return the camera's coverage intervals in time order."""
    with unit_of_work(factory) as s:
        query = select(CoverageInterval).where(CoverageInterval.camera_id == camera_id)
        return list(s.scalars(query.order_by(CoverageInterval.start)))


def test_live_stream_is_recorded_as_indexed_segments(
    rtsp_server: RtspTestServer,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
) -> None:
    camera = add_camera(session_factory, rtsp_server.url("/live"))
    with running(CameraPipeline(camera, live_ctx, threading.Event())):
        assert wait_until(lambda: len(footage_of(session_factory, camera.id)) >= 3, 40)

    rows = footage_of(session_factory, camera.id)
    assert len(rows) >= 3
    for row in rows:
        path = Path(row.path)
        assert path.is_file()
        assert path.is_relative_to(live_ctx.recordings_dir / camera.code)
        assert (row.kind, row.storage) == (FootageKind.SEGMENT, FootageStorage.RECORDED)
        assert hash_file(path) == (row.sha256, row.size_bytes)
        assert (row.codec, row.width, row.height, row.container) == ("h264", 320, 240, "mp4")
        assert row.start < row.end
        with av.open(str(path)) as played:
            stream = played.streams.video[0]
            assert stream.codec_context.name == "h264"
            decoded = sum(1 for _ in played.decode(stream))
        assert decoded > 0
    # Cut at keyframes into ~2 s pieces that follow each other without holes.
    for earlier, later in itertools.pairwise(rows):
        assert abs((later.start - earlier.end).total_seconds()) < 0.5
    assert not list(live_ctx.recordings_dir.rglob("*.part"))

    coverage = coverage_of(session_factory, camera.id)
    recorded = [c for c in coverage if c.kind == CoverageKind.RECORDED]
    assert len(recorded) == len(rows)
    assert {c.footage_id for c in recorded} == {r.id for r in rows}
    assert not [c for c in coverage if c.kind == CoverageKind.GAP]


@SQLITE_ONLY
def test_segments_copy_packets_without_reencoding(
    rtsp_server: RtspTestServer,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
    media: dict[str, Path],
) -> None:
    camera = add_camera(session_factory, rtsp_server.url("/live"))
    with running(CameraPipeline(camera, live_ctx, threading.Event())):
        assert wait_until(lambda: len(footage_of(session_factory, camera.id)) >= 2, 40)

    with av.open(str(media["h264"])) as source:
        sent = {nal for p in source.demux() if p.size for nal in annexb_slices(bytes(p))}
    with av.open(footage_of(session_factory, camera.id)[-1].path) as recorded:
        packets = [p for p in recorded.demux() if p.size]
    assert packets
    assert packets[0].is_keyframe
    # Every coded slice in the segment is byte for byte one the encoder sent: copied, never
    # re-encoded (MP4 only swaps the start codes for lengths).
    slices = [nal for p in packets for nal in length_prefixed_slices(bytes(p))]
    assert len(slices) >= len(packets)
    assert all(nal in sent for nal in slices)


def annexb_slices(data: bytes) -> list[bytes]:
    """Return the coded slices (NAL types 1 and 5) of Annex-B data."""
    nals = [part.rstrip(b"\x00") for part in data.split(b"\x00\x00\x01")]
    return [nal for nal in nals if nal and nal[0] & 0x1F in (1, 5)]


def length_prefixed_slices(data: bytes) -> list[bytes]:
    """Return the coded slices of MP4 sample data (4-byte big-endian lengths)."""
    nals, at = [], 0
    while at + 4 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        nals.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    assert at == len(data), "sample is not length-prefixed"
    return [nal for nal in nals if nal and nal[0] & 0x1F in (1, 5)]


@SQLITE_ONLY
def test_events_found_in_the_stream_link_their_segments(
    rtsp_server: RtspTestServer,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
) -> None:
    camera = add_camera(session_factory, rtsp_server.url("/live"))
    with running(CameraPipeline(camera, live_ctx, threading.Event())) as pipeline:
        assert wait_until(lambda: len(footage_of(session_factory, camera.id)) >= 3, 40)
    assert pipeline.analyser.frames > 0
    with unit_of_work(session_factory) as s:
        events = list(s.scalars(select(MotionEvent).where(MotionEvent.camera_id == camera.id)))
    # The synthetic scene has a square moving all the time: at least one live event.
    assert events
    assert all(e.source == "live" and e.id.startswith(f"{camera.code}@") for e in events)
    footage_ids = {r.id for r in footage_of(session_factory, camera.id)}
    assert any(set(e.footage_ids) & footage_ids for e in events)


@SQLITE_ONLY
def test_the_sub_stream_is_analysed_and_the_main_stream_recorded(
    rtsp_server: RtspTestServer,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
) -> None:
    camera = add_camera(session_factory, rtsp_server.url("/live"))
    # The one-shot MP4 mount ends after 4 s: the sub stream reconnects, recording is unaffected.
    camera = replace(camera, sub_stream_url=rtsp_server.url("/clip"))
    with running(CameraPipeline(camera, live_ctx, threading.Event())) as pipeline:
        assert wait_until(lambda: len(footage_of(session_factory, camera.id)) >= 4, 40)
    assert pipeline.analyser.frames > 0
    assert not [c for c in coverage_of(session_factory, camera.id) if c.kind == CoverageKind.GAP]
