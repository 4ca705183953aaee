"""Times in query parameters: naive ones are read in the display zone."""

from __future__ import annotations

from datetime import datetime

from camera_registry.clock import local_time
from camera_registry.errors import FieldProblem, InvalidInput
from config import Settings


def query_time(value: datetime, settings: Settings, name: str) -> datetime:
    """Read a naive time in the display zone; refuse one outside the storable range."""
    try:
        return local_time(value, settings.zone)
    except ValueError as exc:
        raise InvalidInput(f"{name}: {exc}", problems=[FieldProblem(name, str(exc))]) from None
