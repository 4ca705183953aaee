"""Webhook subscriptions: create, list, show, update, remove, and a test ping.

The signing secret is encrypted at rest with the credentials key and leaves the service only
once: in the answer to the create or rotate that generated it. Every write is audited.

Removing a subscription deletes its row (and so its secret) but keeps its delivery log: the
deliveries' link is cleared, their dedupe keys are made unique to them (so a later subscription
that gets the same id on SQLite is not mistaken for it) and pending ones are marked failed. The
audit entry of the removal keeps its name and URL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.area.official import is_official_ward
from camera_registry.area.repository import AreaRepository
from camera_registry.audit.service import append_audit
from camera_registry.clock import utcnow
from camera_registry.crypto import CredentialCipher, load_or_create_key
from camera_registry.errors import Conflict, FieldProblem, InvalidInput, NotFound
from config import Settings
from ingest.health.alert_schema import (
    PING_EVENT,
    AlertKind,
    PingResult,
    WebhookCreate,
    WebhookIssued,
    WebhookRead,
    WebhookUpdate,
)
from ingest.health.model import AlertDelivery, DeliveryState, WebhookSubscription
from ingest.health.signing import new_secret
from ingest.health.webhook_send import new_client, post_signed


class SubscriptionNotFound(NotFound):
    """No webhook subscription with that name or id."""


def alert_cipher(settings: Settings) -> CredentialCipher:
    """Return the cipher of webhook secrets: the credentials key (file made on first use)."""
    key = load_or_create_key(
        settings.credentials_key.get_secret_value(), settings.effective_key_file
    )
    return CredentialCipher(key)


def check_url(url: str, field_name: str = "url") -> str:
    """Return the URL when it is an absolute http(s) URL without credentials; else InvalidInput."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        raise _invalid(field_name, f"not a URL ({exc}); give e.g. https://host/path") from None
    if parts.scheme not in {"http", "https"}:
        raise _invalid(
            field_name,
            f"scheme {parts.scheme or '(none)'!r} is not supported; "
            "give an http:// or https:// URL",
        )
    if not parts.hostname:
        raise _invalid(field_name, "no host; give e.g. https://alerts.example.org/camreg")
    if parts.username is not None or parts.password is not None:
        raise _invalid(
            field_name,
            "remove the user name and password from the URL; receivers check the signature",
        )
    del port
    return url.strip()


def _invalid(field_name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field_name}: {message}", problems=[FieldProblem(field_name, message)])


def _check_ward(session: Session, ward: str | None) -> None:
    if ward is None:
        return
    known = {a.code for a in AreaRepository(session).all()}
    if ward not in known and not is_official_ward(ward):
        raise _invalid("ward", f"unknown ward code {ward!r}; `camreg areas list` shows them")


def subscription_read(row: WebhookSubscription) -> WebhookRead:
    """Return a subscription as callers see it (never the secret)."""
    return WebhookRead(
        id=row.id,
        name=row.name,
        url=row.url,
        kinds=[AlertKind(k) for k in row.kinds],
        ward=row.ward_code,
        active=row.active,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _snapshot(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "name": row.name,
        "url": row.url,
        "kinds": list(row.kinds),
        "ward": row.ward_code,
        "active": row.active,
    }


def get_subscription(session: Session, *, ref: int | str) -> WebhookSubscription:
    """Return the subscription with this id (int) or name (str; else its id, as listed)."""
    if isinstance(ref, int):
        row = session.get(WebhookSubscription, ref)
    else:
        row = session.scalar(select(WebhookSubscription).where(WebhookSubscription.name == ref))
        # The listing shows ids beside names: `webhooks test 1` means that one when no
        # subscription is named "1".
        if row is None and ref.isdecimal():
            row = session.get(WebhookSubscription, int(ref))
    if row is None:
        raise SubscriptionNotFound(
            f"no webhook subscription {ref!r}; `camreg health webhooks list` shows them"
        )
    return row


def list_subscriptions(session: Session) -> list[WebhookRead]:
    """Return every subscription, by name."""
    rows = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.name))
    return [subscription_read(r) for r in rows]


