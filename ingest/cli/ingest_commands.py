"""`camreg ingest …`: queue recorded files, index them, list and run ingest jobs.

Same conventions as the rest of the CLI: `--json` prints exactly one JSON document on stdout,
messages go to stderr, and a refusal exits 2 with a message that says what to fix.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from camera_registry.actor import cli_actor
from camera_registry.clock import utcnow
from camera_registry.errors import CamregError
from config import load_settings
from ingest.events.model import JobState
from ingest.jobs import queue
from ingest.jobs.runner import JobOutcome, RunOptions, run_jobs, run_pending_jobs
from ingest.pipeline.errors import IngestRefused
from ingest.pipeline.file_job import FILE_JOB, FileJob
from ingest.pipeline.prepare import FileRequest, prepare_file, video_files
from ingest.pipeline.store import camera_id, footage_by_hash
from ingest.runtime import IngestRuntime
from ingest.source.errors import MediaError
from ingest.source.file_source import FileSource

app = typer.Typer(help="Index recorded footage into the motion-event index.", no_args_is_help=True)
stderr = Console(stderr=True)
stdout = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")]


def register(root: typer.Typer) -> None:
    """Add `camreg ingest` to the root app."""
    root.add_typer(app, name="ingest")


def _fail(message: str) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(2)


def _emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def _runtime() -> Iterator[IngestRuntime]:
    try:
        settings = load_settings()
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        _fail(f"invalid settings ({details}); check CAMREG_* variables and the config file")
    runtime = IngestRuntime.from_settings(settings)
    try:
        yield runtime
    except CamregError as exc:
        _fail(exc.message.replace("[", r"\["))
    finally:
        runtime.close()


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@app.command("file")
def file_command(
    path: Annotated[Path, typer.Argument(help="A video file, or a folder of them.")],
    camera: Annotated[str, typer.Option("--camera", help="Code of the camera that recorded.")],
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="Start of the recording, ISO 8601; without an offset it is read in the display "
            "zone. Default: from the file name pattern, then the container's creation time.",
        ),
    ] = None,
    clock_offset: Annotated[
        float,
        typer.Option("--clock-offset", help="Seconds to add to the recorder's clock (it was off)."),
    ] = 0.0,
    case: Annotated[
        str | None, typer.Option("--case", help="Case number for the audit log.")
    ] = None,
    queue_only: Annotated[
        bool, typer.Option("--queue-only", help="Only queue the jobs; a worker runs them later.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Index recorded files (queued as jobs, then run here unless --queue-only)."""
    request = FileRequest(
        camera=camera,
        start=start,
        clock_offset_s=clock_offset,
        case_number=case,
        actor=replace(cli_actor(), case_number=case),
    )
    with _runtime() as runtime:
        jobs, duplicates = _queue_files(runtime, path, request)
        if queue_only:
            summary = _summary(duplicates, [], queued=[j for j, _ in jobs])
        else:
            outcomes = _run_now(runtime, jobs, show_progress=stderr.is_terminal)
            summary = _summary(duplicates, outcomes, queued=_elsewhere(jobs, outcomes))
    _report(summary, json_out)


def _queue_files(
    runtime: IngestRuntime, path: Path, request: FileRequest
) -> tuple[list[tuple[int, FileJob]], list[dict[str, Any]]]:
    files = video_files(path)
    if request.start and len(files) > 1:
        raise IngestRefused(
            f"{path}: --start gives one time for {len(files)} files; leave it out and let each "
            "file's name (ingest.filename_pattern) or container creation_time give its start, "
            "or ingest the files one by one"
        )
    with runtime.unit() as session:
        camera_id(session, request.camera)
    now = utcnow()
    prepared = [prepare_file(p, request=request, settings=runtime.settings, now=now) for p in files]
    jobs: list[tuple[int, FileJob]] = []
    duplicates: list[dict[str, Any]] = []
    with runtime.unit() as session:
        for job in prepared:
            known = footage_by_hash(session, job.sha256)
            if known is not None:
                duplicates.append(_duplicate(job, known.id))
                continue
            row, _ = queue.enqueue(
                session,
                kind=FILE_JOB,
                payload=job.to_payload(),
                dedupe_key=job.dedupe_key,
                created_by=request.actor.name,
                max_attempts=runtime.settings.ingest.max_attempts,
            )
            if row.id not in {i for i, _ in jobs}:
                jobs.append((row.id, job))
    return jobs, duplicates


def _duplicate(job: FileJob, footage_id: int) -> dict[str, Any]:
    stderr.print(
        f"{job.original_name}: already indexed as footage {footage_id} (same SHA-256); skipped",
        highlight=False,
        markup=False,
    )
    return {
        "status": "duplicate",
        "file": job.original_name,
        "sha256": job.sha256,
        "footage_id": footage_id,
        "camera": job.camera,
    }


