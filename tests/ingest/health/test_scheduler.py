"""The health scheduler against real RTSP servers, on both databases: states, restarts, two
schedulers on one database, live-ingested cameras, and `camreg worker` running the checks."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.clock import utcnow
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from config.settings import HealthSettings
from ingest.health.model import CameraHealth, HealthCheck
from ingest.health.schedule import ensure_health_rows
from ingest.health.scheduler import (
    HealthJobs,
    HealthScheduler,
    Ticks,
    picture_tick,
    worker_scheduler,
)
from ingest.health.service import HealthContext
from ingest.health.vocabulary import REACHABILITY_REASONS, CheckTier, HealthState, Reason
from ingest.live import LiveCamera, LiveContext, LiveOptions
from ingest.runtime import IngestRuntime
from ingest.worker import WorkerSupervisor
from tests.builders import make_camera
from tests.support.alerts import SECRET, alert_settings, subscribe
from tests.support.rtsp import RtspTestServer, free_port, wait_until
from tests.support.webhook_receiver import recording_receiver

pytestmark = pytest.mark.rtsp
PERIOD_S = 5.0  # the shortest reachability period the settings allow
FAST_TICKS = Ticks(reachability_s=0.3, picture_s=1.0, live_s=0.5, alerts_s=1.0)


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        health=HealthSettings(
            reachability_interval_s=PERIOD_S,
            picture_interval_s=3600.0,  # pictures are not what these tests watch
            probe_timeout_s=2.0,
            picture_seconds=1.0,
        ),
    )


def _context(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, owner: str
) -> HealthContext:
    return HealthContext(
        session_factory=factory,
        settings=_settings(database_url, tmp_path / "var"),
        cipher=None,
        owner=owner,
    )


@pytest.fixture
def cameras(session_factory: sessionmaker[Session], open_server: RtspTestServer) -> dict[str, int]:
    """Two healthy cameras and two dead ones (closed ports)."""
    with unit_of_work(session_factory) as s:
        return {
            code: make_camera(s, code=code, status="active", stream_url=url).id
            for code, url in [
                ("OK1", open_server.url("/live")),
                ("OK2", open_server.url("/live")),
                ("DEAD1", f"rtsp://127.0.0.1:{free_port()}/a"),
                ("DEAD2", f"rtsp://127.0.0.1:{free_port()}/b"),
            ]
        }


@pytest.fixture
def run_scheduler() -> Iterator[list[HealthScheduler]]:
    """Schedulers started by a test; all stopped at its end."""
    started: list[HealthScheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


def _start(started: list[HealthScheduler], ctx: HealthContext, **jobs: object) -> HealthScheduler:
    scheduler = HealthScheduler(HealthJobs(ctx, **jobs), FAST_TICKS)  # type: ignore[arg-type]
    scheduler.start()
    started.append(scheduler)
    return scheduler


def _states(factory: sessionmaker[Session], ids: dict[str, int]) -> dict[str, HealthState]:
    names = {v: k for k, v in ids.items()}
    with unit_of_work(factory) as s:
        return {names[r.camera_id]: r.state for r in s.scalars(select(CameraHealth))}


def _checks(factory: sessionmaker[Session]) -> dict[int, list[tuple[datetime, str, CheckTier]]]:
    found: dict[int, list[tuple[datetime, str, CheckTier]]] = defaultdict(list)
    with unit_of_work(factory) as s:
        for check in s.scalars(select(HealthCheck).order_by(HealthCheck.checked_at)):
            found[check.camera_id].append((check.checked_at, check.worker or "", check.tier))
    return found


def _assert_spaced(checks: dict[int, list[tuple[datetime, str, CheckTier]]]) -> None:
    """No camera was probed twice within one period (its slot is one per period)."""
    for camera_id, rows in checks.items():
        times = [at for at, _, tier in rows if tier is CheckTier.REACHABILITY]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert all(gap > PERIOD_S * 0.7 for gap in gaps), (camera_id, gaps)


def test_healthy_cameras_go_online_and_dead_ones_offline_after_two_failures(
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    cameras: dict[str, int],
    run_scheduler: list[HealthScheduler],
) -> None:
    _start(run_scheduler, _context(session_factory, database_url, tmp_path, "s1"))
    expected = {
        "OK1": HealthState.ONLINE,
        "OK2": HealthState.ONLINE,
        "DEAD1": HealthState.OFFLINE,
        "DEAD2": HealthState.OFFLINE,
    }
    assert wait_until(lambda: _states(session_factory, cameras) == expected, 30.0), _states(
        session_factory, cameras
    )
    checks = _checks(session_factory)
    # A dead camera was probed (at least) twice before it counted as offline.
    assert len(checks[cameras["DEAD1"]]) >= 2
    _assert_spaced(checks)


def test_a_restarted_scheduler_resumes_the_schedule(
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    cameras: dict[str, int],
    run_scheduler: list[HealthScheduler],
) -> None:
    first = _start(run_scheduler, _context(session_factory, database_url, tmp_path, "before"))
    assert wait_until(lambda: len(_checks(session_factory)) == 4, 15.0)
    first.stop()
    with unit_of_work(session_factory) as s:
        rows = list(s.scalars(select(CameraHealth)))
    for row in rows:
        assert row.reachability_due_at is not None
        assert row.last_reachability_at is not None
        assert row.reachability_due_at > row.last_reachability_at
        assert row.lease_owner is None
    _start(run_scheduler, _context(session_factory, database_url, tmp_path, "after"))
    assert wait_until(lambda: all(len(c) >= 3 for c in _checks(session_factory).values()), 30.0)
    checks = _checks(session_factory)
    assert {worker for rows in checks.values() for _, worker, _ in rows} == {"before", "after"}
    _assert_spaced(checks)


def test_two_schedulers_on_one_database_never_check_a_camera_twice_at_once(
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    cameras: dict[str, int],
    run_scheduler: list[HealthScheduler],
) -> None:
    with unit_of_work(session_factory) as s:
        for i in range(8):
            url = f"rtsp://127.0.0.1:{free_port()}/x{i}"
            cameras[f"MORE{i}"] = make_camera(
                s, code=f"MORE{i}", status="active", stream_url=url
            ).id
    for owner in ("left", "right"):
        _start(run_scheduler, _context(session_factory, database_url, tmp_path, owner))
    assert wait_until(
        lambda: sum(len(c) >= 3 for c in _checks(session_factory).values()) == len(cameras),
        40.0,
    )
    for scheduler in run_scheduler:
        scheduler.stop()
    checks = _checks(session_factory)
    _assert_spaced(checks)
    # Which scheduler wins a claim is a race (on a loaded machine one may win them all); what
    # must hold is that no camera was checked by both within one period.
    assert {worker for rows in checks.values() for _, worker, _ in rows} <= {"left", "right"}


def test_a_camera_ingested_live_reports_instead_of_being_probed(
    engine: Engine,
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    cameras: dict[str, int],
    open_server: RtspTestServer,
    run_scheduler: list[HealthScheduler],
) -> None:
    ctx = _context(session_factory, database_url, tmp_path, "worker-a")
    runtime = IngestRuntime(ctx.settings, engine, session_factory)
    live_ctx = LiveContext(
        session_factory=session_factory,
        recordings_dir=tmp_path / "recordings",
        thumbnail_dir=tmp_path / "thumbnails",
        options=LiveOptions(segment_seconds=2.0, open_timeout_s=5.0, read_timeout_s=3.0),
    )
    streamed = LiveCamera(id=cameras["OK1"], code="OK1", stream_url=open_server.url("/live"))
    supervisor = WorkerSupervisor(runtime, [streamed], live_ctx, run_jobs=False)
    supervisor.start()
    try:
        _start(run_scheduler, ctx, live=supervisor.live_statuses)

        def reported() -> bool:
            with unit_of_work(session_factory) as s:
                row = s.get(CameraHealth, cameras["OK1"])
                return row is not None and row.live_owner == "worker-a"

        assert wait_until(reported, 20.0)
        # The others are probed meanwhile: wait for two rounds of them.
        assert wait_until(lambda: len(_checks(session_factory)[cameras["OK2"]]) >= 2, 20.0)
    finally:
        for scheduler in run_scheduler:
            scheduler.stop()
        supervisor.request_stop()
        supervisor.join(30)
    checks = _checks(session_factory)
    # Never probed (its picture may be judged, if its slot fell within the test).
    assert {tier for _, _, tier in checks[cameras["OK1"]]} - {CheckTier.PICTURE} == {CheckTier.LIVE}
    assert {tier for _, _, tier in checks[cameras["OK2"]]} == {CheckTier.REACHABILITY}
    with unit_of_work(session_factory) as s:
        row = s.get(CameraHealth, cameras["OK1"])
        assert row is not None
        assert row.state is HealthState.ONLINE
        assert row.last_frame_at is not None
        assert row.live_until is not None
        assert row.live_until > row.last_frame_at


@pytest.mark.parametrize("period_s", [5.0, 10.0, 120.0])
def test_live_cameras_report_often_enough_to_stay_known(
    engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path, period_s: float
) -> None:
    settings = Settings(data_dir=tmp_path, health=HealthSettings(reachability_interval_s=period_s))
    runtime = IngestRuntime(settings, engine, session_factory)
    scheduler = worker_scheduler(runtime, codes=[], live=lambda: [])
    # A state goes unknown after `unknown_after_missed` periods without a report; reports come
    # every report_s, late by up to one live tick.
    stale_s = period_s * settings.health.unknown_after_missed
    assert scheduler.jobs.reporter.report_s + Ticks().live_s <= stale_s


@pytest.mark.parametrize("health", [True, False])
def test_camreg_worker_runs_the_checks_unless_told_not_to(
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    health: bool,
) -> None:
    with unit_of_work(session_factory) as s:
        # In maintenance: not streamed, but checked.
        make_camera(
            s, code="FIX", status="maintenance", stream_url=f"rtsp://127.0.0.1:{free_port()}/x"
        )
    env = {
        "CAMREG_DATABASE_URL": database_url,
        "CAMREG_DATA_DIR": str(tmp_path / "var"),
        "CAMREG_HEALTH__REACHABILITY_INTERVAL_S": "5",
    }
    flag = "--health" if health else "--no-health"
    # The first probe comes at the camera's slot, within one 5 s period (plus a 2 s tick).
    result = CliRunner(env=env).invoke(
        app, ["worker", "--no-jobs", flag, "--once-seconds", "12", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    with unit_of_work(session_factory) as s:
        checks = list(s.scalars(select(HealthCheck)))
    assert (len(checks) > 0) is health
    assert all(c.reasons == ["unreachable"] for c in checks)


def test_the_picture_tick_judges_every_due_camera_a_few_at_a_time(
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    cameras: dict[str, int],
) -> None:
    ctx = _context(session_factory, database_url, tmp_path, "pictures")
    with unit_of_work(session_factory) as s:
        ensure_health_rows(s, settings=ctx.settings.health, now=utcnow())
        for row in s.scalars(select(CameraHealth)):
            row.picture_due_at = utcnow() - timedelta(seconds=1)
        # Ingested live: not probed, but a stream with frames can still be black or frozen.
        live = s.get(CameraHealth, cameras["OK1"])
        assert live is not None
        live.live_owner, live.live_until = "another-worker", utcnow() + timedelta(minutes=5)
    stored = picture_tick(HealthJobs(ctx))
    by_code = {s.result.camera_code: s for s in stored}
    assert sorted(by_code) == ["DEAD1", "DEAD2", "OK1", "OK2"]
    assert by_code["DEAD1"].result.reasons == (Reason.UNREACHABLE,)
    for code in ("OK1", "OK2"):
        result = by_code[code].result
        assert result.tier is CheckTier.PICTURE
        assert not set(result.reasons) & REACHABILITY_REASONS
    with unit_of_work(session_factory) as s:
        rows = list(s.scalars(select(CameraHealth)))
    now = utcnow()
    for row in rows:
        assert row.picture_due_at is not None
        assert row.picture_due_at > now
        assert row.lease_owner is None
    # Nothing is due any more: a second tick finds no work.
    assert picture_tick(HealthJobs(ctx)) == []


def test_the_alerts_tick_sends_one_signed_webhook_per_incident(
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    run_scheduler: list[HealthScheduler],
) -> None:
    settings = alert_settings(
        database_url,
        tmp_path / "var",
        reachability_interval_s=PERIOD_S,
        picture_interval_s=3600.0,
        probe_timeout_s=2.0,
    )
    with recording_receiver() as receiver:
        with unit_of_work(session_factory) as s:
            dead = make_camera(
                s, code="GONE", status="active", stream_url=f"rtsp://127.0.0.1:{free_port()}/x"
            )
            subscribe(s, settings, "ops", receiver.url)
        ctx = HealthContext(session_factory, settings, cipher=None, owner="alerts")
        _start(run_scheduler, ctx)
        assert wait_until(lambda: len(receiver.received) >= 1, 30.0)
        # Two more probes of the dead camera: still one incident, still one message.
        assert wait_until(lambda: len(_checks(session_factory)[dead.id]) >= 4, 30.0)
        time.sleep(FAST_TICKS.alerts_s * 2)
    (message,) = receiver.received
    body = message.json()
    assert message.signature_ok(SECRET)
    assert body["camera"]["code"] == "GONE", body
    assert body["state"] == "offline"
    assert body["reasons"] == ["unreachable"]
