"""Aware-UTC time helpers; storage never holds a naive time."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol


class Clock(Protocol):
    """Something that tells the current time (tests swap in a fixed one)."""

    def now(self) -> datetime:
        """Return the current aware-UTC time."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """Return the current aware-UTC time."""
        return datetime.now(UTC)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def require_aware(value: datetime) -> datetime:
    """Return the time in UTC, refusing a naive one."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime refused: give a time zone or offset")
    return value.astimezone(UTC)


# Stored and searched times stay well inside what datetime can represent, so that
# arithmetic such as "start minus the longest event" can never overflow.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9000, 1, 1, tzinfo=UTC)
TIME_RANGE_HINT = "give a time between 1970-01-01 and 9000-01-01"


def in_time_range(value: datetime) -> datetime:
    """Return an aware time in UTC, refusing one outside 1970..9000 (ValueError)."""
    try:
        utc = require_aware(value)
    except OverflowError:
        raise ValueError(TIME_RANGE_HINT) from None
    if not EARLIEST_TIME <= utc <= LATEST_TIME:
        raise ValueError(TIME_RANGE_HINT)
    return utc


def local_time(value: datetime, zone: tzinfo) -> datetime:
    """Return a time read in `zone` when naive, refusing one outside 1970..9000 (ValueError)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    in_time_range(aware)
    return aware


def parse_local_time(text: str, zone: tzinfo, label: str) -> datetime:
    """Parse an ISO 8601 time as people type it (naive = `zone`).

    Raises ValueError with a message that names `label` (e.g. "--from") and says what to fix.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        example = "2026-03-12T21:00"
        message = f"{label} must be an ISO 8601 time such as {example}, got {text!r}"
        raise ValueError(message) from None
    try:
        return local_time(parsed, zone)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None


def zoned(value: Any, zone: tzinfo) -> Any:
    """Return plain data with every time shown in `zone`, with its offset (for JSON output)."""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, dict):
        return {str(k): zoned(v, zone) for k, v in value.items()}
    if isinstance(value, list):
        return [zoned(v, zone) for v in value]
    return value
