"""Debounce: a camera's stored state from its fresh results (one lost probe is not an outage).

Pure functions over plain values, so the rules can be property-tested without a database.

- Reachability observations come from reachability probes, from live reports of a worker that
  ingests the stream, and from picture checks (one that could not connect is a failure, one that
  connected is a success). A change of verdict must repeat: `failures_to_offline` failures in a row
  before a camera is offline, `successes_to_online` successes in a row before it is back.
  Failures count together whatever their reason (a timeout then a refusal are two failures).
- Picture reasons apply from the picture check that found them and hold until the next picture
  check that could judge the picture.
- A camera starts `unknown` (first sight, or after it went unchecked for too long) and stays so
  until the reachability verdict has settled once.
- State: offline with reachability reasons, else degraded with picture reasons, else online.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ingest.health.results import CheckResult
from ingest.health.vocabulary import (
    PICTURE_REASONS,
    REACHABILITY_REASONS,
    CheckTier,
    HealthState,
    Reason,
    ordered,
)


@dataclass(frozen=True)
class Debounced:
    """The debounced fields of a camera's health record (mirrors CameraHealth)."""

    state: HealthState
    reasons: tuple[Reason, ...]
    since: datetime
    reach_reasons: tuple[Reason, ...] = ()
    # A candidate reachability verdict waiting to repeat: None when there is none, () for "good".
    pending_reasons: tuple[Reason, ...] | None = None
    pending_count: int = 0
    picture_reasons: tuple[Reason, ...] = ()

    @classmethod
    def unknown(cls, since: datetime, picture_reasons: tuple[Reason, ...] = ()) -> Debounced:
        """Return the record of a camera whose reachability verdict is not settled."""
        return cls(HealthState.UNKNOWN, (), since, picture_reasons=picture_reasons)


@dataclass(frozen=True)
class Outcome:
    """The record after one result, and whether its state changed."""

    record: Debounced
    previous: HealthState
    changed: bool


def reachability_observation(result: CheckResult) -> tuple[Reason, ...]:
    """Return what a result says about reachability: its failure reasons, () for reachable."""
    # Every tier says something: a picture check that got a stream proves the camera reachable.
    return tuple(ordered(r for r in result.reasons if r in REACHABILITY_REASONS))


def picture_observation(result: CheckResult) -> tuple[Reason, ...] | None:
    """Return the picture reasons a result found, or None when it did not judge the picture."""
    if result.tier is not CheckTier.PICTURE:
        return None
    if any(r in REACHABILITY_REASONS for r in result.reasons):
        return None  # could not connect: the picture was not seen, the old verdict holds
    return tuple(ordered(r for r in result.reasons if r in PICTURE_REASONS))


def _settle_reachability(
    record: Debounced,
    observed: tuple[Reason, ...],
    *,
    failures_to_offline: int,
    successes_to_online: int,
) -> Debounced:
    settled = record.state is not HealthState.UNKNOWN
    failing = bool(observed)
    if settled and failing == bool(record.reach_reasons):
        # Same verdict as now: any candidate is off; a failure updates to its latest reasons.
        return replace(record, reach_reasons=observed, pending_reasons=None, pending_count=0)
    pending = record.pending_reasons
    count = record.pending_count + 1 if pending is not None and bool(pending) == failing else 1
    needed = failures_to_offline if failing else successes_to_online
    if count >= needed:
        return replace(record, reach_reasons=observed, pending_reasons=None, pending_count=0)
    # An unsettled camera also waits: its reach_reasons mean nothing until the verdict settles.
    return replace(record, pending_reasons=observed, pending_count=count)


def _derive(record: Debounced, settled: bool) -> tuple[HealthState, tuple[Reason, ...]]:
    if not settled:
        return HealthState.UNKNOWN, ()
    if record.reach_reasons:
        return HealthState.OFFLINE, record.reach_reasons
    if record.picture_reasons:
        return HealthState.DEGRADED, record.picture_reasons
    return HealthState.ONLINE, ()


def apply_result(
    current: Debounced | None,
    result: CheckResult,
    *,
    failures_to_offline: int,
    successes_to_online: int,
) -> Outcome:
    """Return the record after `result` (None: first-ever result, from `unknown`)."""
    record = current or Debounced.unknown(result.checked_at)
    previous = record.state
    picture = picture_observation(result)
    if picture is not None:
        record = replace(record, picture_reasons=picture)
    observed = reachability_observation(result)
    was_settled = record.state is not HealthState.UNKNOWN
    record = _settle_reachability(
        record,
        observed,
        failures_to_offline=failures_to_offline,
        successes_to_online=successes_to_online,
    )
    # Settled now if it was, or if this observation decided the verdict (no candidate left).
    settled = was_settled or record.pending_reasons is None
    state, reasons = _derive(record, settled)
    changed = state is not previous
    # Results may come late (a slow probe, a live report): a state never begins before the last.
    since = max(result.checked_at, record.since) if changed else record.since
    record = replace(record, state=state, reasons=reasons, since=since)
    return Outcome(record=record, previous=previous, changed=changed)
