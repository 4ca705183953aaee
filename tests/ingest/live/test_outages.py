"""Outages and bad streams: gaps with reasons, reconnects, and other cameras keep recording."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config import load_settings
from ingest.events.model import CoverageKind
from ingest.live import CameraPipeline, LiveContext
from ingest.runtime import IngestRuntime
from ingest.worker import WorkerSupervisor
from tests.ingest.live.test_recording import add_camera, coverage_of, footage_of, running
from tests.support.rtsp import RtspTestServer, free_port, wait_until

pytestmark = [
    pytest.mark.rtsp,
    # The streaming code paths are the same on both databases; one is enough for these.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def test_server_restart_leaves_a_gap_and_recording_resumes(
    rtsp_server: RtspTestServer,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
) -> None:
    camera = add_camera(session_factory, rtsp_server.url("/live"))
    with running(CameraPipeline(camera, live_ctx, threading.Event())):
        assert wait_until(lambda: len(footage_of(session_factory, camera.id)) >= 1, 40)
        stopped_at = datetime.now(UTC)
        rtsp_server.restart(pause_s=3.0)
        restarted_at = datetime.now(UTC)

        def resumed() -> bool:
            return any(f.start >= restarted_at for f in footage_of(session_factory, camera.id))

        assert wait_until(resumed, 60)

    gaps = [c for c in coverage_of(session_factory, camera.id) if c.kind == CoverageKind.GAP]
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.reason is not None
    assert gap.reason.startswith("stream lost")
    # The gap covers the outage: from the last footage before it to the first after it.
    assert gap.start <= stopped_at + (restarted_at - stopped_at) / 2
    assert gap.end >= restarted_at
    rows = footage_of(session_factory, camera.id)
    before = [f for f in rows if f.end <= gap.start]
    after = [f for f in rows if f.start >= gap.end]
    assert before
    assert after
    assert max(f.end for f in before) == gap.start
    assert min(f.start for f in after) == gap.end


def test_bad_streams_get_gaps_while_a_good_camera_keeps_recording(
    rtsp_server: RtspTestServer,
    garbage_server: str,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
) -> None:
    good = add_camera(session_factory, rtsp_server.url("/live"))
    refused = add_camera(session_factory, f"rtsp://127.0.0.1:{free_port()}/nothing")
    garbage = add_camera(session_factory, garbage_server)
    missing = add_camera(session_factory, rtsp_server.url("/no-such-mount"))
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "var")
    runtime = IngestRuntime.from_settings(settings)
    supervisor = WorkerSupervisor(
        runtime, [refused, garbage, missing, good], live_ctx, run_jobs=False
    )
    try:
        supervisor.start()
        assert wait_until(lambda: len(footage_of(session_factory, good.id)) >= 2, 40)
    finally:
        supervisor.request_stop()
        assert supervisor.join(30)
        runtime.close()

    assert not [c for c in coverage_of(session_factory, good.id) if c.kind == CoverageKind.GAP]
    expected = {
        refused.id: "connection refused",
        garbage.id: "invalid data",
        missing.id: "stream not found",
    }
    for camera_id, reason in expected.items():
        assert footage_of(session_factory, camera_id) == []
        coverage = coverage_of(session_factory, camera_id)
        assert [c.kind for c in coverage] == [CoverageKind.GAP]
        assert coverage[0].reason is not None
        assert coverage[0].reason.startswith(reason)
        assert coverage[0].end > coverage[0].start
    assert not list(live_ctx.recordings_dir.rglob("*.part"))
