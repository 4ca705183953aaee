"""Read side of camera health: current states, check history, timelines, snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.actor import Actor, Scope
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import CameraStatus
from camera_registry.errors import InvalidInput, NotFound, PermissionDenied
from config.settings import HealthSettings
from ingest.health.reading import (
    camera_detail,
    camera_intervals,
    list_checks,
    list_states,
    snapshot_file,
    stored_file,
)
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.health_builders import (
    jpeg,
    make_check,
    make_health,
    make_interval,
    make_timeline,
    make_watched_camera,
)

NOW = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)
HEALTH = HealthSettings()  # checks every 2 min; unknown after 3 missed = 6 min
INVESTIGATOR = Actor(name="inv", role=Role.INVESTIGATOR, case_number="HS-7")


def ago(minutes: float) -> datetime:
    """Return NOW minus some minutes."""
    return NOW - timedelta(minutes=minutes)


def test_states_problems_first_longest_first_with_counts(session: Session) -> None:
    fine = make_watched_camera(session, code="A-FINE")
    short = make_watched_camera(session, code="B-SHORT")
    long = make_watched_camera(session, code="C-LONG")
    stale = make_watched_camera(session, code="D-STALE")
    make_watched_camera(session, code="E-NEVER")
    live = make_watched_camera(session, code="F-LIVE")
    make_health(session, fine, state=HealthState.ONLINE, since=ago(600), checked_at=ago(1))
    make_health(
        session,
        short,
        state=HealthState.DEGRADED,
        reasons=[Reason.FROZEN],
        since=ago(10),
        checked_at=ago(1),
    )
    make_health(
        session,
        long,
        state=HealthState.OFFLINE,
        reasons=[Reason.AUTH_FAILED],
        since=ago(300),
        checked_at=ago(2),
    )
    # Last checked 20 minutes ago: unknown since 14 minutes ago (20 - 6).
    make_health(session, stale, state=HealthState.ONLINE, since=ago(900), checked_at=ago(20))
    # Not probed for an hour but a worker reports it live.
    make_health(
        session,
        live,
        state=HealthState.ONLINE,
        since=ago(900),
        checked_at=ago(60),
        live_owner="worker-1",
        live_until=NOW + timedelta(minutes=1),
        last_frame_at=ago(0.1),
        live_fps=9.5,
    )

    listing = list_states(session, actor=INVESTIGATOR, health=HEALTH, now=NOW)

    order = [(i.camera, i.state) for i in listing.items]
    assert order == [
        ("C-LONG", HealthState.OFFLINE),
        ("D-STALE", HealthState.UNKNOWN),
        ("B-SHORT", HealthState.DEGRADED),
        ("E-NEVER", HealthState.UNKNOWN),
        ("A-FINE", HealthState.ONLINE),
        ("F-LIVE", HealthState.ONLINE),
    ]
    by_code = {i.camera: i for i in listing.items}
    assert by_code["C-LONG"].reasons == [Reason.AUTH_FAILED]
    assert by_code["C-LONG"].duration_s == 300 * 60
    assert by_code["D-STALE"].since == ago(14)
    assert by_code["D-STALE"].reasons == []
    assert by_code["E-NEVER"].since is None
    assert by_code["E-NEVER"].last_check_at is None
    assert by_code["F-LIVE"].live is not None
    assert by_code["F-LIVE"].live.fps == 9.5
    assert by_code["A-FINE"].live is None
    assert by_code["A-FINE"].latency_ms == 12.5
    assert listing.counts == {
        HealthState.ONLINE: 2,
        HealthState.DEGRADED: 1,
        HealthState.OFFLINE: 1,
        HealthState.UNKNOWN: 2,
    }
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "health.search")).all()
    assert len(audit) == 1
    assert audit[0].case_number == "HS-7"


def test_state_and_reason_filters_and_scope(session: Session) -> None:
    a = make_watched_camera(session, code="A", ward_code="26506")
    b = make_watched_camera(session, code="B", ward_code="26526")
    make_health(
        session,
        a,
        state=HealthState.DEGRADED,
        reasons=[Reason.BLURRED],
        since=ago(5),
        checked_at=ago(1),
    )
    make_health(
        session,
        b,
        state=HealthState.OFFLINE,
        reasons=[Reason.TIMEOUT],
        since=ago(5),
        checked_at=ago(1),
    )
    offline = list_states(
        session, actor=INVESTIGATOR, health=HEALTH, now=NOW, states=[HealthState.OFFLINE]
    )
    assert [i.camera for i in offline.items] == ["B"]
    blurred = list_states(
        session, actor=INVESTIGATOR, health=HEALTH, now=NOW, reasons=[Reason.BLURRED]
    )
    assert [i.camera for i in blurred.items] == ["A"]
    scoped = Actor(name="k", role=Role.INTEGRATION, scope=Scope(ward_codes=frozenset({"26526"})))
    listing = list_states(session, actor=scoped, health=HEALTH, now=NOW)
    assert [i.camera for i in listing.items] == ["B"]
    assert sum(listing.counts.values()) == 1


def test_reading_health_needs_the_permission(session: Session) -> None:
    auditor = Actor(name="aud", role=Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        list_states(session, actor=auditor, health=HEALTH, now=NOW)


def test_checks_newest_first_paged_and_filtered(session: Session) -> None:
    cam = make_watched_camera(session, code="CAM")
    other = make_watched_camera(session, code="OTHER")
    for minute in range(10):
        make_check(
            session, cam, at=ago(minute * 2), reasons=[Reason.TIMEOUT] if minute == 3 else []
        )
    make_check(session, cam, at=ago(5), tier=CheckTier.PICTURE, reasons=[Reason.BLACK])
    make_check(session, other, at=ago(1))

    first = list_checks(session, code="CAM", actor=INVESTIGATOR, limit=4)
    assert [c.checked_at for c in first.items] == [ago(0), ago(2), ago(4), ago(5)]
    assert first.next_cursor is not None
    second = list_checks(session, code="CAM", actor=INVESTIGATOR, limit=4, cursor=first.next_cursor)
    assert [c.checked_at for c in second.items] == [ago(6), ago(8), ago(10), ago(12)]
    assert second.items[0].reasons == [Reason.TIMEOUT]
    assert second.items[0].state == HealthState.OFFLINE
    rest = list_checks(session, code="CAM", actor=INVESTIGATOR, limit=4, cursor=second.next_cursor)
    assert len(rest.items) == 3
    assert rest.next_cursor is None

    pictures = list_checks(
        session, code="CAM", actor=INVESTIGATOR, limit=10, tier=CheckTier.PICTURE
    )
    assert [(c.tier, c.reasons) for c in pictures.items] == [(CheckTier.PICTURE, [Reason.BLACK])]
    window = list_checks(
        session, code="CAM", actor=INVESTIGATOR, limit=10, start=ago(6), end=ago(2)
    )
    assert [c.checked_at for c in window.items] == [ago(4), ago(5), ago(6)]
    with pytest.raises(InvalidInput, match="cursor"):
        list_checks(session, code="CAM", actor=INVESTIGATOR, limit=4, cursor="bm9wZQ")


def test_intervals_clip_fill_unknown_and_end_open_state_at_last_check(session: Session) -> None:
    cam = make_watched_camera(session, code="CAM")
    start = ago(120)
    # online 30 min, then nothing known for 10 min, offline 20 min, then degraded still going.
    make_interval(session, cam, HealthState.ONLINE, ago(150), ago(90))
    make_interval(session, cam, HealthState.OFFLINE, ago(80), ago(60), [Reason.UNREACHABLE])
    make_interval(session, cam, HealthState.DEGRADED, ago(60), None, [Reason.FROZEN])
    # Checks stopped 30 minutes ago: the open state holds until 24 minutes ago.
    make_health(session, cam, state=HealthState.DEGRADED, since=ago(60), checked_at=ago(30))

    timeline = camera_intervals(
        session, code="CAM", actor=INVESTIGATOR, health=HEALTH, start=start, end=NOW, now=NOW
    )

    spans = [(i.state, i.start, i.end, i.recorded, i.ongoing) for i in timeline.intervals]
    assert spans == [
        (HealthState.ONLINE, ago(120), ago(90), True, False),
        (HealthState.UNKNOWN, ago(90), ago(80), False, False),
        (HealthState.OFFLINE, ago(80), ago(60), True, False),
        (HealthState.DEGRADED, ago(60), ago(24), True, False),
        (HealthState.UNKNOWN, ago(24), NOW, False, False),
    ]
    assert timeline.intervals[3].reasons == [Reason.FROZEN]


def test_open_interval_of_a_fresh_camera_runs_to_now(session: Session) -> None:
    cam = make_watched_camera(session, code="CAM")
    make_timeline(session, cam, ago(30), [(HealthState.OFFLINE, 10), (HealthState.ONLINE, -1)])
    make_health(session, cam, state=HealthState.ONLINE, since=ago(20), checked_at=ago(1))
    detail = camera_detail(session, code="CAM", actor=INVESTIGATOR, health=HEALTH, now=NOW)
    last = detail.timeline.intervals[-1]
    assert (last.state, last.start, last.end, last.ongoing) == (
        HealthState.ONLINE,
        ago(20),
        NOW,
        True,
    )
    assert detail.timeline.intervals[0].state == HealthState.UNKNOWN  # before the first record
    assert detail.current.state == HealthState.ONLINE


def test_interval_window_is_checked(session: Session) -> None:
    make_watched_camera(session, code="CAM")
    with pytest.raises(InvalidInput, match="after its start"):
        camera_intervals(
            session, code="CAM", actor=INVESTIGATOR, health=HEALTH, start=NOW, end=ago(5)
        )
    with pytest.raises(InvalidInput, match="longer than"):
        camera_intervals(
            session,
            code="CAM",
            actor=INVESTIGATOR,
            health=HEALTH,
            start=NOW - timedelta(days=500),
            end=NOW,
        )
    with pytest.raises(InvalidInput, match="zone"):
        camera_intervals(
            session,
            code="CAM",
            actor=INVESTIGATOR,
            health=HEALTH,
            start=datetime(2026, 3, 1),  # noqa: DTZ001 - the naive time under test
            end=NOW,
        )


def test_snapshot_is_served_from_the_data_folder_only(session: Session, tmp_path: Path) -> None:
    cam = make_watched_camera(session, code="CAM")
    picture = make_check(
        session, cam, at=ago(3), tier=CheckTier.PICTURE, snapshot=jpeg(), data_dir=tmp_path
    )
    reach = make_check(session, cam, at=ago(2))
    path = snapshot_file(session, check_id=picture.id, actor=INVESTIGATOR, data_dir=tmp_path)
    assert path.read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(NotFound, match="no snapshot"):
        snapshot_file(session, check_id=reach.id, actor=INVESTIGATOR, data_dir=tmp_path)
    evil = make_check(session, cam, at=ago(1), snapshot_path="../../etc/passwd")
    with pytest.raises(NotFound, match="outside the data folder"):
        snapshot_file(session, check_id=evil.id, actor=INVESTIGATOR, data_dir=tmp_path)
    with pytest.raises(NotFound, match="outside the data folder"):
        stored_file(tmp_path, "/etc/passwd")
    outsider = Actor(name="k", role=Role.INTEGRATION, scope=Scope(camera_codes=frozenset({"X"})))
    with pytest.raises(NotFound, match="no check"):
        snapshot_file(session, check_id=picture.id, actor=outsider, data_dir=tmp_path)


def test_listings_show_installed_cameras_unless_asked_for_others(session: Session) -> None:
    make_watched_camera(session, code="ACTIVE")
    make_watched_camera(session, code="REPAIR", status="maintenance")
    make_watched_camera(session, code="PLANNED", status="planned")
    make_watched_camera(session, code="GONE", status="decommissioned")
    listing = list_states(session, actor=INVESTIGATOR, health=HEALTH, now=NOW)
    # Planned and retired cameras are never checked: listed by default they would read
    # "unknown" forever and swell the problems list.
    assert sorted(i.camera for i in listing.items) == ["ACTIVE", "REPAIR"]
    assert sum(listing.counts.values()) == 2
    by_code = list_states(session, actor=INVESTIGATOR, health=HEALTH, now=NOW, codes=["GONE"])
    assert [i.camera for i in by_code.items] == ["GONE"]
    by_status = list_states(
        session, actor=INVESTIGATOR, health=HEALTH, now=NOW, status=[CameraStatus.PLANNED]
    )
    assert [i.camera for i in by_status.items] == ["PLANNED"]
