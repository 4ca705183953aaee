"""Send due alert deliveries: claim, send concurrently, record the outcome (retry or give up).

A round claims due rows in one transaction (row locks with SKIP LOCKED on PostgreSQL, the
IMMEDIATE transaction on SQLite) by counting the attempt and pushing `next_attempt_at` a lease
ahead, so a second dispatcher does not see them; a dispatcher that dies mid-round leaves them to
be retried when the lease ends. Outcomes are written only while the row still carries the
claimed attempt number, so a late answer never overwrites a newer attempt.

Deliveries to one endpoint go in order on one thread, and the first network failure (timeout,
refused connection) stops the rest of that endpoint's round: a dead endpoint costs one timeout,
and other endpoints run on other threads meanwhile. MQTT messages go over one connection.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.clock import require_aware, utcnow
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from ingest.health.model import AlertChannel, AlertDelivery, DeliveryState, WebhookSubscription
from ingest.health.mqtt import publish_retained, state_topic
from ingest.health.signing import encode_body
from ingest.health.webhook_send import SendOutcome, new_client, post_signed
from ingest.health.webhooks import alert_cipher

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 10.0
BATCH = 200
MAX_PARALLEL = 16  # endpoints sent to at once
# How long a claim keeps other dispatchers away; far above one round's worst case.
LEASE = timedelta(minutes=10)
# Jitter only spreads retries; it needs no cryptographic randomness.
_rng = random.Random()  # noqa: S311


@dataclass(frozen=True)
class DispatchSummary:
    """What one round did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def plus(self, other: DispatchSummary) -> DispatchSummary:
        """Return the sums of two rounds."""
        return DispatchSummary(
            claimed=self.claimed + other.claimed,
            delivered=self.delivered + other.delivered,
            retrying=self.retrying + other.retrying,
            failed=self.failed + other.failed,
        )

    def as_dict(self) -> dict[str, int]:
        """Return the counts as plain data."""
        return {
            "claimed": self.claimed,
            "delivered": self.delivered,
            "retrying": self.retrying,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    attempts: int  # the claimed attempt number: the fence for writing the outcome
    channel: AlertChannel
    payload: dict[str, Any]
    url: str | None = None
    secret: str | None = field(default=None, repr=False)


def backoff_delay(attempts: int, max_s: float, rng: random.Random = _rng) -> float:
    """Return seconds to wait after the n-th failed attempt: doubling, jittered, at most max_s."""
    ceiling = min(max_s, BACKOFF_BASE_S * 2.0 ** min(attempts - 1, 30))
    # "Equal jitter": at least half the delay, so retries still back off, spread over the rest.
    return float(ceiling / 2 + rng.random() * ceiling / 2)


def dispatch_due(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> DispatchSummary:
    """Send the deliveries due at `now` (default: the clock) and record each outcome."""
    now = require_aware(now) if now is not None else utcnow()
    cipher = alert_cipher(settings)
    with unit_of_work(session_factory) as session:
        jobs, refused = _claim(session, now, cipher)
    outcomes = _send(jobs, settings)
    with unit_of_work(session_factory) as session:
        counts = _record(session, jobs, outcomes, settings, now)
    summary = DispatchSummary(
        claimed=len(jobs) + refused,
        delivered=counts["delivered"],
        retrying=counts["retrying"],
        failed=counts["failed"] + refused,
    )
    if summary.claimed:
        # Counts only: URLs may carry tokens and errors are in the delivery log.
        log.info("alert deliveries: %s", summary.as_dict())
    return summary


def _claim(session: Session, now: datetime, cipher: CredentialCipher) -> tuple[list[_Job], int]:
    rows = session.scalars(
        select(AlertDelivery)
        .where(AlertDelivery.state == DeliveryState.PENDING, AlertDelivery.next_attempt_at <= now)
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    subscriptions = _subscriptions(session, {r.subscription_id for r in rows})
    jobs: list[_Job] = []
    refused = 0
    for row in rows:
        row.attempts += 1
        row.last_attempt_at = now
        row.next_attempt_at = now + LEASE
        if row.channel == AlertChannel.MQTT:
            jobs.append(_Job(row.id, row.attempts, row.channel, dict(row.payload)))
            continue
        sub = subscriptions.get(row.subscription_id) if row.subscription_id else None
        if sub is None or not sub.active:
            row.state = DeliveryState.FAILED
            row.last_error = "subscription removed" if sub is None else "subscription inactive"
            refused += 1
            continue
        try:
            secret: str | None = cipher.decrypt_text(sub.secret_token)
        except ValueError:
            secret = None  # retried: the operator may restore the right key
        jobs.append(_Job(row.id, row.attempts, row.channel, dict(row.payload), sub.url, secret))
    session.flush()
    return jobs, refused


def _subscriptions(session: Session, ids: set[int | None]) -> dict[int, WebhookSubscription]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.scalars(select(WebhookSubscription).where(WebhookSubscription.id.in_(wanted)))
    return {r.id: r for r in rows}


def _send(jobs: Sequence[_Job], settings: Settings) -> dict[int, SendOutcome]:
    health = settings.health
    by_url: dict[str, list[_Job]] = {}
    mqtt_jobs: list[_Job] = []
    for job in jobs:
        if job.channel == AlertChannel.MQTT:
            mqtt_jobs.append(job)
        else:
            by_url.setdefault(job.url or "", []).append(job)
    tasks: list[Callable[[], dict[int, SendOutcome]]] = []
    outcomes: dict[int, SendOutcome] = {}
    if not by_url and not mqtt_jobs:
        return outcomes
    # Stop well inside the lease, so no other dispatcher re-claims a row we are still sending.
    deadline = time.monotonic() + LEASE.total_seconds() / 2
    with new_client(health.webhook_timeout_s, max_connections=MAX_PARALLEL) as client:
        for group in by_url.values():
            tasks.append(partial(_send_group, client, group, deadline))
        if mqtt_jobs:
            tasks.append(partial(_send_mqtt, mqtt_jobs, settings))
        workers = min(MAX_PARALLEL, len(tasks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alerts") as pool:
            for result in pool.map(lambda task: task(), tasks):
                outcomes.update(result)
    return outcomes


def _send_group(
    client: httpx.Client, group: Sequence[_Job], deadline: float
) -> dict[int, SendOutcome]:
    outcomes: dict[int, SendOutcome] = {}
    stopped: SendOutcome | None = None
    for job in group:
        if stopped is None and time.monotonic() > deadline:
            stopped = SendOutcome(False, None, "not sent: the round ran out of time", 0.0)
        if stopped is not None:
            outcomes[job.delivery_id] = SendOutcome(False, None, stopped.error, 0.0)
            continue
        if job.secret is None or job.url is None:
            error = "signing secret cannot be decrypted with this key; check credentials_key"
            outcomes[job.delivery_id] = SendOutcome(False, None, error, 0.0)
            continue
        payload = {**job.payload, "delivery": job.delivery_id, "sent_at": utcnow().isoformat()}
        outcome = post_signed(client, url=job.url, payload=payload, secret=job.secret)
        outcomes[job.delivery_id] = outcome
        if outcome.status is None:
            # The endpoint did not answer at all: do not spend another timeout on it this round.
            error = f"not sent: the endpoint failed on delivery {job.delivery_id} ({outcome.error})"
            stopped = SendOutcome(False, None, error[:300], 0.0)
    return outcomes


def _send_mqtt(jobs: Sequence[_Job], settings: Settings) -> dict[int, SendOutcome]:
    health = settings.health
    messages = [
        (state_topic(health.mqtt_topic_prefix, str(j.payload["camera"])), encode_body(j.payload))
        for j in jobs
    ]
    results = publish_retained(health.mqtt_url, messages, timeout_s=health.webhook_timeout_s)
    return {
        job.delivery_id: SendOutcome(r.delivered, None, r.error, 0.0)
        for job, r in zip(jobs, results, strict=True)
    }


def _record(
    session: Session,
    jobs: Sequence[_Job],
    outcomes: dict[int, SendOutcome],
    settings: Settings,
    now: datetime,
) -> dict[str, int]:
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    health = settings.health
    for job in jobs:
        row = session.get(AlertDelivery, job.delivery_id, with_for_update=True)
        # Someone else re-claimed or settled it (our lease ran out): their word stands.
        if row is None or row.state != DeliveryState.PENDING or row.attempts != job.attempts:
            continue
        outcome = outcomes.get(job.delivery_id) or SendOutcome(False, None, "not sent", 0.0)
        row.last_status = outcome.status
        if outcome.delivered:
            row.state = DeliveryState.DELIVERED
            row.delivered_at = now
            row.last_error = None
            counts["delivered"] += 1
        elif row.attempts >= health.webhook_max_attempts:
            row.state = DeliveryState.FAILED
            row.last_error = (outcome.error or "failed")[:500]
            counts["failed"] += 1
        else:
            delay = backoff_delay(row.attempts, health.webhook_backoff_max_s)
            row.next_attempt_at = now + timedelta(seconds=delay)
            row.last_error = (outcome.error or "failed")[:500]
            counts["retrying"] += 1
    session.flush()
    return counts
