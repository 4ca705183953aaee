"""Webhook subscriptions: secrets encrypted and shown once, clear refusals, audited writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import cli_actor
from camera_registry.audit.model import AuditEntry
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import Conflict, InvalidInput, NotFound
from config import Settings
from ingest.health.alert_schema import AlertKind, WebhookCreate, WebhookUpdate
from ingest.health.model import AlertChannel, AlertDelivery, DeliveryState, WebhookSubscription
from ingest.health.webhooks import (
    alert_cipher,
    create_subscription,
    get_subscription,
    list_subscriptions,
    remove_subscription,
    update_subscription,
)
from tests.builders import make_camera
from tests.support.alerts import T0, alert_settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings with a throw-away credentials key."""
    return alert_settings(database_url, tmp_path)


def test_generated_secret_is_shown_once_and_stored_encrypted(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cipher = alert_cipher(settings)
    with unit_of_work(session_factory) as session:
        issued = create_subscription(
            session,
            data=WebhookCreate(name="duty", url="https://alerts.example.invalid/camreg"),
            actor=cli_actor(),
            cipher=cipher,
        )
    assert issued.secret is not None
    assert len(issued.secret) >= 40
    assert issued.kinds == [AlertKind.STATE_CHANGED, AlertKind.DOWN_LONG]
    with unit_of_work(session_factory) as session:
        row = session.scalars(select(WebhookSubscription)).one()
        assert issued.secret not in row.secret_token
        assert cipher.decrypt_text(row.secret_token) == issued.secret
        listed = list_subscriptions(session)
        assert [s.name for s in listed] == ["duty"]
        assert "secret" not in listed[0].model_dump()
        audit = session.scalars(select(AuditEntry)).all()
    assert [(a.action, a.actor) for a in audit] == [("webhook.create", cli_actor().name)]
    assert audit[0].details["secret"] == "generated"
    assert issued.secret not in str(audit[0].details)


def test_given_secret_is_never_echoed(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as session:
        issued = create_subscription(
            session,
            data=WebhookCreate(name="mine", url="http://127.0.0.1:9/x", secret=SecretStr("s" * 20)),
            actor=cli_actor(),
            cipher=alert_cipher(settings),
        )
    assert issued.secret is None


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("ftp://alerts.example.invalid/x", "http:// or https://"),
        ("alerts.example.invalid/x", "http:// or https://"),
        ("https:///path", "no host"),
        ("https://user:pw@alerts.example.invalid/x", "remove the user name and password"),
        ("http://alerts.example.invalid:99999/", "not a URL"),
    ],
)
def test_bad_urls_are_refused_with_what_to_fix(
    session_factory: sessionmaker[Session], settings: Settings, url: str, hint: str
) -> None:
    with unit_of_work(session_factory) as session, pytest.raises(InvalidInput) as caught:
        create_subscription(
            session,
            data=WebhookCreate(name="bad", url=url),
            actor=cli_actor(),
            cipher=alert_cipher(settings),
        )
    assert hint in caught.value.message
    assert caught.value.problems[0].field == "url"


def test_schema_refusals() -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        WebhookCreate(name="x", url="https://a.invalid", secret=SecretStr("short"))
    with pytest.raises(ValidationError, match="at least one of"):
        WebhookCreate(name="x", url="https://a.invalid", kinds=[])
    with pytest.raises(ValidationError):
        WebhookCreate(name="x", url="https://a.invalid", kinds=["everything"])


