"""The alert outbox: deliveries written in the transaction that stores a state change.

Sending happens later (`ingest.health.dispatch`), so an alert is never lost when the sender or an
endpoint is down, and never sent for a change that was rolled back. Each delivery carries a
`dedupe_key` naming the destination, the camera and the change (or the incident, for "down too
long"), so storing the same change twice, or two schedulers noticing the same long outage, still
makes one message per destination.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from camera_registry.camera.model import Camera
from camera_registry.clock import require_aware
from config.settings import HealthSettings
from ingest.health.alert_schema import AlertKind
from ingest.health.model import (
    AlertChannel,
    AlertDelivery,
    CameraHealth,
    DeliveryState,
    WebhookSubscription,
)
from ingest.health.results import StateChange
from ingest.health.vocabulary import HealthState, Reason, ordered

# States that count as "down" for the down-too-long alert: not working as it should. `unknown`
# is not down (nobody checked), so it never triggers one.
DOWN_STATES = (HealthState.OFFLINE, HealthState.DEGRADED)
SUPERSEDED = "superseded by a newer state of this camera"


@dataclass(frozen=True)
class _CameraFacts:
    camera_id: int
    code: str
    name: str
    ward: str | None


def _iso(value: datetime | None) -> str | None:
    return require_aware(value).isoformat() if value is not None else None


def _camera(session: Session, camera_id: int) -> _CameraFacts:
    row = session.get(Camera, camera_id)
    if row is None:
        raise ValueError(f"state change of camera id {camera_id}, which does not exist")
    return _CameraFacts(row.id, row.code, row.name, row.ward_code)


def _webhook_payload(
    kind: AlertKind,
    camera: _CameraFacts,
    *,
    state: HealthState,
    previous: HealthState | None,
    reasons: list[Reason],
    since: datetime,
    incident_started_at: datetime | None,
    down_for_s: float | None,
) -> dict[str, Any]:
    # No owner data: only what identifies the camera and its state. `delivery` and `sent_at`
    # are added when the message is sent.
    return {
        "type": kind.event,
        "camera": {"code": camera.code, "name": camera.name, "ward": camera.ward},
        "state": str(state),
        "previous": str(previous) if previous is not None else None,
        "reasons": [str(r) for r in reasons],
        "since": _iso(since),
        "incident_started_at": _iso(incident_started_at),
        "down_for_s": round(down_for_s, 1) if down_for_s is not None else None,
    }


def mqtt_payload(
    camera_code: str,
    *,
    state: HealthState,
    reasons: list[Reason],
    since: datetime,
    incident_started_at: datetime | None,
    down_for_s: float | None = None,
) -> dict[str, Any]:
    """Return the retained MQTT state message of a camera (with how long it has been down,
    when sent as the down-too-long alert or a recovery)."""
    payload: dict[str, Any] = {
        "camera": camera_code,
        "state": str(state),
        "reasons": [str(r) for r in reasons],
        "since": _iso(since),
        "incident_started_at": _iso(incident_started_at),
    }
    if down_for_s is not None:
        payload["down_for_s"] = round(down_for_s, 1)
    return payload


def _subscribers(session: Session, kind: AlertKind, ward: str | None) -> list[WebhookSubscription]:
    rows = session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.active.is_(True))
        .order_by(WebhookSubscription.id)
    )
    return [
        r for r in rows if str(kind) in r.kinds and (r.ward_code is None or r.ward_code == ward)
    ]


def _insert(session: Session, values: dict[str, Any]) -> bool:
    """Insert one delivery unless its dedupe_key exists; return True when it was inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(AlertDelivery).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


