"""The worker: one live pipeline per active camera, plus queued file-ingest jobs.

Threads, not processes: PyAV demuxes, decodes and muxes with the GIL released and recording
only copies packets, so one process serves many streams; each stream then costs its buffers
and decoder (a few MB) instead of a whole interpreter with NumPy, OpenCV and PyAV loaded
(~80 MB), which alone would break the 60 MB-per-stream budget. Run several workers with
disjoint `--camera` lists to spread a large network over cores or hosts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.camera.model import Camera, CameraStatus
from camera_registry.crypto import CredentialCipher, load_or_create_key
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import CameraNotFound, InvalidInput
from ingest.health.live_report import LiveStatus
from ingest.jobs.runner import run_pending_jobs
from ingest.live import CameraPipeline, LiveCamera, LiveContext, LiveOptions
from ingest.runtime import IngestRuntime

log = logging.getLogger(__name__)

JOB_POLL_S = 5.0


def live_options(runtime: IngestRuntime) -> LiveOptions:
    """Return the [live] settings as pipeline options."""
    live = runtime.settings.live
    return LiveOptions(
        segment_seconds=live.segment_seconds,
        backoff_min_s=live.backoff_min_s,
        backoff_max_s=live.backoff_max_s,
        analysis_fps=live.analysis_fps,
        open_timeout_s=live.open_timeout_s,
        read_timeout_s=live.read_timeout_s,
        keyframe_timeout_s=live.keyframe_timeout_s,
    )


def live_context(runtime: IngestRuntime) -> LiveContext:
    """Return what the pipelines of this worker share, from settings."""
    return LiveContext(
        session_factory=runtime.session_factory,
        recordings_dir=runtime.settings.data_dir / "recordings",
        thumbnail_dir=runtime.thumbnail_dir,
        options=live_options(runtime),
    )


def credential_cipher(runtime: IngestRuntime) -> CredentialCipher:
    """Return the cipher of stream credentials (the key file is created on first use)."""
    settings = runtime.settings
    key = load_or_create_key(
        settings.credentials_key.get_secret_value(), settings.effective_key_file
    )
    return CredentialCipher(key)


def live_cameras(
    session: Session,
    *,
    cipher: CredentialCipher | None,
    codes: Sequence[str] = (),
    strict: bool = True,
) -> list[LiveCamera]:
    """Return the active cameras with a stream URL (only `codes`; `strict`: they must qualify)."""
    query = select(Camera).order_by(Camera.code)
    if codes:
        query = query.where(Camera.code.in_(codes))
    rows = list(session.scalars(query))
    missing = sorted(set(codes) - {row.code for row in rows})
    if strict and missing:
        raise CameraNotFound(
            f"no camera with code {', '.join(map(repr, missing))}; "
            "check `camreg cameras list` (codes are case-sensitive)"
        )
    if strict and codes:
        idle = [f"{r.code} ({r.status})" for r in rows if r.status != CameraStatus.ACTIVE]
        idle += [f"{r.code} (no stream URL)" for r in rows if not r.stream_url]
        if idle:
            raise InvalidInput(
                f"only active cameras with a stream URL are streamed: {', '.join(idle)}"
            )
    return [
        _live_camera(row, cipher)
        for row in rows
        if row.status == CameraStatus.ACTIVE and row.stream_url
    ]


def _live_camera(row: Camera, cipher: CredentialCipher | None) -> LiveCamera:
    credentials, problem = None, None
    if row.credentials_token:
        if cipher is None:
            problem = "credentials cannot be decrypted (no key)"
        else:
            try:
                credentials = cipher.decrypt(row.credentials_token)
            except ValueError:
                problem = "credentials cannot be decrypted with this key"
    assert row.stream_url is not None
    return LiveCamera(
        id=row.id,
        code=row.code,
        stream_url=row.stream_url,
        sub_stream_url=row.sub_stream_url or None,
        credentials=credentials,
        credentials_problem=problem,
    )


@dataclass
class _Running:
    camera: LiveCamera
    pipeline: CameraPipeline
    stop: threading.Event
    thread: threading.Thread


@dataclass
class WorkerSupervisor:
    """Run a pipeline thread per camera and a job thread until `stop` is set.

    With `load`, the camera list is read again every `refresh_s` seconds: newly active cameras
    start, cameras no longer active (decommissioned, consent withdrawn) stop, and cameras whose
    stream settings changed restart.
    """

    runtime: IngestRuntime
    cameras: list[LiveCamera]
    ctx: LiveContext
    run_jobs: bool = True
    load: Callable[[], list[LiveCamera]] | None = None
    refresh_s: float = 60.0
    stop: threading.Event = field(default_factory=threading.Event)
    pipelines: list[CameraPipeline] = field(default_factory=list)
    _running: dict[int, _Running] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start every pipeline (and the job runner and camera refresh) in its own thread."""
        with self._lock:
            for camera in self.cameras:
                self._start_camera(camera)
        if self.run_jobs:
            self._spawn("ingest-jobs", self._run_jobs)
        if self.load is not None:
            self._spawn("camera-refresh", self._run_refresh)
        log.info("worker: %d cameras started", len(self.cameras))

    def request_stop(self) -> None:
        """Ask every thread to finish (segments are closed and indexed on the way out)."""
        with self._lock:
            self.stop.set()
            for running in self._running.values():
                running.stop.set()

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the threads (at most `timeout_s` in all); return True when all of them ended."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        for thread in list(self._threads):
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def streaming(self) -> list[LiveCamera]:
        """Return the cameras whose pipelines run (or are still closing after a stop)."""
        with self._lock:
            return [running.camera for running in self._running.values()]

    def live_statuses(self) -> list[tuple[int, str, LiveStatus]]:
        """Return the health facts of the cameras streamed now (id, code, status)."""
        with self._lock:
            return [(r.camera.id, r.camera.code, r.pipeline.status) for r in self._running.values()]

    def refresh(self, cameras: list[LiveCamera]) -> None:
        """Start, stop or restart pipelines so that exactly `cameras` are streamed."""
        wanted = {camera.id: camera for camera in cameras}
        with self._lock:
            leaving = [r for i, r in self._running.items() if wanted.get(i) != r.camera]
            for running in leaving:
                log.info(
                    "worker: camera %s stops (no longer active or changed)", running.camera.code
                )
                running.stop.set()
        for running in leaving:
            # The old pipeline closes its segment before a new one opens the same camera.
            running.thread.join(self.ctx.options.read_timeout_s + self.ctx.options.open_timeout_s)
        with self._lock:
            for running in leaving:
                del self._running[running.camera.id]
            self._threads = [t for t in self._threads if t.is_alive()]
            for camera_id, camera in wanted.items():
                if camera_id not in self._running and not self.stop.is_set():
                    log.info("worker: camera %s starts", camera.code)
                    self._start_camera(camera)

    def _start_camera(self, camera: LiveCamera) -> None:
        own_stop = threading.Event()
        pipeline = CameraPipeline(camera, self.ctx, own_stop)
        self.pipelines.append(pipeline)
        thread = self._spawn(f"live-{camera.code}", pipeline.run)
        self._running[camera.id] = _Running(camera, pipeline, own_stop, thread)

    def _spawn(self, name: str, target: Callable[[], None]) -> threading.Thread:
        def guarded() -> None:
            try:
                target()
            except Exception:
                # One thread's failure must never take the others down.
                log.exception("worker: %s ended with an error", name)

        # Daemon threads: a pipeline stuck past the stop grace period must not keep the process
        # alive; every other pipeline has closed its segment by then.
        thread = threading.Thread(target=guarded, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _run_refresh(self) -> None:
        assert self.load is not None
        while not self.stop.wait(self.refresh_s):
            try:
                self.refresh(self.load())
            except Exception:
                log.exception("worker: camera list not refreshed")

    def _run_jobs(self) -> None:
        owner = f"worker:{socket.gethostname()}:{os.getpid()}"
        while not self.stop.is_set():
            try:
                # One job at a time, so a stop request waits for one file at most.
                ran = run_pending_jobs(self.runtime, owner=owner, stop_after=1)
            except Exception:
                log.exception("worker: ingest job failed")
                ran = []
            if not ran:
                self.stop.wait(JOB_POLL_S)


def load_live_cameras(
    runtime: IngestRuntime, codes: Sequence[str], *, strict: bool = True
) -> list[LiveCamera]:
    """Load the cameras to stream in one unit of work (`strict`: refuse unknown or idle codes)."""
    cipher = credential_cipher(runtime)
    with unit_of_work(runtime.session_factory) as session:
        return live_cameras(session, cipher=cipher, codes=codes, strict=strict)
