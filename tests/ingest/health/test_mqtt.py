"""States to the real Mosquitto on 127.0.0.1:1883: retained QoS 1 messages; broker down retries."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.unit_of_work import unit_of_work
from ingest.health.dispatch import dispatch_due
from ingest.health.model import AlertChannel, DeliveryState
from ingest.health.mqtt import parse_broker_url, publish_retained, state_topic
from ingest.health.outbox import enqueue_state_change
from tests.builders import make_camera
from tests.support.alerts import T0, alert_settings, deliveries, went_offline
from tests.support.webhook_receiver import closed_port_url

BROKER = ("127.0.0.1", 1883)


def _broker_missing() -> str | None:
    try:
        with socket.create_connection(BROKER, timeout=1.0):
            return None
    except OSError as exc:
        return f"no MQTT broker on {BROKER[0]}:{BROKER[1]} ({exc}); start mosquitto"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A topic prefix of this test alone; its retained messages are cleared afterwards."""
    missing = _broker_missing()
    if missing:
        pytest.skip(missing)
    value = f"camreg-test/{uuid.uuid4().hex[:10]}"
    yield value
    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.connect(*BROKER)
    client.loop_start()
    for code in ("VT-0001", "VT-0002"):
        client.publish(state_topic(value, code), b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def _retained(topic: str, timeout: float = 5.0) -> dict[str, object] | None:
    """Subscribe afresh and return the retained message on a topic, if any."""
    got: list[bytes] = []
    done = threading.Event()

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        if message.retain and message.payload:
            got.append(bytes(message.payload))
            done.set()

    def on_connect(client: paho.Client, *_args: object) -> None:
        client.subscribe(topic, qos=1)

    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.on_message = on_message
    client.on_connect = on_connect
    client.connect(*BROKER)
    client.loop_start()
    try:
        done.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return json.loads(got[0]) if got else None


def test_state_change_is_retained_on_the_camera_topic(
    session_factory: sessionmaker[Session], database_url: str, tmp_path: Path, prefix: str
) -> None:
    settings = alert_settings(
        database_url, tmp_path, mqtt_url="mqtt://127.0.0.1:1883", mqtt_topic_prefix=prefix
    )
    with unit_of_work(session_factory) as session:
        camera = make_camera(session, code="VT-0001")
        enqueue_state_change(session, went_offline(camera), settings.health, T0)
    summary = dispatch_due(session_factory, settings, now=T0)
    assert (summary.claimed, summary.delivered) == (1, 1)
    message = _retained(f"{prefix}/VT-0001/state")
    assert message == {
        "camera": "VT-0001",
        "state": "offline",
        "reasons": ["timeout"],
        "since": T0.isoformat(),
        "incident_started_at": T0.isoformat(),
    }
    with unit_of_work(session_factory) as session:
        row = deliveries(session)[0]
        assert (row.channel, row.state, row.attempts) == (
            AlertChannel.MQTT,
            DeliveryState.DELIVERED,
            1,
        )


def test_publish_retained_batch(prefix: str) -> None:
    topics = [state_topic(prefix, "VT-0001"), state_topic(prefix, "VT-0002")]
    outcomes = publish_retained(
        "mqtt://127.0.0.1:1883",
        [(t, json.dumps({"n": n}).encode()) for n, t in enumerate(topics)],
        timeout_s=5.0,
    )
    assert [o.delivered for o in outcomes] == [True, True]
    assert _retained(topics[1]) == {"n": 1}


def test_broker_down_is_retried_like_a_webhook(
    session_factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    port = closed_port_url().split(":")[2].split("/")[0]
    settings = alert_settings(database_url, tmp_path, mqtt_url=f"mqtt://user:pw@127.0.0.1:{port}")
    with unit_of_work(session_factory) as session:
        camera = make_camera(session, code="VT-0002")
        enqueue_state_change(session, went_offline(camera), settings.health, T0)
    summary = dispatch_due(session_factory, settings, now=T0)
    assert (summary.claimed, summary.retrying) == (1, 1)
    with unit_of_work(session_factory) as session:
        row = deliveries(session)[0]
        assert (row.state, row.attempts) == (DeliveryState.PENDING, 1)
        assert row.last_error is not None
        assert "unreachable" in row.last_error
        assert "pw" not in row.last_error
        assert row.next_attempt_at > T0


def test_broker_urls() -> None:
    broker = parse_broker_url("mqtts://u%40x:p%3Aw@broker.example.invalid")
    assert (broker.host, broker.port, broker.tls, broker.username, broker.password) == (
        "broker.example.invalid",
        8883,
        True,
        "u@x",
        "p:w",
    )
    assert "p:w" not in repr(broker)
    assert parse_broker_url("mqtt://127.0.0.1").port == 1883
    with pytest.raises(ValueError, match="mqtt://host:1883"):
        parse_broker_url("http://127.0.0.1:1883")
    outcomes = publish_retained("ws://x", [("t", b"1")], timeout_s=1.0)
    assert outcomes[0].delivered is False
