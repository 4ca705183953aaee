"""When a camera's state stops being known: the unknown window and open intervals' effective end."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import HealthSettings
from ingest.health.model import CameraHealth
from ingest.health.vocabulary import HealthState, Reason


def unknown_after(health: HealthSettings) -> timedelta:
    """Return how long after its last check a camera's state stops being known."""
    return timedelta(seconds=health.unknown_after_missed * health.reachability_interval_s)


def reasons_of(values: Iterable[str] | None) -> list[Reason]:
    """Return stored reason strings as Reasons in vocabulary order, skipping unknown ones."""
    found = set(values or [])
    return [r for r in Reason if r.value in found]


def last_check_of(row: CameraHealth | None) -> datetime | None:
    """Return the latest time anything was learnt of the camera (probe, picture or live frame)."""
    if row is None:
        return None
    times = [t for t in (row.last_reachability_at, row.last_picture_at, row.last_frame_at) if t]
    return max(times) if times else None


def is_live(row: CameraHealth | None, now: datetime) -> bool:
    """Return True while a worker ingesting the stream reports for it."""
    return row is not None and row.live_until is not None and row.live_until >= now


@dataclass(frozen=True)
class Known:
    """Until when a camera's stored state holds, seen at `now`."""

    until: datetime | None  # None: nothing known at all
    stale: bool  # the stored state no longer holds at `now`


def known_until(row: CameraHealth | None, now: datetime, window: timedelta) -> Known:
    """Return until when the stored state holds (now while fresh or live)."""
    if is_live(row, now):
        return Known(now, stale=False)
    last = last_check_of(row)
    if last is None:
        return Known(None, stale=True)
    until = last + window
    return Known(min(now, until), stale=until < now)


def effective_end(
    start: datetime, end: datetime | None, known: Known, now: datetime
) -> tuple[datetime, bool]:
    """Return an interval's end as far as it is known, and whether it is still going."""
    if end is not None:
        return end, False
    limit = known.until if known.until is not None else start
    return max(start, min(limit, now)), not known.stale


def display_state(row: CameraHealth | None, now: datetime, window: timedelta) -> HealthState:
    """Return the state to show: the stored one, or unknown when there is none or it is stale."""
    if row is None or known_until(row, now, window).stale:
        return HealthState.UNKNOWN
    return HealthState(row.state)
