"""Sending due deliveries to real HTTP endpoints on 127.0.0.1: signed, retried, bounded, once."""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import cli_actor
from camera_registry.camera.model import Camera
from camera_registry.clock import utcnow
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from ingest.health.alert_schema import WebhookUpdate
from ingest.health.dispatch import BACKOFF_BASE_S, backoff_delay, dispatch_due
from ingest.health.model import AlertDelivery, DeliveryState
from ingest.health.outbox import enqueue_state_change
from ingest.health.signing import verify_delivery
from ingest.health.webhooks import alert_cipher, update_subscription
from tests.builders import make_camera
from tests.support.alerts import SECRET, T0, alert_settings, deliveries, subscribe, went_offline
from tests.support.webhook_receiver import closed_port_url, recording_receiver, silent_endpoint


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """One-second webhook timeout, four attempts, backoff at most 5 minutes."""
    return alert_settings(
        database_url,
        tmp_path,
        webhook_timeout_s=1.0,
        webhook_max_attempts=4,
        webhook_backoff_max_s=300.0,
    )


def _alert(
    factory: sessionmaker[Session], settings: Settings, urls: dict[str, str], cameras: int = 1
) -> list[Camera]:
    """Subscribe each URL, then store `cameras` cameras going offline at T0."""
    with unit_of_work(factory) as session:
        made = [make_camera(session, code=f"VT-{n:04d}", ward_code="26506") for n in range(cameras)]
        for name, url in urls.items():
            subscribe(session, settings, name, url)
        for camera in made:
            enqueue_state_change(session, went_offline(camera), settings.health, T0)
    return made


def _rows(factory: sessionmaker[Session]) -> list[AlertDelivery]:
    with unit_of_work(factory) as session:
        rows = deliveries(session)
        session.expunge_all()
    return rows


def test_signed_delivery_with_headers_and_fresh_timestamp(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with recording_receiver() as receiver:
        _alert(session_factory, settings, {"duty": receiver.url})
        summary = dispatch_due(session_factory, settings, now=T0)
        got = list(receiver.received)
    assert (summary.claimed, summary.delivered) == (1, 1)
    assert len(got) == 1
    request = got[0]
    assert request.signature_ok(SECRET)
    assert not request.signature_ok(SECRET + "-other")
    assert verify_delivery(
        request.body, SECRET, request.headers["x-camreg-signature"], now=utcnow()
    )
    row = _rows(session_factory)[0]
    body = request.json()
    assert request.headers["x-camreg-event"] == "camera.state_changed"
    assert request.headers["x-camreg-delivery"] == str(row.id) == str(body["delivery"])
    assert request.headers["content-type"] == "application/json"
    assert (body["camera"]["code"], body["state"], body["previous"]) == (
        "VT-0000",
        "offline",
        "online",
    )
    assert abs(datetime.fromisoformat(body["sent_at"]) - utcnow()) < timedelta(minutes=1)
    assert (row.state, row.attempts, row.last_status, row.delivered_at) == (
        DeliveryState.DELIVERED,
        1,
        204,
        T0,
    )
    # Nothing is due any more.
    assert dispatch_due(session_factory, settings, now=T0 + timedelta(days=1)).claimed == 0


def test_fails_twice_then_accepts_with_backoff(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with recording_receiver(statuses=[500, 503]) as receiver:
        _alert(session_factory, settings, {"flaky": receiver.url})
        now = T0
        first = dispatch_due(session_factory, settings, now=now)
        row = _rows(session_factory)[0]
        assert (first.retrying, row.state, row.attempts, row.last_status) == (
            1,
            DeliveryState.PENDING,
            1,
            500,
        )
        assert row.last_error == "HTTP 500"
        wait = row.next_attempt_at - now
        assert timedelta(seconds=BACKOFF_BASE_S / 2) <= wait <= timedelta(seconds=BACKOFF_BASE_S)
        # Not due before its time.
        assert (
            dispatch_due(
                session_factory, settings, now=row.next_attempt_at - timedelta(seconds=1)
            ).claimed
            == 0
        )
        now = row.next_attempt_at
        dispatch_due(session_factory, settings, now=now)
        row = _rows(session_factory)[0]
        assert (row.attempts, row.last_status) == (2, 503)
        wait = row.next_attempt_at - now
        assert timedelta(seconds=BACKOFF_BASE_S) <= wait <= timedelta(seconds=2 * BACKOFF_BASE_S)
        third = dispatch_due(session_factory, settings, now=row.next_attempt_at)
        row = _rows(session_factory)[0]
        deliveries_seen = [r.json()["delivery"] for r in receiver.received]
    assert third.delivered == 1
    assert (row.state, row.attempts, row.last_status, row.last_error) == (
        DeliveryState.DELIVERED,
        3,
        204,
        None,
    )
    # Every retry carries the same delivery id, so receivers can drop repeats.
    assert deliveries_seen == [row.id] * 3


def test_gives_up_after_max_attempts(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    url = closed_port_url()
    _alert(session_factory, settings, {"dead": url})
    now = T0
    for _ in range(4):
        dispatch_due(session_factory, settings, now=now)
        now += timedelta(seconds=settings.health.webhook_backoff_max_s)
    row = _rows(session_factory)[0]
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.FAILED, 4, None)
    assert row.last_error is not None
    assert "ConnectError" in row.last_error
    assert SECRET not in row.last_error
    assert dispatch_due(session_factory, settings, now=now + timedelta(days=1)).claimed == 0


def test_backoff_doubles_up_to_the_maximum() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 10.0), (2, 20.0), (3, 40.0), (6, 320.0), (7, 600.0), (40, 600.0)]:
        delay = backoff_delay(attempt, 600.0, rng)
        assert ceiling / 2 <= delay <= ceiling


