"""Take queued ingest jobs and run them; used by `camreg ingest run` and by the live worker."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import CamregError
from ingest.events.model import IngestJob
from ingest.jobs import queue
from ingest.jobs.queue import Lease, LeaseLost
from ingest.pipeline.analysis import Analysis, Progress, default_analysis
from ingest.pipeline.file_ingest import IngestContext, ingest_file
from ingest.pipeline.file_job import FILE_JOB, FileJob
from ingest.runtime import IngestRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOutcome:
    """How one claimed job ended in this process."""

    job_id: int
    state: str  # done, queued (will be retried), failed, lost (taken over by another worker)
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class RunOptions:
    """How jobs are run: the analysis parts and an optional progress callback per job."""

    analysis: Analysis | None = None
    progress: Progress | None = None


def run_pending_jobs(
    runtime: IngestRuntime,
    *,
    owner: str,
    stop_after: int | None,
    options: RunOptions | None = None,
) -> list[JobOutcome]:
    """Claim and run queued jobs until none is left (or `stop_after` were run)."""
    outcomes: list[JobOutcome] = []
    while stop_after is None or len(outcomes) < stop_after:
        lease = _claim(runtime, owner=owner, job_id=None)
        if lease is None:
            break
        outcomes.append(run_claimed(runtime, lease, options or RunOptions()))
    return outcomes


def run_jobs(
    runtime: IngestRuntime, job_ids: Sequence[int], *, owner: str, options: RunOptions
) -> list[JobOutcome]:
    """Claim and run the given jobs now (those another worker holds are left to it)."""
    outcomes = []
    for job_id in job_ids:
        lease = _claim(runtime, owner=owner, job_id=job_id)
        if lease is not None:
            outcomes.append(run_claimed(runtime, lease, options))
    return outcomes


def _claim(runtime: IngestRuntime, *, owner: str, job_id: int | None) -> Lease | None:
    with unit_of_work(runtime.session_factory) as session:
        return queue.claim(
            session,
            owner=owner,
            lease_seconds=runtime.settings.ingest.lease_seconds,
            job_id=job_id,
        )


def run_claimed(runtime: IngestRuntime, lease: Lease, options: RunOptions) -> JobOutcome:
    """Run one claimed job; record its result or failure under the lease."""
    with unit_of_work(runtime.session_factory) as session:
        job = session.get(IngestJob, lease.job_id)
        kind, payload = (job.kind, dict(job.payload)) if job is not None else ("", {})
    if kind != FILE_JOB:
        return _failed(runtime, lease, f"unknown job kind {kind!r}", retry=False)
    ctx = IngestContext(
        runtime=runtime,
        analysis=options.analysis or default_analysis(runtime.settings.ingest),
        lease=lease,
        progress=LeaseKeeper(runtime, lease, options.progress),
    )
    try:
        result = ingest_file(FileJob.from_payload(payload), ctx)
    except LeaseLost as exc:
        log.warning("job %s: %s", lease.job_id, exc.message)
        return JobOutcome(lease.job_id, "lost", error=exc.message)
    except CamregError as exc:
        # The input is at fault (not a video, truncated, unknown camera, ...): trying again
        # cannot help, so the job fails at once with the message that says what to fix.
        return _failed(runtime, lease, exc.message, retry=False)
    except Exception as exc:
        log.exception("job %s failed", lease.job_id)
        return _failed(runtime, lease, f"{type(exc).__name__}: {exc}", retry=True)
    return JobOutcome(lease.job_id, "done", result=result.as_dict())


def _failed(runtime: IngestRuntime, lease: Lease, error: str, *, retry: bool) -> JobOutcome:
    try:
        with unit_of_work(runtime.session_factory) as session:
            job = queue.fail(session, lease, error=error, retry=retry)
            state = str(job.state)
    except LeaseLost as exc:
        return JobOutcome(lease.job_id, "lost", error=exc.message)
    return JobOutcome(lease.job_id, state, error=error)


class LeaseKeeper:
    """Extend a job's lease now and then while a long file decodes (and pass progress on)."""

    def __init__(
        self,
        runtime: IngestRuntime,
        lease: Lease,
        progress: Progress | None,
        *,
        every_s: float | None = None,
    ) -> None:
        self._runtime = runtime
        self.lease = lease
        self._progress = progress
        self._every = runtime.settings.ingest.lease_seconds / 3 if every_s is None else every_s
        self._next = time.monotonic() + self._every

    def __call__(self, offset_s: float) -> None:
        """Report progress; renew the lease when due (raise LeaseLost when it was taken over)."""
        if self._progress is not None:
            self._progress(offset_s)
        if time.monotonic() < self._next:
            return
        with unit_of_work(self._runtime.session_factory) as session:
            self.lease = queue.heartbeat(
                session, self.lease, lease_seconds=self._runtime.settings.ingest.lease_seconds
            )
        self._next = time.monotonic() + self._every
