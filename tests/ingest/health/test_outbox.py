"""The outbox: deliveries written with the state change, filtered, one per incident and place."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.camera.model import Camera
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from ingest.health.alert_schema import AlertKind
from ingest.health.model import AlertChannel, CameraHealth, DeliveryState
from ingest.health.outbox import SUPERSEDED, enqueue_down_long, enqueue_state_change
from ingest.health.vocabulary import HealthState, Reason
from tests.builders import make_camera
from tests.support.alerts import T0, alert_settings, deliveries, subscribe, went_offline


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings with MQTT on (nothing is sent here) and a 30-minute down alert."""
    return alert_settings(
        database_url, tmp_path, mqtt_url="mqtt://127.0.0.1:1883", down_alert_minutes=30
    )


def _camera(session: Session, ward: str = "26506", code: str = "VT-0001") -> Camera:
    return make_camera(session, code=code, name=f"Chợ {code}", ward_code=ward)


def test_one_delivery_per_matching_subscription_plus_mqtt(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as session:
        camera = _camera(session)
        everything = subscribe(session, settings, "all", "https://a.invalid/1")
        same_ward = subscribe(session, settings, "ward", "https://a.invalid/2", ward="26506")
        subscribe(session, settings, "other-ward", "https://a.invalid/3", ward="26526")
        subscribe(
            session, settings, "long-only", "https://a.invalid/4", kinds=[AlertKind.DOWN_LONG]
        )
        enqueue_state_change(session, went_offline(camera), settings.health, T0)
    with unit_of_work(session_factory) as session:
        rows = deliveries(session)
    assert [(r.channel, r.subscription_id) for r in rows] == [
        (AlertChannel.WEBHOOK, everything),
        (AlertChannel.WEBHOOK, same_ward),
        (AlertChannel.MQTT, None),
    ]
    assert all(r.state == DeliveryState.PENDING and r.next_attempt_at == T0 for r in rows)
    body = rows[0].payload
    assert body == {
        "type": "camera.state_changed",
        "camera": {"code": "VT-0001", "name": "Chợ VT-0001", "ward": "26506"},
        "state": "offline",
        "previous": "online",
        "reasons": ["timeout"],
        "since": T0.isoformat(),
        "incident_started_at": T0.isoformat(),
        "down_for_s": 0.0,
    }
    assert rows[2].payload == {
        "camera": "VT-0001",
        "state": "offline",
        "reasons": ["timeout"],
        "since": T0.isoformat(),
        "incident_started_at": T0.isoformat(),
    }


def test_no_owner_data_in_alerts(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as session:
        camera = make_camera(
            session, code="VT-0002", owner_name="Nguyễn Thị Hoa", owner_phone="0901234567"
        )
        subscribe(session, settings, "all", "https://a.invalid/1")
        enqueue_state_change(session, went_offline(camera), settings.health, T0)
    with unit_of_work(session_factory) as session:
        text = str([r.payload for r in deliveries(session)])
    assert "Hoa" not in text
    assert "0901234567" not in text


def test_the_same_change_twice_makes_one_delivery(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as session:
        camera = _camera(session)
        subscribe(session, settings, "all", "https://a.invalid/1")
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            enqueue_state_change(session, went_offline(camera), settings.health, T0)
    with unit_of_work(session_factory) as session:
        assert [r.channel for r in deliveries(session)] == [AlertChannel.WEBHOOK, AlertChannel.MQTT]


def test_a_newer_state_supersedes_an_unsent_mqtt_message(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    later = T0 + timedelta(minutes=5)
    with unit_of_work(session_factory) as session:
        camera = _camera(session)
        enqueue_state_change(session, went_offline(camera), settings.health, T0)
        back = went_offline(
            camera,
            at=later,
            previous=HealthState.OFFLINE,
            current=HealthState.ONLINE,
            reasons=(),
            incident_started_at=None,
        )
        enqueue_state_change(session, back, settings.health, later)
    with unit_of_work(session_factory) as session:
        rows = deliveries(session)
    assert [(r.state, r.payload["state"]) for r in rows] == [
        (DeliveryState.FAILED, "offline"),
        (DeliveryState.PENDING, "online"),
    ]
    assert rows[0].last_error == SUPERSEDED


def _health(
    session: Session, camera: Camera, state: HealthState, incident_minutes_ago: float | None
) -> CameraHealth:
    started = T0 - timedelta(minutes=incident_minutes_ago) if incident_minutes_ago else None
    row = CameraHealth(
        camera_id=camera.id,
        state=state,
        reasons=[Reason.UNREACHABLE.value] if state == HealthState.OFFLINE else [],
        since=started or T0,
        incident_started_at=started,
        long_alert_sent=False,
        updated_at=T0,
    )
    session.add(row)
    return row


def test_down_long_once_per_incident(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as session:
        long_down = _camera(session, code="VT-LONG")
        _health(session, long_down, HealthState.OFFLINE, 45)
        _health(session, _camera(session, code="VT-SHORT"), HealthState.OFFLINE, 10)
        _health(session, _camera(session, code="VT-BLACK"), HealthState.DEGRADED, 31)
        _health(session, _camera(session, code="VT-UNKNOWN"), HealthState.UNKNOWN, 90)
        _health(session, _camera(session, code="VT-OK"), HealthState.ONLINE, None)
        sub = subscribe(
            session, settings, "long", "https://a.invalid/", kinds=[AlertKind.DOWN_LONG]
        )
        subscribe(
            session, settings, "changes", "https://a.invalid/c", kinds=[AlertKind.STATE_CHANGED]
        )
    with unit_of_work(session_factory) as session:
        assert enqueue_down_long(session, settings.health, T0) == 2
    with unit_of_work(session_factory) as session:
        assert enqueue_down_long(session, settings.health, T0 + timedelta(minutes=5)) == 0
        every = deliveries(session)
    rows = [r for r in every if r.channel is AlertChannel.WEBHOOK]
    # MQTT gets each camera's retained state again, saying how long it has been down.
    retained = [r.payload for r in every if r.channel is AlertChannel.MQTT]
    assert [(p["camera"], p["state"], p["down_for_s"]) for p in retained] == [
        ("VT-BLACK", "degraded", 31 * 60.0),
        ("VT-LONG", "offline", 45 * 60.0),
    ]
    assert [(r.payload["camera"]["code"], r.subscription_id, r.kind) for r in rows] == [
        ("VT-BLACK", sub, "down_long"),
        ("VT-LONG", sub, "down_long"),
    ]
    long_body = rows[1].payload
    assert (long_body["type"], long_body["state"], long_body["down_for_s"]) == (
        "camera.down_long",
        "offline",
        45 * 60.0,
    )
    assert long_body["reasons"] == ["unreachable"]
    # A new incident of the same camera alerts again (its store resets long_alert_sent);
    # by then VT-SHORT is down long too.
    with unit_of_work(session_factory) as session:
        health = session.get(CameraHealth, long_down.id)
        assert health is not None
        health.incident_started_at = T0 + timedelta(hours=2)
        health.long_alert_sent = False
    with unit_of_work(session_factory) as session:
        assert enqueue_down_long(session, settings.health, T0 + timedelta(hours=3)) == 2
        codes = [
            r.payload["camera"]["code"]
            for r in deliveries(session)
            if r.channel is AlertChannel.WEBHOOK
        ]
    assert codes == ["VT-BLACK", "VT-LONG", "VT-LONG", "VT-SHORT"]


def test_first_sight_of_a_working_camera_reaches_mqtt_only(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as session:
        camera = _camera(session)
        subscribe(session, settings, "all", "https://a.invalid/1")
        first_sight = went_offline(
            camera,
            previous=HealthState.UNKNOWN,
            current=HealthState.ONLINE,
            reasons=(),
            incident_started_at=None,
        )
        enqueue_state_change(session, first_sight, settings.health, T0)
    with unit_of_work(session_factory) as session:
        rows = deliveries(session)
    assert [(r.channel, r.payload["state"]) for r in rows] == [(AlertChannel.MQTT, "online")]


def test_a_recovery_says_how_long_the_incident_lasted(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as session:
        camera = _camera(session)
        subscribe(session, settings, "all", "https://a.invalid/1")
        back = went_offline(
            camera,
            at=T0 + timedelta(minutes=42),
            previous=HealthState.OFFLINE,
            current=HealthState.ONLINE,
            reasons=(),
            incident_started_at=T0,
        )
        enqueue_state_change(session, back, settings.health, T0 + timedelta(minutes=42))
    with unit_of_work(session_factory) as session:
        rows = deliveries(session)
    webhook = next(r for r in rows if r.channel is AlertChannel.WEBHOOK)
    assert webhook.payload["state"] == "online"
    assert webhook.payload["down_for_s"] == 42 * 60
    retained = next(r for r in rows if r.channel is AlertChannel.MQTT)
    assert (retained.payload["state"], retained.payload["down_for_s"]) == ("online", 42 * 60)
