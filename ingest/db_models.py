"""Import every ingest table so metadata (and Alembic) sees them."""

from ingest.events.model import CoverageInterval, Footage, IngestJob, MotionEvent
from ingest.health.model import (
    AlertDelivery,
    CameraHealth,
    HealthCheck,
    HealthInterval,
    WebhookSubscription,
)

__all__ = [
    "AlertDelivery",
    "CameraHealth",
    "CoverageInterval",
    "Footage",
    "HealthCheck",
    "HealthInterval",
    "IngestJob",
    "MotionEvent",
    "WebhookSubscription",
]