def _run_now(
    runtime: IngestRuntime, jobs: list[tuple[int, FileJob]], *, show_progress: bool
) -> list[JobOutcome]:
    owner = _owner()
    if not show_progress:
        return run_jobs(runtime, [i for i, _ in jobs], owner=owner, options=RunOptions())
    outcomes: list[JobOutcome] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f} s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as bar:
        for job_id, job in jobs:
            task = bar.add_task(job.original_name, total=_duration(job))

            def advance(offset_s: float, task: Any = task) -> None:
                bar.update(task, completed=offset_s)

            options = RunOptions(progress=advance)
            outcomes += run_jobs(runtime, [job_id], owner=owner, options=options)
    return outcomes


def _elsewhere(jobs: list[tuple[int, FileJob]], outcomes: list[JobOutcome]) -> list[int]:
    # A job another worker holds (or one that ended earlier) was not run here: say so.
    ran = {o.job_id for o in outcomes}
    waiting = [job_id for job_id, _ in jobs if job_id not in ran]
    for job_id in waiting:
        stderr.print(
            f"job {job_id} is held by another worker; see `camreg ingest jobs`",
            highlight=False,
            markup=False,
        )
    return waiting


def _duration(job: FileJob) -> float | None:
    # Only sizes the progress bar; a file that cannot be probed fails properly in its job.
    try:
        return FileSource(Path(job.path), job.start).info.duration_s
    except MediaError:
        return None


def _summary(
    duplicates: list[dict[str, Any]], outcomes: list[JobOutcome], *, queued: list[int]
) -> dict[str, Any]:
    files: list[dict[str, Any]] = list(duplicates)
    for outcome in outcomes:
        if outcome.result is not None:
            files.append({"job_id": outcome.job_id, **outcome.result})
        else:
            files.append(
                {"job_id": outcome.job_id, "status": outcome.state, "error": outcome.error}
            )
    files += [{"job_id": job_id, "status": "queued"} for job_id in queued]
    indexed = [f for f in files if f.get("status") == "indexed"]
    return {
        "files": files,
        "indexed": len(indexed),
        "duplicates": sum(1 for f in files if f.get("status") == "duplicate"),
        "queued": len(queued),
        "failed": sum(1 for f in files if f.get("error")),
        "frames": sum(int(f["frames"]) for f in indexed),
        "footage_seconds": round(sum(float(f["footage_seconds"]) for f in indexed), 3),
        "wall_seconds": round(sum(float(f["wall_seconds"]) for f in indexed), 3),
        "events": sum(int(f["events"]) for f in indexed),
    }


def _report(summary: dict[str, Any], json_out: bool) -> None:
    if json_out:
        _emit_json(summary)
    else:
        stdout.print(
            f"indexed {summary['indexed']} file(s), {summary['duplicates']} duplicate(s), "
            f"{summary['queued']} queued: {summary['frames']} frames, "
            f"{summary['footage_seconds']:.1f} s of footage in {summary['wall_seconds']:.1f} s, "
            f"{summary['events']} events",
            highlight=False,
        )
    errors = [
        f"{f.get('file') or 'job ' + str(f['job_id'])}: {f['error']}"
        for f in summary["files"]
        if f.get("error")
    ]
    if errors:
        _fail("; ".join(e.replace("[", r"\[") for e in errors))


@app.command("jobs")
def jobs_command(
    state: Annotated[
        JobState | None, typer.Option("--state", help="Only jobs in this state.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 100,
    json_out: JsonOpt = False,
) -> None:
    """List ingest jobs, newest first."""
    with _runtime() as runtime, runtime.unit() as session:
        rows = [_job_row(j) for j in queue.list_jobs(session, state=state, limit=limit)]
    if json_out:
        _emit_json(rows)
        return
    columns = ["id", "state", "camera", "file", "attempts", "lease_owner", "events", "error"]
    table = Table(title="ingest jobs")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row[c]) for c in columns))
    stdout.print(table)


def _job_row(job: Any) -> dict[str, Any]:
    payload = job.payload or {}
    result = job.result or {}
    return {
        "id": job.id,
        "kind": job.kind,
        "state": str(job.state),
        "camera": payload.get("camera"),
        "file": payload.get("original_name"),
        "sha256": payload.get("sha256"),
        "case_number": payload.get("case_number"),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "lease_owner": job.lease_owner,
        "lease_until": job.lease_until.isoformat() if job.lease_until else None,
        "events": result.get("events"),
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@app.command("run")
def run_command(
    once: Annotated[bool, typer.Option("--once", help="Run at most one job.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Run queued ingest jobs until the queue is empty (as a worker would)."""
    with _runtime() as runtime:
        outcomes = run_pending_jobs(runtime, owner=_owner(), stop_after=1 if once else None)
    _report({**_summary([], outcomes, queued=[]), "jobs": len(outcomes)}, json_out)
