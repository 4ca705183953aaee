"""Availability per camera, ward and city: state seconds, incidents, outages, recorded footage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.actor import Actor
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import CameraStatus
from camera_registry.errors import InvalidInput
from config.settings import HealthSettings
from ingest.health.availability import availability
from ingest.health.vocabulary import HealthState
from tests.health_builders import make_health, make_recorded, make_timeline, make_watched_camera

NOW = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)
HEALTH = HealthSettings()  # unknown 6 minutes after the last check
ACTOR = Actor(name="inv", role=Role.INVESTIGATOR, case_number="HS-9")
ON, DEG, OFF = HealthState.ONLINE, HealthState.DEGRADED, HealthState.OFFLINE


def at(minutes: float) -> datetime:
    """Return the window start (NOW - 100 min) plus some minutes."""
    return NOW - timedelta(minutes=100) + timedelta(minutes=minutes)


def test_one_camera_state_seconds_incidents_outage_and_footage(session: Session) -> None:
    cam = make_watched_camera(session, code="CAM", ward_code="26506")
    # Starts before the window: online -20..10, offline 10..20, degraded 20..25 (same incident),
    # offline 25..40, online 40..60, degraded 60..70, online 70.. still going (fresh checks).
    make_timeline(
        session,
        cam,
        at(-20),
        [(ON, 30), (OFF, 10), (DEG, 5), (OFF, 15), (ON, 20), (DEG, 10), (ON, -1)],
    )
    make_health(session, cam, state=ON, since=at(70), checked_at=NOW - timedelta(minutes=1))
    make_recorded(session, cam, at(-10), at(30))
    make_recorded(session, cam, at(90), at(130))  # runs past the window end

    report = availability(session, actor=ACTOR, health=HEALTH, start=at(0), end=NOW, now=NOW)

    row = report.cameras[0]
    assert row.camera == "CAM"
    assert row.seconds == {ON: 60 * 60.0, DEG: 15 * 60.0, OFF: 25 * 60.0, HealthState.UNKNOWN: 0}
    assert row.share[ON] == pytest.approx(0.6)
    assert row.incidents == 2
    assert row.longest_outage_s == 15 * 60.0
    assert row.recorded_s == pytest.approx(40 * 60.0, abs=0.01)
    assert row.recorded_share == pytest.approx(0.4, abs=1e-5)
    assert report.window_s == 100 * 60.0
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "health.availability"))
    assert [a.case_number for a in audit] == ["HS-9"]


def test_stopped_checks_end_the_open_state_and_the_rest_is_unknown(session: Session) -> None:
    cam = make_watched_camera(session, code="CAM")
    make_timeline(session, cam, at(10), [(OFF, -1)])
    # Last check at 50: offline known until 56, then unknown. Before 10 nothing is known.
    make_health(session, cam, state=OFF, since=at(10), checked_at=at(50))
    report = availability(session, actor=ACTOR, health=HEALTH, start=at(0), end=NOW, now=NOW)
    row = report.cameras[0]
    assert row.seconds[OFF] == pytest.approx(46 * 60.0)
    assert row.seconds[HealthState.UNKNOWN] == pytest.approx(54 * 60.0)
    assert row.longest_outage_s == pytest.approx(46 * 60.0)
    assert row.incidents == 1


def test_wards_and_city_add_up(session: Session) -> None:
    a = make_watched_camera(session, code="A", ward_code="26506")
    b = make_watched_camera(session, code="B", ward_code="26506")
    c = make_watched_camera(session, code="C", ward_code="26526")
    make_watched_camera(session, code="D")  # no ward, never checked: all unknown
    for cam, steps in ((a, [(ON, 100)]), (b, [(ON, 50), (OFF, 50)]), (c, [(DEG, 100)])):
        make_timeline(session, cam, at(0), steps)
    report = availability(session, actor=ACTOR, health=HEALTH, start=at(0), end=NOW, now=NOW)
    wards = {w.ward: w for w in report.wards}
    assert list(wards) == ["26506", "26526", None]
    assert wards["26506"].cameras == 2
    assert wards["26506"].seconds[ON] == 150 * 60.0
    assert wards["26506"].share[ON] == pytest.approx(0.75)
    assert wards["26506"].incidents == 1
    assert wards["26526"].share[DEG] == 1.0
    assert wards[None].share[HealthState.UNKNOWN] == 1.0
    assert report.city.cameras == 4
    assert report.city.seconds == {
        ON: 150 * 60.0,
        DEG: 100 * 60.0,
        OFF: 50 * 60.0,
        HealthState.UNKNOWN: 100 * 60.0,
    }
    assert report.city.longest_outage_s == 50 * 60.0

    only_b = availability(
        session, actor=ACTOR, health=HEALTH, start=at(0), end=NOW, now=NOW, codes=["B"]
    )
    assert [r.camera for r in only_b.cameras] == ["B"]
    assert only_b.city.cameras == 1


def test_report_window_is_checked(session: Session) -> None:
    with pytest.raises(InvalidInput, match="after its start"):
        availability(session, actor=ACTOR, health=HEALTH, start=NOW, end=at(0), now=NOW)
    with pytest.raises(InvalidInput, match="longer than 400 days"):
        availability(
            session,
            actor=ACTOR,
            health=HEALTH,
            start=NOW - timedelta(days=401),
            end=NOW,
            now=NOW,
        )


def test_a_window_reaching_past_now_is_measured_up_to_now(session: Session) -> None:
    cam = make_watched_camera(session, code="CAM")
    make_timeline(session, cam, at(0), [(ON, -1)])
    make_health(session, cam, state=ON, since=at(0), checked_at=NOW - timedelta(minutes=1))
    # "Today" asked at noon: the afternoon has no state yet and is not counted as unknown.
    report = availability(
        session, actor=ACTOR, health=HEALTH, start=at(0), end=NOW + timedelta(hours=5), now=NOW
    )
    assert report.end == NOW
    assert report.window_s == 100 * 60.0
    assert report.cameras[0].share[ON] == 1.0
    assert report.cameras[0].seconds[HealthState.UNKNOWN] == 0
    with pytest.raises(InvalidInput, match="starts in the future"):
        availability(
            session,
            actor=ACTOR,
            health=HEALTH,
            start=NOW + timedelta(hours=1),
            end=NOW + timedelta(hours=2),
            now=NOW,
        )


def test_retired_cameras_count_only_where_they_have_history(session: Session) -> None:
    watched = make_watched_camera(session, code="A")
    retired_lately = make_watched_camera(session, code="R")
    make_watched_camera(session, code="OLD", status="decommissioned")
    for cam in (watched, retired_lately):
        make_timeline(session, cam, at(0), [(ON, 100)])
    retired_lately.status = CameraStatus.DECOMMISSIONED
    session.flush()
    report = availability(session, actor=ACTOR, health=HEALTH, start=at(0), end=NOW, now=NOW)
    # R worked in the window before it was retired; OLD was never watched in it.
    assert [r.camera for r in report.cameras] == ["A", "R"]
    assert report.city.seconds[HealthState.UNKNOWN] == 0.0
