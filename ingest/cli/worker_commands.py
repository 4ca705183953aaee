"""`camreg worker`: record and analyse live streams, run queued jobs, check cameras' health.

Same conventions as the rest of the CLI: `--json` prints exactly one JSON document on stdout,
messages and logs go to stderr, and a refusal exits 2 with a message that says what to fix.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from camera_registry.errors import CamregError
from config import load_settings
from ingest.health.scheduler import worker_scheduler
from ingest.runtime import IngestRuntime
from ingest.worker import WorkerSupervisor, live_context, load_live_cameras

stderr = Console(stderr=True)

# A pipeline blocked on a silent stream notices the stop within its read timeout.
JOIN_GRACE_S = 60.0


def register(root: typer.Typer) -> None:
    """Add `camreg worker` to the root app."""
    root.command("worker")(worker_command)


def _fail(message: str) -> NoReturn:
    escaped = message.replace("[", r"\[")
    stderr.print(f"[bold red]error:[/] {escaped}", highlight=False)
    raise typer.Exit(2)


@contextmanager
def _stop_on_signals(supervisor: WorkerSupervisor) -> Iterator[None]:
    def handle(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("worker: %s, stopping", signal.Signals(signum).name)
        supervisor.request_stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _summary(supervisor: WorkerSupervisor) -> list[dict[str, Any]]:
    return [
        {
            "camera": p.camera.code,
            "segments": p.recorder.segment_count,
            "gaps": p.gaps.closed_count,
            "events": p.events.stored_count,
        }
        for p in supervisor.pipelines
    ]


def worker_command(
    camera: Annotated[
        list[str] | None,
        typer.Option("--camera", help="Stream only this camera (repeatable). Default: all active."),
    ] = None,
    once_seconds: Annotated[
        float | None,
        typer.Option("--once-seconds", min=1.0, help="Stop after this many seconds (tests)."),
    ] = None,
    jobs: Annotated[
        bool, typer.Option("--jobs/--no-jobs", help="Also run queued file-ingest jobs.")
    ] = True,
    health: Annotated[
        bool,
        typer.Option(
            "--health/--no-health",
            help="Also check the health of this worker's cameras (probes, pictures, alerts).",
        ),
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a per-camera summary as one JSON document.")
    ] = False,
) -> None:
    """Record and analyse live streams and check health until SIGINT/SIGTERM (or --once-seconds)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = load_settings()
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        _fail(f"invalid settings ({details}); check CAMREG_* variables and the config file")
    runtime = IngestRuntime.from_settings(settings)
    try:
        summary = _serve(runtime, camera or [], once_seconds=once_seconds, jobs=jobs, health=health)
    finally:
        runtime.close()
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")


def _serve(
    runtime: IngestRuntime,
    codes: list[str],
    *,
    once_seconds: float | None,
    jobs: bool,
    health: bool = True,
) -> list[dict[str, Any]]:
    """Run the supervisor until a signal (or the time limit); return the per-camera summary."""
    try:
        cameras = load_live_cameras(runtime, codes)
    except CamregError as exc:
        _fail(exc.message)
    if not cameras:
        stderr.print("no active camera with a stream URL; only jobs are run", highlight=False)
    live = runtime.settings.live
    supervisor = WorkerSupervisor(
        runtime,
        cameras,
        live_context(runtime),
        run_jobs=jobs,
        load=lambda: load_live_cameras(runtime, codes, strict=False),
        refresh_s=live.refresh_seconds,
    )
    # Cameras streamed here report their health instead of being probed.
    checks = (
        worker_scheduler(runtime, codes=codes, live=supervisor.live_statuses) if health else None
    )
    with _stop_on_signals(supervisor):
        supervisor.start()
        if checks is not None:
            checks.start()
        try:
            supervisor.stop.wait(once_seconds)
        finally:
            if checks is not None:
                checks.stop()
        supervisor.request_stop()
        if not supervisor.join(JOIN_GRACE_S + live.read_timeout_s):
            stderr.print("some pipelines did not stop in time", highlight=False)
    return _summary(supervisor)
