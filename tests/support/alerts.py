"""Builders for alert tests: settings with a throw-away key, subscriptions, state changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.actor import cli_actor
from camera_registry.camera.model import Camera
from config import Settings, load_settings
from ingest.health.alert_schema import AlertKind, WebhookCreate
from ingest.health.model import AlertDelivery
from ingest.health.results import StateChange
from ingest.health.vocabulary import HealthState, Reason
from ingest.health.webhooks import alert_cipher, create_subscription

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
SECRET = "a-shared-secret-of-some-length"


def alert_settings(database_url: str, data_dir: Path, **health: Any) -> Settings:
    """Return settings on the test database with a fresh credentials key and short timeouts."""
    values: dict[str, Any] = {"webhook_timeout_s": 1.0, "mqtt_url": ""}
    values.update(health)
    return load_settings(
        database_url=database_url,
        data_dir=data_dir,
        credentials_key=Fernet.generate_key().decode(),
        health=values,
    )


def subscribe(
    session: Session,
    settings: Settings,
    name: str,
    url: str,
    *,
    kinds: list[AlertKind] | None = None,
    ward: str | None = None,
    secret: str | None = SECRET,
) -> int:
    """Create a subscription; return its id."""
    data = WebhookCreate(
        name=name,
        url=url,
        secret=SecretStr(secret) if secret else None,
        kinds=kinds or [AlertKind.STATE_CHANGED, AlertKind.DOWN_LONG],
        ward=ward,
    )
    issued = create_subscription(
        session, data=data, actor=cli_actor(), cipher=alert_cipher(settings)
    )
    return issued.id


def went_offline(camera: Camera, at: datetime = T0, **overrides: Any) -> StateChange:
    """Return the change of a camera going from online to offline at `at`."""
    values: dict[str, Any] = {
        "camera_id": camera.id,
        "camera_code": camera.code,
        "ward_code": camera.ward_code,
        "previous": HealthState.ONLINE,
        "current": HealthState.OFFLINE,
        "reasons": (Reason.TIMEOUT,),
        "at": at,
        "incident_started_at": at,
    }
    values.update(overrides)
    return StateChange(**values)


def deliveries(session: Session) -> list[AlertDelivery]:
    """Return every delivery, oldest first."""
    return list(session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))
