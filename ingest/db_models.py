"""Import every ingest table so metadata (and Alembic) sees them."""

from ingest.events.model import CoverageInterval, Footage, IngestJob, MotionEvent

__all__ = ["CoverageInterval", "Footage", "IngestJob", "MotionEvent"]
