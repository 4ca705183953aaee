"""The health checks of a worker: plain job functions, scheduled in one place with APScheduler.

Each tick claims what is due in the database (leases with fencing), so the schedule survives a
restart and several schedulers (threads, processes, machines) never check one camera at once.
Jobs run with max_instances=1 and coalesce: a slow tick is never stacked behind itself.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from sqlalchemy import select

from camera_registry.camera.model import Camera
from camera_registry.db.unit_of_work import unit_of_work
from ingest.health.dispatch import dispatch_due
from ingest.health.live_report import REPORT_S, LiveReporter, LiveStatus
from ingest.health.outbox import enqueue_down_long
from ingest.health.retention import PruneSummary, prune_history
from ingest.health.schedule import Claim, claim_due, ensure_health_rows
from ingest.health.service import HealthContext, picture_pool, reachability_round, store
from ingest.health.store import Stored
from ingest.health.vocabulary import CheckTier
from ingest.runtime import IngestRuntime
from ingest.worker import credential_cipher

log = logging.getLogger(__name__)

Scope = Callable[[], Collection[int] | None]  # ids of the cameras this worker covers (None: all)
LiveSource = Callable[[], Sequence[tuple[int, str, LiveStatus]]]


@dataclass
class HealthJobs:
    """What the health jobs of one worker share."""

    ctx: HealthContext
    scope: Scope = lambda: None
    live: LiveSource | None = None
    reporter: LiveReporter = field(default_factory=LiveReporter)
    # Set when the scheduler stops: long-running ticks end after their current check.
    stopping: threading.Event = field(default_factory=threading.Event)

    def streamed(self) -> list[int]:
        """Return the ids of cameras this worker ingests live (they report, never probed)."""
        return [camera_id for camera_id, _, _ in self.live()] if self.live is not None else []


def reachability_tick(jobs: HealthJobs) -> list[Stored]:
    """Claim the cameras due for a reachability probe, probe them at once, store the results."""
    ctx, health = jobs.ctx, jobs.ctx.settings.health
    limit = health.max_concurrent_probes
    scope = jobs.scope()
    with unit_of_work(ctx.session_factory) as session:
        now = ctx.clock()
        ensure_health_rows(session, settings=health, now=now, camera_ids=scope)
        claims = claim_due(
            session,
            tier=CheckTier.REACHABILITY,
            owner=ctx.owner,
            now=now,
            limit=limit,
            lease_s=ctx.reachability_lease_s(limit),
            camera_ids=scope,
            exclude_ids=jobs.streamed(),
        )
    return reachability_round(ctx, claims)


def picture_tick(jobs: HealthJobs) -> list[Stored]:
    """Judge the pictures of every camera due, `max_concurrent_pictures` at a time."""
    ctx = jobs.ctx

    def next_claims() -> list[Claim] | None:
        with unit_of_work(ctx.session_factory) as session:
            claims = claim_due(
                session,
                tier=CheckTier.PICTURE,
                owner=ctx.owner,
                now=ctx.clock(),
                limit=1,
                lease_s=ctx.picture_lease_s(),
                camera_ids=jobs.scope(),
            )
        return claims or None

    return picture_pool(ctx, next_claims, jobs.stopping)


def live_tick(jobs: HealthJobs) -> list[Stored]:
    """Store what the worker's live pipelines report (instead of probing those cameras)."""
    if jobs.live is None:
        return []
    results = jobs.reporter.collect(jobs.live(), jobs.ctx.clock())
    # No claims: live reports come from the one worker ingesting the stream.
    return store(jobs.ctx, results, claims=None)


def alerts_tick(jobs: HealthJobs) -> None:
    """Enqueue "down too long" alerts and send the deliveries that are due."""
    ctx = jobs.ctx
    with unit_of_work(ctx.session_factory) as session:
        enqueue_down_long(session, ctx.settings.health, ctx.clock())
    dispatch_due(ctx.session_factory, ctx.settings, ctx.clock())


def prune_tick(jobs: HealthJobs) -> PruneSummary:
    """Delete check history and snapshots older than the retention settings."""
    ctx = jobs.ctx
    return prune_history(ctx.session_factory, ctx.settings, ctx.clock())


@dataclass(frozen=True)
class Ticks:
    """How often each job runs, in seconds (checks themselves are as due in the database)."""

    reachability_s: float = 2.0
    picture_s: float = 5.0
    live_s: float = 5.0
    alerts_s: float = 5.0
    prune_s: float = 3600.0  # retention is by days: hourly keeps each batch run short


class HealthScheduler:
    """Run the health jobs in background threads until `stop`."""

    def __init__(self, jobs: HealthJobs, ticks: Ticks | None = None) -> None:
        self.jobs = jobs
        self.ticks = ticks or Ticks()
        self._scheduler = BackgroundScheduler(timezone=UTC)
        # Ticks run every second or two: APScheduler's per-run INFO lines would drown the
        # worker's log, and a tick skipped because the previous one still runs is by design.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
        plan: list[tuple[Callable[[HealthJobs], object], float]] = [
            (reachability_tick, self.ticks.reachability_s),
            (picture_tick, self.ticks.picture_s),
            (alerts_tick, self.ticks.alerts_s),
            (prune_tick, self.ticks.prune_s),
        ]
        if jobs.live is not None:
            plan.append((live_tick, self.ticks.live_s))
        for func, seconds in plan:
            self._scheduler.add_job(
                func,
                "interval",
                seconds=seconds,
                args=[jobs],
                id=func.__name__,
                max_instances=1,
                coalesce=True,
                next_run_time=jobs.ctx.clock(),
                misfire_grace_time=None,
            )

    def start(self) -> None:
        """Start the jobs (the first ticks run at once)."""
        self._scheduler.start()
        log.info("health: checks scheduled (owner %s)", self.jobs.ctx.owner)

    def stop(self, wait: bool = True) -> None:
        """Stop the jobs; with `wait`, let running ticks finish and store their results."""
        self.jobs.stopping.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)


def worker_scheduler(
    runtime: IngestRuntime,
    *,
    codes: Sequence[str],
    live: LiveSource | None,
    ticks: Ticks | None = None,
) -> HealthScheduler:
    """Return the health scheduler of `camreg worker` over its cameras (`codes`, or all)."""
    scope_ids: list[int] | None = None
    if codes:
        with unit_of_work(runtime.session_factory) as session:
            scope_ids = list(session.scalars(select(Camera.id).where(Camera.code.in_(codes))))
    ctx = HealthContext(
        session_factory=runtime.session_factory,
        settings=runtime.settings,
        cipher=credential_cipher(runtime),
        owner=f"worker:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
    )
    # A live camera reports at least once per reachability period: a state holds for
    # `unknown_after_missed` periods, so slower reports would flip it to unknown and back.
    reporter = LiveReporter(report_s=min(REPORT_S, runtime.settings.health.reachability_interval_s))
    jobs = HealthJobs(ctx, scope=lambda: scope_ids, live=live, reporter=reporter)
    return HealthScheduler(jobs, ticks)
