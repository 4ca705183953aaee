"""The delivery log: every alert and how its sending went, newest first, within a scope."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from camera_registry.actor import Scope
from camera_registry.camera.model import Camera
from ingest.health.alert_schema import AlertKind, DeliveryFilter, DeliveryRead
from ingest.health.model import AlertDelivery, WebhookSubscription


def list_deliveries(
    session: Session,
    *,
    query: DeliveryFilter,
    scope: Scope,
    before_id: int | None = None,
    limit: int = 100,
) -> list[DeliveryRead]:
    """Return up to `limit` deliveries with ids below `before_id`, newest first."""
    stmt = (
        select(AlertDelivery, Camera.code, WebhookSubscription.name)
        .join(Camera, Camera.id == AlertDelivery.camera_id)
        .outerjoin(WebhookSubscription, WebhookSubscription.id == AlertDelivery.subscription_id)
        .order_by(AlertDelivery.id.desc())
        .limit(limit)
    )
    if query.state is not None:
        stmt = stmt.where(AlertDelivery.state == query.state)
    if query.camera is not None:
        stmt = stmt.where(Camera.code == query.camera)
    if query.subscription_id is not None:
        stmt = stmt.where(AlertDelivery.subscription_id == query.subscription_id)
    if before_id is not None:
        stmt = stmt.where(AlertDelivery.id < before_id)
    if not scope.unrestricted:
        stmt = stmt.where(
            or_(
                Camera.code.in_(sorted(scope.camera_codes)),
                Camera.ward_code.in_(sorted(scope.ward_codes)),
            )
        )
    return [_read(row, code, name) for row, code, name in session.execute(stmt)]


def _read(row: AlertDelivery, camera_code: str, subscription: str | None) -> DeliveryRead:
    return DeliveryRead(
        id=row.id,
        channel=row.channel,
        subscription=subscription,
        subscription_id=row.subscription_id,
        camera=camera_code,
        kind=AlertKind(row.kind),
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
        payload=row.payload,
    )