def test_unknown_ward_and_duplicate_name(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cipher = alert_cipher(settings)
    with unit_of_work(session_factory) as session:
        with pytest.raises(InvalidInput, match="unknown ward code"):
            create_subscription(
                session,
                data=WebhookCreate(name="w", url="https://a.invalid/", ward="99999"),
                actor=cli_actor(),
                cipher=cipher,
            )
        data = WebhookCreate(name="w", url="https://a.invalid/", ward="26506")
        create_subscription(session, data=data, actor=cli_actor(), cipher=cipher)
        with pytest.raises(Conflict, match="exists already"):
            create_subscription(session, data=data, actor=cli_actor(), cipher=cipher)


def test_a_subscription_is_found_by_name_or_by_the_id_the_listing_shows(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cipher = alert_cipher(settings)
    with unit_of_work(session_factory) as session:
        duty = create_subscription(
            session,
            data=WebhookCreate(name="duty", url="https://a.invalid/"),
            actor=cli_actor(),
            cipher=cipher,
        )
        assert get_subscription(session, ref="duty").id == duty.id
        assert get_subscription(session, ref=str(duty.id)).name == "duty"
        # A name that looks like an id wins: names are what the commands document.
        numbered = create_subscription(
            session,
            data=WebhookCreate(name=str(duty.id), url="https://b.invalid/"),
            actor=cli_actor(),
            cipher=cipher,
        )
        assert get_subscription(session, ref=str(duty.id)).id == numbered.id
        with pytest.raises(NotFound, match="webhooks list"):
            get_subscription(session, ref="999999")


def test_update_rotates_and_replaces_the_secret(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cipher = alert_cipher(settings)
    with unit_of_work(session_factory) as session:
        first = create_subscription(
            session,
            data=WebhookCreate(name="duty", url="https://a.invalid/", ward="26506"),
            actor=cli_actor(),
            cipher=cipher,
        )
    with unit_of_work(session_factory) as session:
        rotated = update_subscription(
            session,
            ref="duty",
            data=WebhookUpdate(rotate_secret=True, kinds=[AlertKind.DOWN_LONG], ward=None),
            actor=cli_actor(),
            cipher=cipher,
        )
    assert rotated.secret
    assert rotated.secret != first.secret
    assert (rotated.kinds, rotated.ward) == ([AlertKind.DOWN_LONG], None)
    with unit_of_work(session_factory) as session:
        kept = update_subscription(
            session,
            ref=first.id,
            data=WebhookUpdate(active=False),
            actor=cli_actor(),
            cipher=cipher,
        )
        row = get_subscription(session, ref="duty")
        assert cipher.decrypt_text(row.secret_token) == rotated.secret
    assert (kept.secret, kept.active, kept.kinds) == (None, False, [AlertKind.DOWN_LONG])
    with unit_of_work(session_factory) as session:
        replaced = update_subscription(
            session,
            ref="duty",
            data=WebhookUpdate(secret=SecretStr("r" * 24)),
            actor=cli_actor(),
            cipher=cipher,
        )
        assert replaced.secret is None
        assert cipher.decrypt_text(get_subscription(session, ref="duty").secret_token) == "r" * 24
        with pytest.raises(InvalidInput, match="not both"):
            update_subscription(
                session,
                ref="duty",
                data=WebhookUpdate(secret=SecretStr("r" * 24), rotate_secret=True),
                actor=cli_actor(),
                cipher=cipher,
            )
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        details = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()[1].details
    assert actions == ["webhook.create", "webhook.update", "webhook.update", "webhook.update"]
    assert details["secret"] == "rotated"
    assert details["changed"]["ward"] == ["26506", None]


def test_remove_keeps_the_delivery_log(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cipher = alert_cipher(settings)
    with unit_of_work(session_factory) as session:
        camera = make_camera(session)
        sub = create_subscription(
            session,
            data=WebhookCreate(name="gone", url="https://a.invalid/"),
            actor=cli_actor(),
            cipher=cipher,
        )
        for n, state in enumerate([DeliveryState.DELIVERED, DeliveryState.PENDING]):
            session.add(
                AlertDelivery(
                    channel=AlertChannel.WEBHOOK,
                    subscription_id=sub.id,
                    camera_id=camera.id,
                    kind="state_changed",
                    dedupe_key=f"webhook:{sub.id}:{camera.code}:x:{n}",
                    payload={},
                    state=state,
                    attempts=1,
                    next_attempt_at=T0,
                    created_at=T0,
                )
            )
    with unit_of_work(session_factory) as session:
        removed = remove_subscription(session, ref="gone", actor=cli_actor())
        assert removed.name == "gone"
        with pytest.raises(NotFound, match="webhooks list"):
            get_subscription(session, ref="gone")
    with unit_of_work(session_factory) as session:
        rows = session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)).all()
        assert [(r.subscription_id, r.state) for r in rows] == [
            (None, DeliveryState.DELIVERED),
            (None, DeliveryState.FAILED),
        ]
        assert all(r.dedupe_key.endswith(f"|removed:{r.id}") for r in rows)
        assert rows[1].last_error == "subscription gone was removed"
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last is not None
    assert last.action == "webhook.remove"
    assert last.details["url"] == "https://a.invalid/"
