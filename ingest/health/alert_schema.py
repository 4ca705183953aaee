"""What webhook subscriptions and alert deliveries look like to callers (API and CLI)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from ingest.health.model import AlertChannel, DeliveryState
from ingest.health.signing import MIN_SECRET_LENGTH

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$"
WARD_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"


class AlertKind(StrEnum):
    """Which alerts a subscription receives."""

    STATE_CHANGED = "state_changed"  # every debounced state change
    DOWN_LONG = "down_long"  # once per incident, when a camera is down longer than the threshold

    @property
    def event(self) -> str:
        """Return the event name in bodies and the X-Camreg-Event header."""
        return f"camera.{self.value}"


ALL_KINDS = [AlertKind.STATE_CHANGED, AlertKind.DOWN_LONG]
PING_EVENT = "ping"


def _check_secret(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"must be at least {MIN_SECRET_LENGTH} characters; leave it out to get a generated one"
        )
    return value


def _unique_kinds(value: list[AlertKind] | None) -> list[AlertKind] | None:
    if value is None:
        return None
    if not value:
        raise ValueError(f"name at least one of {', '.join(ALL_KINDS)} (or leave it out for both)")
    return [k for k in ALL_KINDS if k in value]


class WebhookCreate(BaseModel):
    """A new subscription; without `secret` one is generated and shown once in the answer."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, examples=["tech-duty-phone"])
    url: str = Field(
        max_length=1000, examples=["https://alerts.example.invalid/camreg"], description="http(s)"
    )
    secret: SecretStr | None = Field(
        None, description=f"Signing secret, at least {MIN_SECRET_LENGTH} characters."
    )
    kinds: list[AlertKind] = Field(default_factory=lambda: list(ALL_KINDS))
    ward: str | None = Field(None, pattern=WARD_PATTERN, description="Only cameras of this ward.")
    active: bool = True

    _secret = field_validator("secret")(_check_secret)
    _kinds = field_validator("kinds")(_unique_kinds)


class WebhookUpdate(BaseModel):
    """Changes to a subscription; fields left out stay as they are (`ward: null` clears it)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, max_length=1000)
    kinds: list[AlertKind] | None = None
    ward: str | None = Field(None, pattern=WARD_PATTERN)
    active: bool | None = None
    rotate_secret: bool = Field(
        False, description="Replace the secret by a generated one, shown once in the answer."
    )
    secret: SecretStr | None = Field(None, description="Replace the secret by this one.")

    _secret = field_validator("secret")(_check_secret)
    _kinds = field_validator("kinds")(_unique_kinds)


class WebhookRead(BaseModel):
    """A subscription as callers see it: never its secret."""

    id: int
    name: str
    url: str
    kinds: list[AlertKind]
    ward: str | None
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookIssued(WebhookRead):
    """A subscription with its signing secret: only when the secret was generated or replaced."""

    secret: str | None = Field(
        None, description="Shown this once (when generated or rotated), never again."
    )


class PingResult(BaseModel):
    """What a test ping to a subscription's URL got back."""

    subscription: str
    url: str
    delivered: bool
    status: int | None
    error: str | None
    latency_ms: float


class DeliveryRead(BaseModel):
    """One alert to one destination, with how its sending went."""

    id: int
    channel: AlertChannel
    subscription: str | None = Field(
        None, description="Subscription name; null for MQTT and for removed subscriptions."
    )
    subscription_id: int | None
    camera: str
    kind: AlertKind
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


class DeliveryFilter(BaseModel):
    """Which deliveries to list (all given conditions hold)."""

    state: DeliveryState | None = None
    camera: str | None = None
    subscription_id: int | None = None
