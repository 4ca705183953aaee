"""`camreg health webhooks|deliveries|dispatch` through the command line, on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.audit.model import AuditEntry
from camera_registry.db.unit_of_work import unit_of_work
from config import load_settings
from ingest.health.dispatch import BATCH
from ingest.health.model import AlertChannel, AlertDelivery, WebhookSubscription
from ingest.health.outbox import enqueue_state_change
from tests.builders import make_camera
from tests.support.alerts import T0, went_offline
from tests.support.webhook_receiver import closed_port_url, recording_receiver

SECRET = "cli-test-secret-0123456789"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment of the commands: the test database and a throw-away credentials key."""
    return {
        "CAMREG_DATABASE_URL": database_url,
        "CAMREG_DATA_DIR": str(tmp_path / "var"),
        "CAMREG_CREDENTIALS_KEY": Fernet.generate_key().decode(),
        "CAMREG_HEALTH__WEBHOOK_TIMEOUT_S": "1.0",
    }


@pytest.fixture
def cli(env: dict[str, str], session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(env=env)


def _run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, ["health", *args])
    return result.exit_code, result.stdout, result.stderr


def _json(cli: CliRunner, *args: str) -> Any:
    code, out, err = _run(cli, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_webhook_lifecycle(cli: CliRunner, session_factory: sessionmaker[Session]) -> None:
    added = _json(
        cli, "webhooks", "add", "duty", "https://alerts.example.invalid/x", "--ward", "26506"
    )
    assert (added["name"], added["ward"], added["kinds"]) == (
        "duty",
        "26506",
        ["state_changed", "down_long"],
    )
    secret = added["secret"]
    assert len(secret) >= 40
    listed = _json(cli, "webhooks", "list")
    assert [h["name"] for h in listed] == ["duty"]
    assert secret not in json.dumps(listed)
    shown = _json(cli, "webhooks", "show", "duty")
    assert "secret" not in shown or shown["secret"] is None

    updated = _json(
        cli, "webhooks", "update", "duty", "--kind", "down_long", "--all-wards", "--inactive"
    )
    assert (updated["kinds"], updated["ward"], updated["active"], updated["secret"]) == (
        ["down_long"],
        None,
        False,
        None,
    )
    rotated = _json(cli, "webhooks", "update", "duty", "--rotate-secret")
    assert rotated["secret"] not in (None, secret)

    code, out, err = _run(cli, "webhooks", "add", "plain", "https://a.invalid/", "--secret", SECRET)
    assert code == 0, err
    assert SECRET not in out
    with unit_of_work(session_factory) as session:
        tokens = [s.secret_token for s in session.scalars(select(WebhookSubscription))]
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        actors = {a.actor for a in session.scalars(select(AuditEntry))}
    assert all(SECRET not in t and secret not in t for t in tokens)
    assert actions == ["webhook.create", "webhook.update", "webhook.update", "webhook.create"]
    assert all(a.startswith("cli:") for a in actors)

    removed = _json(cli, "webhooks", "remove", "duty")
    assert removed["name"] == "duty"
    assert [h["name"] for h in _json(cli, "webhooks", "list")] == ["plain"]


def test_refusals_exit_2_with_what_to_fix(cli: CliRunner) -> None:
    code, out, err = _run(cli, "webhooks", "add", "x", "ftp://a.invalid/")
    assert (code, out) == (2, "")
    assert "http:// or https://" in err
    code, _, err = _run(cli, "webhooks", "add", "x", "https://a.invalid/", "--secret", "short")
    assert code == 2
    assert "16 characters" in err
    code, _, err = _run(cli, "webhooks", "add", "x", "https://a.invalid/", "--ward", "99999")
    assert code == 2
    assert "unknown ward code" in err
    code, _, err = _run(cli, "webhooks", "remove", "nobody")
    assert code == 2
    assert "webhooks list" in err
    code, _, err = _run(cli, "webhooks", "update", "nobody", "--ward", "26506", "--all-wards")
    assert code == 2
    assert "not both" in err


def test_ping_dispatch_and_delivery_log(
    cli: CliRunner, env: dict[str, str], session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with recording_receiver(statuses=[500]) as receiver:
        code, _, err = _run(cli, "webhooks", "add", "duty", receiver.url, "--secret", SECRET)
        assert code == 0, err
        # The first answer is a 500: the ping says so and exits 1.
        failed = _run(cli, "webhooks", "test", "duty", "--json")
        assert failed[0] == 1
        assert json.loads(failed[1])["status"] == 500
        ping = _json(cli, "webhooks", "test", "duty")
        assert (ping["delivered"], ping["status"]) == (True, 204)

        settings = load_settings(database_url=env["CAMREG_DATABASE_URL"], data_dir=tmp_path)
        with unit_of_work(session_factory) as session:
            camera = make_camera(session, code="VT-0001", ward_code="26506")
            enqueue_state_change(session, went_offline(camera), settings.health, T0)
        pending = _json(cli, "deliveries", "--state", "pending")
        assert [(d["camera"], d["subscription"], d["attempts"]) for d in pending] == [
            ("VT-0001", "duty", 0)
        ]
        summary = _json(cli, "dispatch")
        got = list(receiver.received)
    assert summary == {"claimed": 1, "delivered": 1, "retrying": 0, "failed": 0}
    assert [r.json()["type"] for r in got] == ["ping", "ping", "camera.state_changed"]
    assert all(r.signature_ok(SECRET) for r in got)
    delivered = _json(cli, "deliveries", "--state", "delivered", "--subscription", "duty")
    assert [(d["camera"], d["attempts"], d["last_status"]) for d in delivered] == [
        ("VT-0001", 1, 204)
    ]
    assert _json(cli, "deliveries", "--camera", "VT-9999") == []
    code, out, err = _run(cli, "deliveries")
    assert code == 0, err
    assert "VT-0001" in out


def test_ping_to_a_dead_endpoint(cli: CliRunner) -> None:
    code, _, err = _run(cli, "webhooks", "add", "dead", closed_port_url())
    assert code == 0, err
    code, out, err = _run(cli, "webhooks", "test", "dead")
    assert (code, out) == (1, "")
    assert "not accepted" in err
    assert "ConnectError" in err


def test_dispatch_goes_on_while_rounds_come_back_full(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    with recording_receiver() as receiver:
        code, _, err = _run(cli, "webhooks", "add", "duty", receiver.url, "--secret", SECRET)
        assert code == 0, err
        with unit_of_work(session_factory) as session:
            camera = make_camera(session, code="VT-0001")
            sub = session.scalars(select(WebhookSubscription)).one()
            for n in range(BATCH + 5):
                session.add(
                    AlertDelivery(
                        channel=AlertChannel.WEBHOOK,
                        subscription_id=sub.id,
                        camera_id=camera.id,
                        kind="state_changed",
                        dedupe_key=f"bulk:{n}",
                        payload={"type": "camera.state_changed", "n": n},
                        next_attempt_at=T0,
                        created_at=T0,
                    )
                )
        summary = _json(cli, "dispatch")
        got = len(receiver.received)
    assert summary["claimed"] == summary["delivered"] == got == BATCH + 5