def test_a_silent_endpoint_costs_one_timeout_and_delays_no_one_else(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with silent_endpoint() as silent, recording_receiver() as receiver:
        # Three cameras: three deliveries to each endpoint.
        _alert(session_factory, settings, {"silent": silent, "good": receiver.url}, cameras=3)
        started = time.monotonic()
        summary = dispatch_due(session_factory, settings, now=T0)
        elapsed = time.monotonic() - started
        got = len(receiver.received)
    assert (summary.claimed, summary.delivered, summary.retrying) == (6, 3, 3)
    assert got == 3
    # Sequential timeouts would take 3 s; the silent endpoint is given up after its first one.
    assert elapsed < 2.5
    rows = [r for r in _rows(session_factory) if r.state == DeliveryState.PENDING]
    errors = sorted(r.last_error or "" for r in rows)
    assert errors[0].startswith("not sent: the endpoint failed on delivery")
    assert errors[-1].startswith("timed out")


def test_two_dispatchers_never_send_one_delivery_twice(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with recording_receiver() as receiver:
        _alert(session_factory, settings, {"duty": receiver.url}, cameras=12)
        results = []

        def run() -> None:
            results.append(dispatch_due(session_factory, settings, now=T0))

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        ids = [r.json()["delivery"] for r in receiver.received]
    assert sorted(ids) == sorted(set(ids))
    assert len(ids) == 12
    assert sum(r.delivered for r in results) == 12
    assert all(r.state == DeliveryState.DELIVERED for r in _rows(session_factory))


def test_a_removed_or_paused_subscription_is_not_sent_to(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with recording_receiver() as receiver:
        _alert(session_factory, settings, {"paused": receiver.url})
        with unit_of_work(session_factory) as session:
            update_subscription(
                session,
                ref="paused",
                data=WebhookUpdate(active=False),
                actor=cli_actor(),
                cipher=alert_cipher(settings),
            )
        summary = dispatch_due(session_factory, settings, now=T0)
        got = len(receiver.received)
    assert (summary.claimed, summary.failed, got) == (1, 1, 0)
    assert _rows(session_factory)[0].last_error == "subscription inactive"


def test_a_secret_under_another_key_is_retried_not_sent(
    session_factory: sessionmaker[Session], settings: Settings, database_url: str, tmp_path: Path
) -> None:
    with recording_receiver() as receiver:
        _alert(session_factory, settings, {"duty": receiver.url})
        other_key = alert_settings(database_url, tmp_path)
        summary = dispatch_due(session_factory, other_key, now=T0)
        got = len(receiver.received)
    assert (summary.claimed, summary.retrying, got) == (1, 1, 0)
    error = _rows(session_factory)[0].last_error
    assert error is not None
    assert "cannot be decrypted" in error
