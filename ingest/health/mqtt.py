"""Camera states to an MQTT broker: retained QoS 1 messages on `<prefix>/<code>/state`.

Retained, so a dashboard that subscribes later gets every camera's latest state at once.
QoS 1: a message counts as delivered only when the broker acknowledged it (PUBACK).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

DEFAULT_PORTS = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883}
TLS_SCHEMES = {"mqtts", "ssl"}


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is and how to log in (the password is never shown)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """Return the address without credentials, for messages."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    """Return the broker of a URL like mqtt://user:pass@127.0.0.1:1883; ValueError if unusable."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(
            f"health.mqtt_url: scheme {parts.scheme!r} is not supported; "
            "give mqtt://host:1883 or mqtts://host:8883"
        )
    if not parts.hostname:
        raise ValueError("health.mqtt_url: no host; give e.g. mqtt://127.0.0.1:1883")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        tls=parts.scheme in TLS_SCHEMES,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def state_topic(prefix: str, camera_code: str) -> str:
    """Return the topic of a camera's state (codes hold no MQTT wildcard characters)."""
    return f"{prefix.strip('/')}/{camera_code}/state"


@dataclass(frozen=True)
class PublishOutcome:
    """Whether the broker acknowledged one message, and why not."""

    delivered: bool
    error: str | None = None


@dataclass
class _Connack:
    done: threading.Event = field(default_factory=threading.Event)
    failure: str | None = None


def publish_retained(
    url: str, messages: Sequence[tuple[str, bytes]], *, timeout_s: float
) -> list[PublishOutcome]:
    """Publish retained QoS 1 messages over one connection; one outcome per message, in order.

    Never raises for broker trouble: an unreachable broker, a refused login or a missing
    acknowledgement within `timeout_s` (for the whole batch) fails the affected messages.
    """
    if not messages:
        return []
    try:
        broker = parse_broker_url(url)
    except ValueError as exc:
        return [PublishOutcome(False, str(exc))] * len(messages)
    deadline = time.monotonic() + timeout_s
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"camreg-alerts-{uuid.uuid4().hex[:10]}",
        protocol=paho.MQTTv311,
    )
    client.connect_timeout = timeout_s
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    connack = _Connack()

    def on_connect(
        _client: paho.Client, _data: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            connack.failure = f"broker {broker.describe()} refused the connection: {reason}"
        connack.done.set()

    client.on_connect = on_connect
    try:
        client.connect(broker.host, broker.port, keepalive=max(10, int(timeout_s) * 2))
    except (OSError, ValueError) as exc:
        error = f"broker {broker.describe()} unreachable: {exc}"
        return [PublishOutcome(False, error)] * len(messages)
    client.loop_start()
    try:
        return _publish_all(client, broker, connack, messages, deadline)
    finally:
        client.disconnect()
        client.loop_stop()


def _publish_all(
    client: paho.Client,
    broker: BrokerAddress,
    connack: _Connack,
    messages: Sequence[tuple[str, bytes]],
    deadline: float,
) -> list[PublishOutcome]:
    if not connack.done.wait(max(0.0, deadline - time.monotonic())):
        error = f"broker {broker.describe()} did not acknowledge the connection in time"
        return [PublishOutcome(False, error)] * len(messages)
    if connack.failure:
        return [PublishOutcome(False, connack.failure)] * len(messages)
    infos = [client.publish(topic, payload, qos=1, retain=True) for topic, payload in messages]
    outcomes: list[PublishOutcome] = []
    for info in infos:
        if info.rc != paho.MQTT_ERR_SUCCESS:
            outcomes.append(PublishOutcome(False, f"publish refused: {paho.error_string(info.rc)}"))
            continue
        try:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
        except (RuntimeError, ValueError) as exc:
            outcomes.append(PublishOutcome(False, f"publish failed: {exc}"))
            continue
        if info.is_published():
            outcomes.append(PublishOutcome(True))
        else:
            outcomes.append(
                PublishOutcome(False, f"broker {broker.describe()} did not acknowledge in time")
            )
    return outcomes
