"""The job queue: dedupe, leases, expiry, fencing and concurrent claimers, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import IngestJob, JobState
from ingest.jobs import queue
from ingest.jobs.queue import Lease, LeaseLost

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _enqueue(factory: sessionmaker[Session], key: str, max_attempts: int = 3) -> int:
    with unit_of_work(factory) as s:
        job, created = queue.enqueue(
            s,
            kind="file",
            payload={"key": key},
            dedupe_key=key,
            created_by="test",
            max_attempts=max_attempts,
            now=T0,
        )
        assert created
        return job.id


def _claim(
    factory: sessionmaker[Session], owner: str, now: datetime = T0, lease_s: float = 60
) -> Lease | None:
    with unit_of_work(factory) as s:
        return queue.claim(s, owner=owner, lease_seconds=lease_s, now=now)


def _job(factory: sessionmaker[Session], job_id: int) -> IngestJob:
    with unit_of_work(factory) as s:
        job = s.get(IngestJob, job_id)
        assert job is not None
        return job


def test_enqueue_dedupes_by_key_and_requeues_failed(session_factory: sessionmaker[Session]) -> None:
    first = _enqueue(session_factory, "file:abc")
    with unit_of_work(session_factory) as s:
        again, created = queue.enqueue(
            s, kind="file", payload={}, dedupe_key="file:abc", created_by="t"
        )
        assert (again.id, created) == (first, False)
    lease = _claim(session_factory, "w1")
    assert lease is not None
    with unit_of_work(session_factory) as s:
        queue.fail(s, lease, error="bad start", retry=False, now=T0)
    assert _job(session_factory, first).state == JobState.FAILED
    with unit_of_work(session_factory) as s:
        again, created = queue.enqueue(
            s, kind="file", payload={"v": 2}, dedupe_key="file:abc", created_by="t"
        )
        assert (again.id, created) == (first, True)
    job = _job(session_factory, first)
    assert (job.state, job.attempts, job.payload, job.error) == (JobState.QUEUED, 0, {"v": 2}, None)


def test_claim_takes_oldest_and_leases_with_growing_fence(
    session_factory: sessionmaker[Session],
) -> None:
    a = _enqueue(session_factory, "a")
    b = _enqueue(session_factory, "b")
    first = _claim(session_factory, "w1")
    second = _claim(session_factory, "w2")
    assert first is not None
    assert second is not None
    assert (first.job_id, second.job_id) == (a, b)
    assert first.fence == 1
    assert first.until == T0 + timedelta(seconds=60)
    assert _claim(session_factory, "w3") is None
    job = _job(session_factory, a)
    assert (job.state, job.lease_owner, job.attempts) == (JobState.RUNNING, "w1", 1)


def test_expired_lease_is_reclaimed_and_old_owner_is_fenced_out(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = _enqueue(session_factory, "a")
    old = _claim(session_factory, "w1")
    assert old is not None
    assert _claim(session_factory, "w2", now=T0 + timedelta(seconds=30)) is None
    new = _claim(session_factory, "w2", now=T0 + timedelta(seconds=61))
    assert new is not None
    assert new.job_id == job_id
    assert new.fence == old.fence + 1
    for write in (
        lambda s: queue.heartbeat(s, old, lease_seconds=60),
        lambda s: queue.complete(s, old, result={"stale": True}),
        lambda s: queue.fail(s, old, error="x", retry=True),
    ):
        with pytest.raises(LeaseLost), unit_of_work(session_factory) as s:
            write(s)
    with unit_of_work(session_factory) as s:
        queue.complete(s, new, result={"events": 3})
    job = _job(session_factory, job_id)
    assert (job.state, job.result, job.lease_owner, job.attempts) == (
        JobState.DONE,
        {"events": 3},
        None,
        2,
    )


def test_heartbeat_keeps_the_lease(session_factory: sessionmaker[Session]) -> None:
    _enqueue(session_factory, "a")
    lease = _claim(session_factory, "w1")
    assert lease is not None
    with unit_of_work(session_factory) as s:
        lease = queue.heartbeat(s, lease, lease_seconds=60, now=T0 + timedelta(seconds=50))
    assert lease.until == T0 + timedelta(seconds=110)
    assert _claim(session_factory, "w2", now=T0 + timedelta(seconds=100)) is None


def test_retry_until_attempts_run_out(session_factory: sessionmaker[Session]) -> None:
    job_id = _enqueue(session_factory, "a", max_attempts=2)
    for expected in (JobState.QUEUED, JobState.FAILED):
        lease = _claim(session_factory, "w1")
        assert lease is not None
        with unit_of_work(session_factory) as s:
            queue.fail(s, lease, error="disk full", retry=True)
        assert _job(session_factory, job_id).state == expected
    assert _job(session_factory, job_id).error == "disk full"


def test_expiry_on_last_try_fails_the_job(session_factory: sessionmaker[Session]) -> None:
    job_id = _enqueue(session_factory, "a", max_attempts=1)
    assert _claim(session_factory, "w1") is not None
    assert _claim(session_factory, "w2", now=T0 + timedelta(minutes=5)) is None
    job = _job(session_factory, job_id)
    assert job.state == JobState.FAILED
    assert "lease expired" in (job.error or "")


def test_concurrent_claimers_never_share_a_job(session_factory: sessionmaker[Session]) -> None:
    ids = {_enqueue(session_factory, f"k{i}") for i in range(12)}
    taken: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (lease := _claim(session_factory, name, now=datetime.now(UTC))) is not None:
            with lock:
                taken.append(lease.job_id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(taken) == sorted(ids)


def test_postgres_skips_a_row_another_claimer_holds(
    session_factory: sessionmaker[Session],
) -> None:
    if session_factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL feature; SQLite serialises whole transactions")
    a = _enqueue(session_factory, "a")
    b = _enqueue(session_factory, "b")
    with unit_of_work(session_factory) as holder:
        first = queue.claim(holder, owner="w1", lease_seconds=60)
        # The first claim is not committed yet; a second claimer must not wait for it or take it.
        second = _claim(session_factory, "w2", now=datetime.now(UTC))
        assert first is not None
        assert second is not None
        assert (first.job_id, second.job_id) == (a, b)
    with unit_of_work(session_factory) as s:
        rows = s.execute(select(IngestJob.id, IngestJob.lease_owner)).all()
    assert {row[0]: row[1] for row in rows} == {a: "w1", b: "w2"}
