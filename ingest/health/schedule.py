"""When each camera is checked, and who checks it: due times and leases in the database.

Everything a scheduler needs to resume lives in `camera_health`: each tier's next due time and a
lease (owner, until, fence) that lets one checker at a time work on a camera, across threads,
processes and machines. Due times sit on a per-camera phase of the period, derived from the
camera id, so 1,611 cameras are spread evenly over the period instead of coming in bursts, and a
restarted scheduler finds the same slots.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from camera_registry.camera.model import Camera
from config.settings import HealthSettings
from ingest.health.model import CameraHealth, HealthInterval
from ingest.health.vocabulary import MONITORED_STATUSES, CheckTier, HealthState

# Cameras whose health is checked: those expected to work and that have a stream.
CHECKED_STATUSES = MONITORED_STATUSES
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# The golden ratio's fraction: consecutive ids land far apart on the period (low discrepancy).
_PHI = (math.sqrt(5.0) - 1.0) / 2.0
_INSERT_CHUNK = 500


@dataclass(frozen=True)
class Claim:
    """A checker's lease on one camera until `until`; `fence` grows with every new claim."""

    camera_id: int
    owner: str
    fence: int
    until: datetime


def phase_s(camera_id: int, period_s: float) -> float:
    """Return the camera's offset within a period (deterministic from its id)."""
    return math.fmod(camera_id * _PHI, 1.0) * period_s


def next_slot(camera_id: int, period_s: float, after: datetime) -> datetime:
    """Return the camera's first slot strictly after `after` (slots are `period_s` apart)."""
    elapsed = (after - _EPOCH).total_seconds() - phase_s(camera_id, period_s)
    periods = math.floor(elapsed / period_s) + 1
    return _EPOCH + timedelta(seconds=phase_s(camera_id, period_s) + periods * period_s)


def period_of(tier: CheckTier, settings: HealthSettings) -> float:
    """Return how often a tier runs, in seconds."""
    if tier is CheckTier.PICTURE:
        return settings.picture_interval_s
    return settings.reachability_interval_s


def checked(camera: type[Camera] = Camera) -> ColumnElement[bool]:
    """Return the condition for cameras whose health is checked."""
    return (
        camera.status.in_(CHECKED_STATUSES)
        & camera.stream_url.is_not(None)
        & (camera.stream_url != "")
    )