def _values(
    *,
    channel: AlertChannel,
    subscription_id: int | None,
    camera_id: int,
    kind: AlertKind,
    dedupe_key: str,
    payload: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "channel": channel,
        "subscription_id": subscription_id,
        "camera_id": camera_id,
        "kind": str(kind),
        "dedupe_key": dedupe_key,
        "payload": payload,
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue_state_change(
    session: Session, change: StateChange, settings: HealthSettings, now: datetime
) -> None:
    """Write the deliveries of one state change: one per matching webhook, one for MQTT."""
    now = require_aware(now)
    camera = _camera(session, change.camera_id)
    at = require_aware(change.at)
    reasons = ordered(change.reasons)
    incident = change.incident_started_at
    down_for = (at - require_aware(incident)).total_seconds() if incident is not None else None
    payload = _webhook_payload(
        AlertKind.STATE_CHANGED,
        camera,
        state=change.current,
        previous=change.previous,
        reasons=reasons,
        since=at,
        incident_started_at=incident,
        down_for_s=down_for,
    )
    change_key = f"{camera.code}:{AlertKind.STATE_CHANGED}:{at.isoformat()}:{change.current}"
    # First sight of a working camera (unknown -> online) is no incident: webhooks are not
    # told, so a fresh start does not send one per camera; the retained MQTT topic mirrors
    # every state, first sight included.
    incident_related = incident is not None or change.current in DOWN_STATES
    subscribers = _subscribers(session, AlertKind.STATE_CHANGED, change.ward_code or camera.ward)
    for sub in subscribers if incident_related else []:
        _insert(
            session,
            _values(
                channel=AlertChannel.WEBHOOK,
                subscription_id=sub.id,
                camera_id=camera.camera_id,
                kind=AlertKind.STATE_CHANGED,
                dedupe_key=f"webhook:{sub.id}:{change_key}",
                payload=payload,
                now=now,
            ),
        )
    if settings.mqtt_url:
        _enqueue_mqtt(session, camera, change_key, change, reasons, now)


def _enqueue_mqtt(
    session: Session,
    camera: _CameraFacts,
    change_key: str,
    change: StateChange,
    reasons: list[Reason],
    now: datetime,
) -> None:
    incident = change.incident_started_at
    # A recovery says how long the incident it ends lasted, as the webhook does.
    recovered = change.current is HealthState.ONLINE and incident is not None
    payload = mqtt_payload(
        camera.code,
        state=change.current,
        reasons=reasons,
        since=change.at,
        incident_started_at=incident,
        down_for_s=(
            (require_aware(change.at) - require_aware(incident)).total_seconds()
            if recovered and incident is not None
            else None
        ),
    )
    _enqueue_retained(session, camera, AlertKind.STATE_CHANGED, f"mqtt:{change_key}", payload, now)


def _enqueue_retained(
    session: Session,
    camera: _CameraFacts,
    kind: AlertKind,
    key: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    values = _values(
        channel=AlertChannel.MQTT,
        subscription_id=None,
        camera_id=camera.camera_id,
        kind=kind,
        dedupe_key=key,
        payload=payload,
        now=now,
    )
    if not _insert(session, values):
        return
    # The topic is retained: an older state still waiting (broker down) must not be published
    # after this one and overwrite it.
    session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.channel == AlertChannel.MQTT,
            AlertDelivery.camera_id == camera.camera_id,
            AlertDelivery.state == DeliveryState.PENDING,
            AlertDelivery.dedupe_key != key,
        )
        .values(state=DeliveryState.FAILED, last_error=SUPERSEDED)
    )


def enqueue_down_long(session: Session, settings: HealthSettings, now: datetime) -> int:
    """Alert once per incident for cameras down at least `down_alert_minutes`; return how many.

    Webhooks subscribed to `down_long` get the alert; MQTT gets the camera's retained state
    message again, now saying how long it has been down.
    """
    now = require_aware(now)
    threshold = now - timedelta(minutes=settings.down_alert_minutes)
    rows = session.execute(
        select(CameraHealth, Camera)
        .join(Camera, Camera.id == CameraHealth.camera_id)
        .where(
            CameraHealth.state.in_(DOWN_STATES),
            CameraHealth.incident_started_at.is_not(None),
            CameraHealth.incident_started_at <= threshold,
            CameraHealth.long_alert_sent.is_(False),
        )
        .order_by(Camera.code)
    ).all()
    for health, cam in rows:
        incident = require_aware(health.incident_started_at)  # type: ignore[arg-type]
        camera = _CameraFacts(cam.id, cam.code, cam.name, cam.ward_code)
        payload = _webhook_payload(
            AlertKind.DOWN_LONG,
            camera,
            state=health.state,
            previous=None,
            reasons=ordered(Reason(r) for r in health.reasons),
            since=health.since,
            incident_started_at=incident,
            down_for_s=(now - incident).total_seconds(),
        )
        incident_key = f"{camera.code}:{AlertKind.DOWN_LONG}:{incident.isoformat()}"
        for sub in _subscribers(session, AlertKind.DOWN_LONG, camera.ward):
            _insert(
                session,
                _values(
                    channel=AlertChannel.WEBHOOK,
                    subscription_id=sub.id,
                    camera_id=camera.camera_id,
                    kind=AlertKind.DOWN_LONG,
                    dedupe_key=f"webhook:{sub.id}:{incident_key}",
                    payload=payload,
                    now=now,
                ),
            )
        if settings.mqtt_url:
            retained = mqtt_payload(
                camera.code,
                state=health.state,
                reasons=ordered(Reason(r) for r in health.reasons),
                since=health.since,
                incident_started_at=incident,
                down_for_s=(now - incident).total_seconds(),
            )
            _enqueue_retained(
                session, camera, AlertKind.DOWN_LONG, f"mqtt:{incident_key}", retained, now
            )
        health.long_alert_sent = True
    session.flush()
    return len(rows)