def create_subscription(
    session: Session, *, data: WebhookCreate, actor: Actor, cipher: CredentialCipher
) -> WebhookIssued:
    """Create a subscription; a generated secret is in the answer and nowhere else."""
    url = check_url(data.url)
    _check_ward(session, data.ward)
    if session.scalar(select(WebhookSubscription.id).where(WebhookSubscription.name == data.name)):
        raise Conflict(f"a webhook subscription named {data.name!r} exists already")
    generated = data.secret is None
    secret = new_secret() if data.secret is None else data.secret.get_secret_value()
    now = utcnow()
    row = WebhookSubscription(
        name=data.name,
        url=url,
        secret_token=cipher.encrypt_text(secret),
        kinds=[str(k) for k in data.kinds],
        ward_code=data.ward,
        active=data.active,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="webhook.create",
        target=f"webhook:{row.id}",
        details={**_snapshot(row), "secret": "generated" if generated else "given"},
    )
    return WebhookIssued(
        **subscription_read(row).model_dump(), secret=secret if generated else None
    )


def update_subscription(
    session: Session,
    *,
    ref: int | str,
    data: WebhookUpdate,
    actor: Actor,
    cipher: CredentialCipher,
) -> WebhookIssued:
    """Change a subscription; a rotated secret is in the answer and nowhere else."""
    row = get_subscription(session, ref=ref)
    if data.rotate_secret and data.secret is not None:
        raise _invalid("secret", "give either a new secret or rotate_secret, not both")
    before = _snapshot(row)
    given = data.model_fields_set
    if data.url is not None:
        row.url = check_url(data.url)
    if data.kinds is not None:
        row.kinds = [str(k) for k in data.kinds]
    if "ward" in given:
        _check_ward(session, data.ward)
        row.ward_code = data.ward
    if data.active is not None:
        row.active = data.active
    shown: str | None = None
    secret_change: str | None = None
    if data.rotate_secret:
        shown = new_secret()
        row.secret_token = cipher.encrypt_text(shown)
        secret_change = "rotated"  # noqa: S105 - what happened, not a secret
    elif data.secret is not None:
        row.secret_token = cipher.encrypt_text(data.secret.get_secret_value())
        secret_change = "replaced"  # noqa: S105 - what happened, not a secret
    row.updated_at = utcnow()
    session.flush()
    after = _snapshot(row)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    details: dict[str, Any] = {"name": row.name, "changed": changed}
    if secret_change:
        details["secret"] = secret_change
    append_audit(
        session, actor=actor, action="webhook.update", target=f"webhook:{row.id}", details=details
    )
    return WebhookIssued(**subscription_read(row).model_dump(), secret=shown)


def remove_subscription(session: Session, *, ref: int | str, actor: Actor) -> WebhookRead:
    """Delete a subscription and its secret, keeping its deliveries in the log (unlinked)."""
    row = get_subscription(session, ref=ref)
    gone = subscription_read(row)
    session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.subscription_id == row.id,
            AlertDelivery.state == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.FAILED, last_error=f"subscription {row.name} was removed")
    )
    for delivery in session.scalars(
        select(AlertDelivery).where(AlertDelivery.subscription_id == row.id)
    ):
        delivery.subscription_id = None
        delivery.dedupe_key = f"{delivery.dedupe_key}|removed:{delivery.id}"[:300]
    session.flush()
    session.delete(row)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="webhook.remove",
        target=f"webhook:{gone.id}",
        details=gone.model_dump(mode="json", exclude={"created_at", "updated_at"}),
    )
    return gone


@dataclass(frozen=True)
class PingTarget:
    """What a test ping needs, read in a unit of work and sent after it (no lock held)."""

    name: str
    url: str
    secret: str = field(repr=False)


def prepare_ping(
    session: Session, *, ref: int | str, actor: Actor, cipher: CredentialCipher
) -> PingTarget:
    """Return the subscription's URL and secret for a test ping, and audit the ping."""
    row = get_subscription(session, ref=ref)
    append_audit(
        session,
        actor=actor,
        action="webhook.test",
        target=f"webhook:{row.id}",
        details={"name": row.name, "url": row.url},
    )
    return PingTarget(name=row.name, url=row.url, secret=cipher.decrypt_text(row.secret_token))


def send_ping(target: PingTarget, *, timeout_s: float) -> PingResult:
    """POST a signed `ping` to the subscription's URL now and report what came back."""
    payload = {
        "type": PING_EVENT,
        "delivery": f"ping-{uuid.uuid4().hex[:12]}",
        "subscription": target.name,
        "sent_at": utcnow().isoformat(),
    }
    with new_client(timeout_s, max_connections=1) as client:
        outcome = post_signed(client, url=target.url, payload=payload, secret=target.secret)
    return PingResult(
        subscription=target.name,
        url=target.url,
        delivered=outcome.delivered,
        status=outcome.status,
        error=outcome.error,
        latency_ms=round(outcome.latency_ms, 1),
    )
