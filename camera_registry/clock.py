"""Aware-UTC time helpers; storage never holds a naive time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


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
