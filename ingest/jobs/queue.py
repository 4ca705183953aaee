"""A job queue in the database: a worker claims a job with a lease and a fencing token.

Every write on behalf of a claimed job names its lease; it succeeds only while the job is still
running under that owner and fence, so a worker whose lease expired and was taken over can no
longer change the job (or, through `guard`, commit results beside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from camera_registry.clock import utcnow
from camera_registry.errors import Conflict
from ingest.events.model import IngestJob, JobState


class LeaseLost(Conflict):
    """The job's lease expired and was taken over (or the job ended): this worker may not write."""


@dataclass(frozen=True)
class Lease:
    """A worker's claim on one job until `until`; `fence` grows with every new claim."""

    job_id: int
    owner: str
    fence: int
    until: datetime
    attempt: int


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str,
    created_by: str,
    max_attempts: int = 3,
    now: datetime | None = None,
) -> tuple[IngestJob, bool]:
    """Add a job unless one with the same key exists; a failed one is queued again with the payload.

    Returns the job and whether it was (re)queued.
    """
    now = now or utcnow()
    existing = _by_key(session, dedupe_key)
    if existing is not None:
        if existing.state != JobState.FAILED:
            return existing, False
        _requeue(existing, payload=payload, max_attempts=max_attempts, now=now)
        return existing, True
    job = IngestJob(
        kind=kind,
        payload=payload,
        state=JobState.QUEUED,
        attempts=0,
        max_attempts=max_attempts,
        fence=0,
        dedupe_key=dedupe_key,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        # Another process enqueued the same key between our read and our insert.
        raced = _by_key(session, dedupe_key)
        if raced is None:
            raise
        return raced, False
    return job, True


def _by_key(session: Session, dedupe_key: str) -> IngestJob | None:
    stmt = select(IngestJob).where(IngestJob.dedupe_key == dedupe_key)
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def _requeue(job: IngestJob, *, payload: dict[str, Any], max_attempts: int, now: datetime) -> None:
    job.payload = payload
    job.state = JobState.QUEUED
    job.attempts = 0
    job.max_attempts = max_attempts
    job.error = None
    job.result = None
    job.lease_owner = None
    job.lease_until = None
    job.finished_at = None
    job.updated_at = now


def reclaim_expired(session: Session, *, now: datetime | None = None) -> int:
    """Queue again every running job whose lease expired (fail it when its tries are used up)."""
    now = now or utcnow()
    expired = (IngestJob.state == JobState.RUNNING) & (IngestJob.lease_until < now)
    cleared = {"lease_owner": None, "lease_until": None, "updated_at": now}
    exhausted = session.execute(
        update(IngestJob)
        .where(expired, IngestJob.attempts >= IngestJob.max_attempts)
        .values(
            state=JobState.FAILED,
            error="the worker stopped answering (lease expired) on its last try",
            finished_at=now,
            **cleared,
        )
        .execution_options(synchronize_session=False)
    )
    requeued = session.execute(
        update(IngestJob)
        .where(expired)
        .values(state=JobState.QUEUED, **cleared)
        .execution_options(synchronize_session=False)
    )
    return int(exhausted.rowcount or 0) + int(requeued.rowcount or 0)  # type: ignore[attr-defined]


def claim(
    session: Session,
    *,
    owner: str,
    lease_seconds: float,
    job_id: int | None = None,
    now: datetime | None = None,
) -> Lease | None:
    """Take the oldest queued job (or the given one) for `owner`; None when there is none."""
    now = now or utcnow()
    reclaim_expired(session, now=now)
    stmt = select(IngestJob).where(IngestJob.state == JobState.QUEUED)
    if job_id is not None:
        stmt = stmt.where(IngestJob.id == job_id)
    # PostgreSQL: rows another claimer holds are skipped, never handed out twice. SQLite renders
    # no FOR UPDATE; its BEGIN IMMEDIATE already lets one writer in at a time.
    stmt = stmt.order_by(IngestJob.id).limit(1).with_for_update(skip_locked=True)
    job = session.scalars(stmt.execution_options(populate_existing=True)).first()
    if job is None:
        return None
    job.state = JobState.RUNNING
    job.lease_owner = owner
    job.lease_until = now + timedelta(seconds=lease_seconds)
    job.fence += 1
    job.attempts += 1
    job.updated_at = now
    session.flush()
    return Lease(job.id, owner, job.fence, job.lease_until, job.attempts)


def guard(session: Session, lease: Lease) -> IngestJob:
    """Return the job, locked, while the lease still holds; raise LeaseLost otherwise."""
    stmt = (
        select(IngestJob)
        .where(
            IngestJob.id == lease.job_id,
            IngestJob.fence == lease.fence,
            IngestJob.lease_owner == lease.owner,
            IngestJob.state == JobState.RUNNING,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    job = session.scalars(stmt).first()
    if job is None:
        raise LeaseLost(
            f"job {lease.job_id}: lease {lease.fence} of {lease.owner} is no longer valid "
            "(expired and taken over, or the job ended); its results were not written"
        )
    return job


def heartbeat(
    session: Session, lease: Lease, *, lease_seconds: float, now: datetime | None = None
) -> Lease:
    """Extend the lease; raise LeaseLost when another worker has taken the job."""
    now = now or utcnow()
    job = guard(session, lease)
    job.lease_until = now + timedelta(seconds=lease_seconds)
    job.updated_at = now
    session.flush()
    return Lease(lease.job_id, lease.owner, lease.fence, job.lease_until, lease.attempt)


def complete(
    session: Session, lease: Lease, *, result: dict[str, Any], now: datetime | None = None
) -> IngestJob:
    """Mark the job done with its result (only while the lease holds)."""
    now = now or utcnow()
    job = guard(session, lease)
    job.state = JobState.DONE
    job.result = result
    job.error = None
    _release(job, now)
    return job


def fail(
    session: Session,
    lease: Lease,
    *,
    error: str,
    retry: bool,
    now: datetime | None = None,
) -> IngestJob:
    """Record a failed try: queue the job again while tries remain and `retry`, else fail it."""
    now = now or utcnow()
    job = guard(session, lease)
    job.error = error[:4000]
    if retry and job.attempts < job.max_attempts:
        job.state = JobState.QUEUED
        job.lease_owner = None
        job.lease_until = None
        job.updated_at = now
    else:
        job.state = JobState.FAILED
        _release(job, now)
    session.flush()
    return job


def _release(job: IngestJob, now: datetime) -> None:
    job.lease_owner = None
    job.lease_until = None
    job.finished_at = now
    job.updated_at = now


def list_jobs(
    session: Session, *, state: JobState | None = None, limit: int = 1000
) -> Sequence[IngestJob]:
    """Return jobs, newest first, optionally of one state."""
    stmt = select(IngestJob).order_by(IngestJob.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(IngestJob.state == state)
    return session.scalars(stmt).all()
