"""Tables of camera health: check results, each camera's current state, state intervals, alerts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column

from camera_registry.db.base import Base
from camera_registry.db.types import UtcDateTime
from ingest.health.vocabulary import CheckTier, HealthState


def _enum(enum: type[StrEnum], name: str) -> SqlEnum:
    return SqlEnum(
        enum,
        name=name,
        native_enum=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class HealthCheck(Base):
    """One fresh (not debounced) result of a check: the history technicians read."""

    __tablename__ = "health_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    tier: Mapped[CheckTier] = mapped_column(_enum(CheckTier, "check_tier"))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[HealthState] = mapped_column(_enum(HealthState, "health_state"))
    # Reason values in vocabulary order, [] when all was well.
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(String(300))
    # Picture checks: a small JPEG under <data_dir>/health/snapshots/, relative to data_dir.
    snapshot_path: Mapped[str | None] = mapped_column(String(1000))
    worker: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_health_checks_camera_checked", "camera_id", "checked_at"),
        # Retention walks the oldest checks of all cameras.
        Index("ix_health_checks_checked_at", "checked_at"),
    )


class CameraHealth(Base):
    """A camera's debounced state and check schedule; what survives a scheduler restart.

    One row per camera, created on its first check. The state follows from the results with
    debounce: reachability failures must repeat `failures_to_offline` times before a camera is
    offline, and the picture tier's reasons hold until the next picture check.
    """

    __tablename__ = "camera_health"

    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), primary_key=True)
    state: Mapped[HealthState] = mapped_column(_enum(HealthState, "health_state"))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    since: Mapped[datetime] = mapped_column(UtcDateTime)  # start of the current state
    # Debounce of the reachability tier: the debounced reasons, and a candidate that must repeat.
    reach_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    pending_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    # The picture tier's reasons from its latest check (degraded while non-empty).
    picture_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_reachability_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_picture_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_latency_ms: Mapped[float | None] = mapped_column(Float)
    # When each tier is next due; spread over the period so checks do not come in bursts.
    reachability_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    picture_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A worker ingesting the stream reports instead of probes (until live_until).
    live_owner: Mapped[str | None] = mapped_column(String(200))
    live_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_frame_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    live_fps: Mapped[float | None] = mapped_column(Float)
    # Lease: one check of a camera at a time, across threads, processes and machines.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fence: Mapped[int] = mapped_column(Integer, default=0)
    # The picture a technician accepted as right (relative to data_dir).
    reference_path: Mapped[str | None] = mapped_column(String(1000))
    reference_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reference_set_by: Mapped[str | None] = mapped_column(String(200))
    # Alerting: the incident (time away from online) and whether "down too long" was sent.
    incident_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    long_alert_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_camera_health_reach_due", "reachability_due_at"),
        Index("ix_camera_health_picture_due", "picture_due_at"),
        Index("ix_camera_health_state", "state"),
    )


class HealthInterval(Base):
    """A stretch of a camera's timeline in one debounced state (end None: still going).

    The same interval model as footage coverage, so availability and recordings line up.
    """

    __tablename__ = "health_intervals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    state: Mapped[HealthState] = mapped_column(_enum(HealthState, "health_state"))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_health_intervals_camera_start", "camera_id", "start"),
        Index("ix_health_intervals_camera_end", "camera_id", "end"),
    )


class WebhookSubscription(Base):
    """An HTTP endpoint told about state changes, its body signed with a shared secret."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(1000))
    # HMAC-SHA256 secret, encrypted at rest like stream credentials; never returned.
    secret_token: Mapped[str] = mapped_column(Text)
    # Which alerts: "state_changed", "down_long" (both by default).
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    ward_code: Mapped[str | None] = mapped_column(String(32))  # only cameras of this ward
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AlertChannel(StrEnum):
    """How an alert travels."""

    WEBHOOK = "webhook"
    MQTT = "mqtt"


class DeliveryState(StrEnum):
    """Life of an alert delivery."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last attempt


class AlertDelivery(Base):
    """One alert to one destination: written with the state change, sent later (outbox), logged."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[AlertChannel] = mapped_column(_enum(AlertChannel, "alert_channel"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    kind: Mapped[str] = mapped_column(String(32))  # "state_changed" or "down_long"
    # One message per incident and destination: e.g. "webhook:3:VT-0001:<since iso>:down_long".
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState, "delivery_state"), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_alert_deliveries_state_next", "state", "next_attempt_at"),)
