"""Run checks for claimed cameras and store them; the on-demand check behind `camreg health check`.

The scheduler's ticks and the command line share `reachability_round` and `picture_round`: load
the claimed cameras' targets, probe, and store the results under the claims (fenced).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.camera.model import Camera
from camera_registry.clock import utcnow
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import CameraNotFound, InvalidInput
from config import Settings
from ingest.health.model import CameraHealth
from ingest.health.picture import check_picture
from ingest.health.reachability import run_reachability_sweep
from ingest.health.results import CheckResult, ProbeTarget
from ingest.health.schedule import (
    CHECKED_STATUSES,
    Claim,
    claim_now,
    ensure_health_rows,
    release_claims,
)
from ingest.health.store import Stored, record_results
from ingest.health.targets import probe_targets
from ingest.health.vocabulary import REACHABILITY_REASONS, CheckTier, Reason, ordered, state_of

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class HealthContext:
    """What running checks needs: database, settings, the credentials key, who checks."""

    session_factory: sessionmaker[Session]
    settings: Settings
    cipher: CredentialCipher | None
    owner: str
    clock: Clock = utcnow

    def reachability_lease_s(self, count: int) -> float:
        """Return a lease long enough for a sweep of `count` cameras (rounds of probes)."""
        health = self.settings.health
        rounds = math.ceil(max(count, 1) / health.max_concurrent_probes)
        return (rounds + 1) * health.probe_timeout_s + 30.0

    def picture_lease_s(self) -> float:
        """Return a lease long enough for one picture check."""
        return 2 * self.settings.health.picture_timeout_s + 30.0


def _targets(ctx: HealthContext, claims: Sequence[Claim]) -> list[ProbeTarget]:
    with unit_of_work(ctx.session_factory) as session:
        targets = probe_targets(
            session,
            camera_ids=[c.camera_id for c in claims],
            cipher=ctx.cipher,
            data_dir=ctx.settings.data_dir,
        )
        # A camera leased but no longer checked (decommissioned meanwhile) is given back.
        found = {t.camera_id for t in targets}
        release_claims(session, [c for c in claims if c.camera_id not in found])
    return targets


def store(
    ctx: HealthContext, results: Sequence[CheckResult], claims: Sequence[Claim] | None
) -> list[Stored]:
    """Store results under their claims (None: unfenced, e.g. live reports) in one unit of work."""
    if not results:
        return []
    by_camera = None if claims is None else {c.camera_id: c for c in claims}
    with unit_of_work(ctx.session_factory) as session:
        return record_results(
            session,
            results,
            settings=ctx.settings.health,
            worker=ctx.owner,
            data_dir=ctx.settings.data_dir,
            now=ctx.clock(),
            claims=by_camera,
        )


def reachability_round(ctx: HealthContext, claims: Sequence[Claim]) -> list[Stored]:
    """Probe the claimed cameras' reachability at once and store the results."""
    if not claims:
        return []
    targets = _targets(ctx, claims)
    health = ctx.settings.health
    results = run_reachability_sweep(
        targets, timeout_s=health.probe_timeout_s, concurrency=health.max_concurrent_probes
    )
    return store(ctx, results, claims)


def _picture(ctx: HealthContext, target: ProbeTarget) -> CheckResult:
    health = ctx.settings.health
    return check_picture(
        target,
        seconds=health.picture_seconds,
        timeout_s=health.picture_timeout_s,
        snapshot_width=health.snapshot_width,
    )


def picture_round(ctx: HealthContext, claims: Sequence[Claim]) -> list[Stored]:
    """Judge the claimed cameras' pictures one after another and store the results."""
    if not claims:
        return []
    return store(ctx, [_picture(ctx, target) for target in _targets(ctx, claims)], claims)


def picture_pool(
    ctx: HealthContext,
    next_claims: Callable[[], list[Claim] | None],
    stop: threading.Event | None = None,
) -> list[Stored]:
    """Keep `max_concurrent_pictures` picture checks going until `next_claims` returns None.

    Each worker claims its next camera as soon as it is done with one, so a camera that is slow
    to time out holds up one worker, never a whole batch.
    """

    def work() -> list[Stored]:
        stored: list[Stored] = []
        while stop is None or not stop.is_set():
            claims = next_claims()
            if claims is None:
                break
            stored += picture_round(ctx, claims)
        return stored

    workers = ctx.settings.health.max_concurrent_pictures
    with ThreadPoolExecutor(workers, thread_name_prefix="health-picture") as pool:
        futures = [pool.submit(work) for _ in range(workers)]
        return [stored for future in futures for stored in future.result()]


# --- on demand -------------------------------------------------------------------------------


