"""Outages and bad streams: gaps with reasons, reconnects, and other cameras keep recording."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import cli_actor
from camera_registry.camera.model import CameraStatus
from camera_registry.camera.write import WriteContext, set_status
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from config import load_settings
from ingest.events.model import CoverageKind
from ingest.live import CameraPipeline, LiveContext
from ingest.live_store import NOT_RECORDED
from ingest.runtime import IngestRuntime
from ingest.worker import WorkerSupervisor, live_cameras, load_live_cameras
from tests.builders import make_camera
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


def test_credentials_are_used_and_a_wrong_password_is_a_gap_never_logged(
    rtsp_missing: str | None,
    media: dict[str, Path],
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
    cipher: CredentialCipher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if rtsp_missing:
        pytest.skip(rtsp_missing)
    server = RtspTestServer({"/live": f"h264:{media['h264']}"}, auth=("viewer", "p@ss:w/rd 1"))
    ctx = WriteContext(cipher=cipher)
    host = server.url("/live").removeprefix("rtsp://")
    with unit_of_work(session_factory) as s:
        good_url = f"rtsp://viewer:{quote('p@ss:w/rd 1', safe='')}@{host}"
        bad_url = f"rtsp://viewer:wrong-secret@{host}"
        good_id = make_camera(s, ctx=ctx, code="GOOD", status="active", stream_url=good_url).id
        bad_id = make_camera(s, ctx=ctx, code="BAD", status="active", stream_url=bad_url).id
    with unit_of_work(session_factory) as s:
        cameras = live_cameras(s, cipher=cipher)
    with server, caplog.at_level(logging.DEBUG):
        stop = threading.Event()
        pipelines = [CameraPipeline(c, live_ctx, stop) for c in cameras]
        threads = [threading.Thread(target=p.run) for p in pipelines]
        for thread in threads:
            thread.start()
        try:
            assert wait_until(lambda: len(footage_of(session_factory, good_id)) >= 1, 40)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
    gaps = coverage_of(session_factory, bad_id)
    assert [(g.kind, g.reason) for g in gaps] == [(CoverageKind.GAP, "auth failed")]
    assert footage_of(session_factory, bad_id) == []
    assert "p@ss" not in caplog.text
    assert "wrong-secret" not in caplog.text
    assert "auth failed" in caplog.text


def test_running_worker_follows_activations_and_decommissions(
    rtsp_server: RtspTestServer,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
) -> None:
    first = add_camera(session_factory, rtsp_server.url("/live"))
    with unit_of_work(session_factory) as s:
        later_id = make_camera(s, code="LATER", stream_url=rtsp_server.url("/live")).id
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "var")
    runtime = IngestRuntime.from_settings(settings)
    supervisor = WorkerSupervisor(
        runtime,
        [first],
        live_ctx,
        run_jobs=False,
        load=lambda: load_live_cameras(runtime, [], strict=False),
        refresh_s=0.5,
    )
    try:
        supervisor.start()
        assert wait_until(lambda: len(footage_of(session_factory, first.id)) >= 1, 40)
        with unit_of_work(session_factory) as s:
            set_status(s, code="LATER", status=CameraStatus.ACTIVE, actor=cli_actor())
        assert wait_until(lambda: len(footage_of(session_factory, later_id)) >= 1, 40)
        with unit_of_work(session_factory) as s:
            set_status(s, code=first.code, status=CameraStatus.DECOMMISSIONED, actor=cli_actor())
        first_pipeline = supervisor.pipelines[0]
        assert wait_until(lambda: first.id not in {c.id for c in supervisor.streaming()}, 30)
        closed = len(footage_of(session_factory, first.id))
        count_later = len(footage_of(session_factory, later_id))
        assert wait_until(lambda: len(footage_of(session_factory, later_id)) > count_later, 40)
    finally:
        supervisor.request_stop()
        assert supervisor.join(30)
        runtime.close()
    # Nothing more was recorded of the decommissioned camera once its pipeline stopped.
    assert len(footage_of(session_factory, first.id)) == closed
    assert first_pipeline.recorder.segment_count == closed
    assert not list(live_ctx.recordings_dir.rglob("*.part"))


def test_time_the_worker_was_not_running_is_a_gap(
    rtsp_server: RtspTestServer,
    live_ctx: LiveContext,
    session_factory: sessionmaker[Session],
) -> None:
    camera = add_camera(session_factory, rtsp_server.url("/live"))
    with running(CameraPipeline(camera, live_ctx, threading.Event())):
        assert wait_until(lambda: len(footage_of(session_factory, camera.id)) >= 1, 40)
    first_run_end = footage_of(session_factory, camera.id)[-1].end
    restarted_at = datetime.now(UTC)
    with running(CameraPipeline(camera, live_ctx, threading.Event())):

        def resumed() -> bool:
            return any(f.start >= restarted_at for f in footage_of(session_factory, camera.id))

        assert wait_until(resumed, 40)
    gaps = [c for c in coverage_of(session_factory, camera.id) if c.kind == CoverageKind.GAP]
    assert [(g.start, g.reason) for g in gaps] == [(first_run_end, NOT_RECORDED)]
    second_run_start = min(
        f.start for f in footage_of(session_factory, camera.id) if f.start >= restarted_at
    )
    assert gaps[0].end == second_run_start
