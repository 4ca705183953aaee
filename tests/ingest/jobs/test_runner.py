"""The job runner: lease renewal while decoding, unknown job kinds, draining the queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.clock import utcnow
from config import load_settings
from ingest.events.model import IngestJob, JobState
from ingest.jobs import queue
from ingest.jobs.queue import LeaseLost
from ingest.jobs.runner import LeaseKeeper, run_pending_jobs
from ingest.runtime import IngestRuntime


@pytest.fixture
def runtime(
    database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> Iterator[IngestRuntime]:
    """A runtime on the test database (emptied after the test through `session_factory`)."""
    rt = IngestRuntime.from_settings(
        load_settings(database_url=database_url, data_dir=tmp_path / "var")
    )
    yield rt
    rt.close()


def _enqueue(rt: IngestRuntime, kind: str = "file") -> int:
    with rt.unit() as s:
        job, _ = queue.enqueue(s, kind=kind, payload={}, dedupe_key=f"{kind}:1", created_by="t")
        return job.id


def test_keeper_renews_the_lease_and_stops_when_it_is_taken_over(
    runtime: IngestRuntime,
) -> None:
    _enqueue(runtime)
    with runtime.unit() as s:
        lease = queue.claim(s, owner="w1", lease_seconds=30, now=utcnow() - timedelta(seconds=20))
    assert lease is not None
    seen: list[float] = []
    keeper = LeaseKeeper(runtime, lease, seen.append, every_s=0)
    keeper(1.5)
    assert seen == [1.5]
    assert keeper.lease.until > lease.until
    with runtime.unit() as s:
        # An operator's clock jump, or a long stall: another worker takes the job over.
        s.get(IngestJob, lease.job_id).lease_until = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    with runtime.unit() as s:
        assert queue.claim(s, owner="w2", lease_seconds=30) is not None
    with pytest.raises(LeaseLost):
        keeper(2.0)


def test_unknown_job_kind_fails_without_retry(runtime: IngestRuntime) -> None:
    job_id = _enqueue(runtime, kind="mystery")
    [outcome] = run_pending_jobs(runtime, owner="w1", stop_after=None)
    assert outcome.state == "failed"
    assert "unknown job kind" in (outcome.error or "")
    with runtime.unit() as s:
        job = s.get(IngestJob, job_id)
        assert job is not None
        assert (job.state, job.attempts) == (JobState.FAILED, 1)


def test_stop_after_limits_the_jobs_run(runtime: IngestRuntime) -> None:
    for n in range(3):
        with runtime.unit() as s:
            queue.enqueue(s, kind="mystery", payload={}, dedupe_key=f"k{n}", created_by="t")
    assert len(run_pending_jobs(runtime, owner="w1", stop_after=2)) == 2
    assert len(run_pending_jobs(runtime, owner="w1", stop_after=None)) == 1
    assert run_pending_jobs(runtime, owner="w1", stop_after=None) == []