@dataclass
class CameraCheck:
    """Fresh results of one camera from an on-demand check, and its stored state after them."""

    camera_id: int
    code: str
    results: dict[CheckTier, Stored] = field(default_factory=dict)
    skipped: dict[CheckTier, str] = field(default_factory=dict)
    stored_state: str | None = None
    stored_reasons: list[str] = field(default_factory=list)
    stored_since: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form: fresh state and reasons over the tiers run, plus tier details."""
        fresh = [s.result for s in self.results.values()]
        reasons = ordered(r for result in fresh for r in result.reasons)
        reach = self.results.get(CheckTier.REACHABILITY)
        return {
            "camera": self.code,
            "state": state_of(reasons).value if fresh else None,
            "reasons": [r.value for r in reasons],
            "latency_ms": reach.result.latency_ms if reach else None,
            "checked_at": min(r.checked_at for r in fresh).isoformat() if fresh else None,
            "tiers": {
                tier.value: _tier_dict(self.results.get(tier), self.skipped.get(tier))
                for tier in (CheckTier.REACHABILITY, CheckTier.PICTURE)
                if tier in self.results or tier in self.skipped
            },
            "stored_state": self.stored_state,
            "stored_reasons": self.stored_reasons,
            "stored_since": self.stored_since.isoformat() if self.stored_since else None,
        }


def _tier_dict(stored: Stored | None, skipped: str | None) -> dict[str, Any]:
    if stored is None:
        return {"skipped": skipped}
    result = stored.result
    return {
        "state": result.state.value,
        "reasons": [r.value for r in result.reason_list],
        "latency_ms": result.latency_ms,
        "checked_at": result.checked_at.isoformat(),
        "message": result.message,
        "details": result.details,
        "snapshot": result.snapshot_jpeg is not None,
        # False: a newer checker took the camera over meanwhile, so this result was not kept.
        "recorded": stored.check_id is not None,
    }


def resolve_cameras(session: Session, *, codes: Sequence[str]) -> list[tuple[int, str]]:
    """Return (id, code) of the cameras to check: the given codes, or every checked camera.

    Unknown codes and cameras that are not checked (not active or in maintenance, or without a
    stream URL) are refused, naming them.
    """
    stmt = select(Camera).order_by(Camera.code)
    if codes:
        stmt = stmt.where(Camera.code.in_(codes))
    rows = list(session.scalars(stmt))
    if codes:
        missing = sorted(set(codes) - {r.code for r in rows})
        if missing:
            raise CameraNotFound(
                f"no camera with code {', '.join(map(repr, missing))}; "
                "check `camreg cameras list` (codes are case-sensitive)"
            )
        idle = [f"{r.code} ({r.status})" for r in rows if r.status not in CHECKED_STATUSES]
        idle += [f"{r.code} (no stream URL)" for r in rows if not r.stream_url]
        if idle:
            raise InvalidInput(
                "only active or maintenance cameras with a stream URL are checked: "
                + ", ".join(idle)
            )
    return [(r.id, r.code) for r in rows if r.status in CHECKED_STATUSES and r.stream_url]


def _claim(
    ctx: HealthContext, ids: Collection[int], lease_s: float
) -> tuple[list[Claim], dict[int, str]]:
    with unit_of_work(ctx.session_factory) as session:
        return claim_now(session, camera_ids=ids, owner=ctx.owner, now=ctx.clock(), lease_s=lease_s)


def check_now(
    ctx: HealthContext,
    *,
    codes: Sequence[str],
    tiers: Collection[CheckTier],
    progress: Callable[[str, int, int], None] | None = None,
) -> list[CameraCheck]:
    """Run the tiers now for the cameras (all checked ones without codes) and store the results.

    Due times are bypassed but leases are respected: a camera another checker holds is reported
    as skipped. Reachability runs first for all cameras at once; a camera that failed it is not
    picture-checked (one run must not count as two failures), the others a few at a time.
    """
    with unit_of_work(ctx.session_factory) as session:
        cameras = resolve_cameras(session, codes=codes)
        ensure_health_rows(
            session,
            settings=ctx.settings.health,
            now=ctx.clock(),
            camera_ids=[camera_id for camera_id, _ in cameras],
        )
    checks = {camera_id: CameraCheck(camera_id, code) for camera_id, code in cameras}
    total = len(checks) * len(tiers)
    done = 0

    def advance(label: str, count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(label, done, total)

    if CheckTier.REACHABILITY in tiers:
        claims, busy = _claim(ctx, checks, ctx.reachability_lease_s(len(checks)))
        _skip(checks, CheckTier.REACHABILITY, busy)
        for stored in reachability_round(ctx, claims):
            checks[stored.result.camera_id].results[CheckTier.REACHABILITY] = stored
        advance("reachability", len(checks))
    if CheckTier.PICTURE in tiers:
        wanted = []
        for check in checks.values():
            reach = check.results.get(CheckTier.REACHABILITY)
            if reach is not None and set(reach.result.reasons) & REACHABILITY_REASONS:
                check.skipped[CheckTier.PICTURE] = "not reachable"
            elif CheckTier.REACHABILITY in check.skipped:
                check.skipped[CheckTier.PICTURE] = check.skipped[CheckTier.REACHABILITY]
            else:
                wanted.append(check.camera_id)
        advance("picture", len(checks) - len(wanted))
        queue = iter(wanted)
        lock = threading.Lock()

        def next_claims() -> list[Claim] | None:
            with lock:
                camera_id = next(queue, None)
                if camera_id is None:
                    return None
                advance("picture", 1)  # counted when it starts: the bar says what is under way
            claims, busy = _claim(ctx, [camera_id], ctx.picture_lease_s())
            with lock:
                _skip(checks, CheckTier.PICTURE, busy)
            return claims

        for stored in picture_pool(ctx, next_claims):
            checks[stored.result.camera_id].results[CheckTier.PICTURE] = stored
    _read_stored(ctx, checks)
    return list(checks.values())


def _skip(checks: dict[int, CameraCheck], tier: CheckTier, busy: dict[int, str]) -> None:
    for camera_id, holder in busy.items():
        checks[camera_id].skipped[tier] = f"being checked by {holder}"


def _read_stored(ctx: HealthContext, checks: dict[int, CameraCheck]) -> None:
    with unit_of_work(ctx.session_factory) as session:
        rows = session.scalars(select(CameraHealth).where(CameraHealth.camera_id.in_(list(checks))))
        for row in rows:
            check = checks[row.camera_id]
            check.stored_state = row.state.value
            check.stored_reasons = [Reason(r).value for r in row.reasons]
            check.stored_since = row.since
