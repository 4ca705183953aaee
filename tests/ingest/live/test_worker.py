"""Which cameras a worker streams, and `camreg worker` end to end (graceful stop on SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.camera.write import WriteContext
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import CameraNotFound, InvalidInput
from config import load_settings
from ingest.events.model import CoverageKind, Footage, FootageKind, IngestJob, JobState
from ingest.runtime import IngestRuntime
from ingest.worker import WorkerSupervisor, live_cameras, live_context
from tests.builders import make_camera
from tests.ingest.live.test_recording import coverage_of, footage_of
from tests.ingest.pipeline.clips import write_clip
from tests.support.rtsp import RtspTestServer, wait_until

URL = "rtsp://127.0.0.1:1/main"


def _cameras(factory: sessionmaker[Session], cipher: CredentialCipher) -> None:
    ctx = WriteContext(cipher=cipher)
    with unit_of_work(factory) as s:
        make_camera(s, code="ON", status="active", stream_url=URL, sub_stream_url=URL + "-sub")
        make_camera(s, code="PLAN", status="planned", stream_url=URL)
        make_camera(s, code="GONE", status="decommissioned", stream_url=URL)
        make_camera(s, code="FIX", status="maintenance", stream_url=URL)
        make_camera(s, code="NOURL", status="active")
        make_camera(
            s, ctx=ctx, code="AUTH", status="active", stream_url="rtsp://u:s3cret-pw@cam.invalid/x"
        )


def test_only_active_cameras_with_a_stream_are_started(
    session_factory: sessionmaker[Session], cipher: CredentialCipher
) -> None:
    _cameras(session_factory, cipher)
    with unit_of_work(session_factory) as s:
        cameras = live_cameras(s, cipher=cipher)
    assert [c.code for c in cameras] == ["AUTH", "ON"]
    auth, on = cameras
    assert on.analysis_url == URL + "-sub"
    assert auth.stream_url == "rtsp://cam.invalid/x"
    assert auth.credentials is not None
    assert auth.credentials.password == "s3cret-pw"
    assert "s3cret" not in repr(auth)


def test_unknown_or_idle_cameras_asked_for_by_code_are_refused(
    session_factory: sessionmaker[Session], cipher: CredentialCipher
) -> None:
    _cameras(session_factory, cipher)
    with unit_of_work(session_factory) as s:
        with pytest.raises(CameraNotFound, match="'NOPE'"):
            live_cameras(s, cipher=cipher, codes=["ON", "NOPE"])
        with pytest.raises(InvalidInput, match=r"GONE \(decommissioned\).*PLAN \(planned\)"):
            live_cameras(s, cipher=cipher, codes=["ON", "GONE", "PLAN"])
        with pytest.raises(InvalidInput, match=r"NOURL \(no stream URL\)"):
            live_cameras(s, cipher=cipher, codes=["NOURL"])
        assert [c.code for c in live_cameras(s, cipher=cipher, codes=["ON"])] == ["ON"]


def test_credentials_under_another_key_are_a_problem_not_a_crash(
    session_factory: sessionmaker[Session], cipher: CredentialCipher
) -> None:
    _cameras(session_factory, cipher)
    other = CredentialCipher(Fernet.generate_key())
    with unit_of_work(session_factory) as s:
        auth = live_cameras(s, cipher=other, codes=["AUTH"])[0]
    assert auth.credentials is None
    assert auth.credentials_problem == "credentials cannot be decrypted with this key"


def test_worker_command_refuses_an_unknown_camera(
    database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    cli = CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )
    result = cli.invoke(app, ["worker", "--camera", "NOPE", "--once-seconds", "1", "--no-jobs"])
    assert result.exit_code == 2
    assert "no camera with code 'NOPE'" in result.stderr
    assert not (tmp_path / "var" / "recordings").exists()


@pytest.mark.rtsp
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_command_records_and_stops_cleanly_on_sigterm(
    rtsp_server: RtspTestServer,
    database_url: str,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        camera_id = make_camera(
            s, code="LIVE-1", status="active", stream_url=rtsp_server.url("/live")
        ).id
        make_camera(s, code="OFF-1", status="decommissioned", stream_url=rtsp_server.url("/live"))
    env = {
        **os.environ,
        "CAMREG_DATABASE_URL": database_url,
        "CAMREG_DATA_DIR": str(tmp_path / "var"),
        "CAMREG_LIVE__SEGMENT_SECONDS": "2",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("camreg")), "worker", "--no-jobs", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_until(lambda: len(footage_of(session_factory, camera_id)) >= 2, 60)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    summary = json.loads(out)
    assert [(s["camera"], s["segments"], s["gaps"]) for s in summary] == [
        ("LIVE-1", len(footage_of(session_factory, camera_id)), 0)
    ]
    recordings = tmp_path / "var" / "recordings"
    assert {p.name for p in recordings.iterdir()} == {"LIVE-1"}
    assert not list(recordings.rglob("*.part"))
    # The segment open at SIGTERM was closed and indexed too: every file has its row.
    files = {str(p) for p in recordings.rglob("*.mp4")}
    assert files == {f.path for f in footage_of(session_factory, camera_id)}
    assert all(c.kind == CoverageKind.RECORDED for c in coverage_of(session_factory, camera_id))


def test_worker_runs_queued_file_jobs(
    database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as s:
        make_camera(s, code="CAM-1")
    env = {"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    clip = write_clip(tmp_path / "a.mp4")
    args = ["file", str(clip), "--camera", "CAM-1", "--start", "2026-03-01T08:00", "--queue-only"]
    queued = CliRunner(env=env).invoke(app, ["ingest", *args])
    assert queued.exit_code == 0, queued.stderr
    runtime = IngestRuntime.from_settings(
        load_settings(database_url=database_url, data_dir=tmp_path / "var")
    )
    supervisor = WorkerSupervisor(runtime, [], live_context(runtime))

    def states() -> list[JobState]:
        with unit_of_work(session_factory) as s:
            return list(s.scalars(select(IngestJob.state)))

    try:
        supervisor.start()
        assert wait_until(lambda: states() == [JobState.DONE], 60)
    finally:
        supervisor.request_stop()
        assert supervisor.join(30)
        runtime.close()
    with unit_of_work(session_factory) as s:
        assert [f.kind for f in s.scalars(select(Footage))] == [FootageKind.FILE]