def ensure_health_rows(
    session: Session,
    *,
    settings: HealthSettings,
    now: datetime,
    camera_ids: Collection[int] | None = None,
) -> int:
    """Create the health record of checked cameras seen for the first time; return how many.

    A new record is `unknown` (with an open unknown interval) and due at its next slot, so the
    first checks of a whole network are spread over one period.
    """
    stmt = (
        select(Camera.id)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .where(CameraHealth.camera_id.is_(None), checked())
    )
    if camera_ids is not None:
        stmt = stmt.where(Camera.id.in_(list(camera_ids)))
    new_ids = list(session.scalars(stmt))
    if not new_ids:
        return 0
    rows = [
        {
            "camera_id": camera_id,
            "state": HealthState.UNKNOWN,
            "reasons": [],
            "since": now,
            "reach_reasons": [],
            "pending_count": 0,
            "picture_reasons": [],
            "reachability_due_at": next_slot(camera_id, settings.reachability_interval_s, now),
            "picture_due_at": next_slot(camera_id, settings.picture_interval_s, now),
            "fence": 0,
            "long_alert_sent": False,
            "updated_at": now,
        }
        for camera_id in new_ids
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # Another scheduler may create the same records at the same moment: theirs stand.
    created: list[int] = []
    # In chunks: one statement's bound parameters stay under SQLite's limit at any network size.
    for start in range(0, len(rows), _INSERT_CHUNK):
        created += session.scalars(
            insert(CameraHealth)
            .values(rows[start : start + _INSERT_CHUNK])
            .on_conflict_do_nothing(index_elements=["camera_id"])
            .returning(CameraHealth.camera_id)
        )
    if created:
        session.add_all(
            HealthInterval(camera_id=camera_id, state=HealthState.UNKNOWN, reasons=[], start=now)
            for camera_id in created
        )
        session.flush()
    return len(created)


def _due_column(tier: CheckTier) -> ColumnElement[datetime | None]:
    column = (
        CameraHealth.picture_due_at
        if tier is CheckTier.PICTURE
        else CameraHealth.reachability_due_at
    )
    return column  # type: ignore[return-value]


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(CameraHealth.lease_until.is_(None), CameraHealth.lease_until <= now)


def _not_live(now: datetime) -> ColumnElement[bool]:
    return or_(CameraHealth.live_until.is_(None), CameraHealth.live_until <= now)


def _take(
    session: Session, rows: Sequence[CameraHealth], *, owner: str, lease_s: float, now: datetime
) -> list[Claim]:
    until = now + timedelta(seconds=lease_s)
    claims = []
    for row in rows:
        row.lease_owner = owner
        row.lease_until = until
        row.fence += 1  # a checker whose lease ran out can no longer store (fencing)
        row.updated_at = now
        claims.append(Claim(row.camera_id, owner, row.fence, until))
    session.flush()
    return claims


def claim_due(
    session: Session,
    *,
    tier: CheckTier,
    owner: str,
    now: datetime,
    limit: int,
    lease_s: float,
    camera_ids: Collection[int] | None = None,
    exclude_ids: Collection[int] = (),
) -> list[Claim]:
    """Lease up to `limit` cameras due for `tier`, earliest first.

    Live-reported cameras are skipped for reachability (their stream says it), not for the
    picture: a stream that delivers frames can still be black, frozen or covered.

    PostgreSQL skips rows another claimer holds (FOR UPDATE SKIP LOCKED), so no camera is handed
    out twice; SQLite transactions begin IMMEDIATE, so claimers take turns.
    """
    due = _due_column(tier)
    stmt = (
        select(CameraHealth)
        .join(Camera, Camera.id == CameraHealth.camera_id)
        # A record made elsewhere without due times (e.g. with a reference picture) is due now.
        .where(or_(due.is_(None), due <= now), _free(now), checked())
        .order_by(due.asc().nulls_first(), CameraHealth.camera_id)
        .limit(limit)
        .with_for_update(of=CameraHealth, skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if tier is not CheckTier.PICTURE:
        stmt = stmt.where(_not_live(now))
    if camera_ids is not None:
        stmt = stmt.where(CameraHealth.camera_id.in_(list(camera_ids)))
    if exclude_ids:
        stmt = stmt.where(CameraHealth.camera_id.not_in(list(exclude_ids)))
    return _take(session, list(session.scalars(stmt)), owner=owner, lease_s=lease_s, now=now)


def claim_now(
    session: Session, *, camera_ids: Collection[int], owner: str, now: datetime, lease_s: float
) -> tuple[list[Claim], dict[int, str]]:
    """Lease the given cameras whatever their due times; return claims and {busy id: holder}."""
    stmt = (
        select(CameraHealth)
        .where(CameraHealth.camera_id.in_(list(camera_ids)))
        .order_by(CameraHealth.camera_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    rows = list(session.scalars(stmt))
    free = [r for r in rows if r.lease_until is None or r.lease_until <= now]
    busy = {r.camera_id: r.lease_owner or "?" for r in rows if r not in free}
    # Rows skipped as locked are being claimed by someone else right now.
    for camera_id in set(camera_ids) - {r.camera_id for r in rows}:
        busy[camera_id] = "another checker"
    return _take(session, free, owner=owner, lease_s=lease_s, now=now), busy


def reschedule(
    row: CameraHealth, *, tier: CheckTier, settings: HealthSettings, now: datetime
) -> None:
    """Set the tier's next due time after a stored check (the camera's next slot after now)."""
    slot = next_slot(row.camera_id, period_of(tier, settings), now)
    if tier is CheckTier.PICTURE:
        row.picture_due_at = slot
    else:
        row.reachability_due_at = slot


def release(row: CameraHealth, claim: Claim) -> None:
    """Give the camera back (only the claim's own lease; a newer one stays)."""
    if row.fence == claim.fence and row.lease_owner == claim.owner:
        row.lease_owner = None
        row.lease_until = None


def release_claims(session: Session, claims: Sequence[Claim]) -> None:
    """Give back cameras whose checks produced nothing to store (their due times stay)."""
    for claim in claims:
        row = session.get(
            CameraHealth, claim.camera_id, with_for_update=True, populate_existing=True
        )
        if row is not None:
            release(row, claim)
    session.flush()
