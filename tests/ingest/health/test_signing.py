"""Webhook signatures: HMAC-SHA256 of the raw body, constant-time checks, replay window."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from ingest.health.signing import (
    encode_body,
    new_secret,
    sign,
    signature_matches,
    verify_delivery,
)

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
SECRET = "whsec-test-0123456789"


def _body(sent_at: datetime = NOW) -> bytes:
    return encode_body({"type": "camera.state_changed", "state": "offline", "sent_at": sent_at})


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET) == f"sha256={expected}"
    assert signature_matches(body, SECRET, f"sha256={expected}")
    assert not signature_matches(body + b" ", SECRET, f"sha256={expected}")
    assert not signature_matches(body, SECRET + "x", sign(body, SECRET + "y"))
    assert not signature_matches(body, SECRET, None)
    assert not signature_matches(body, SECRET, expected)  # the prefix is part of the value


def test_body_is_compact_utf8_json() -> None:
    body = encode_body({"name": "Phường Vũng Tàu", "n": 1})
    assert body == '{"name":"Phường Vũng Tàu","n":1}'.encode()
    assert json.loads(body)["name"] == "Phường Vũng Tàu"


def test_verify_delivery_refuses_stale_tampered_and_undated_bodies() -> None:
    body = _body()
    header = sign(body, SECRET)
    assert verify_delivery(body, SECRET, header, now=NOW + timedelta(seconds=30))
    assert not verify_delivery(body, SECRET, header, now=NOW + timedelta(minutes=6))
    assert not verify_delivery(body, SECRET, header, now=NOW - timedelta(minutes=6))
    tampered = body.replace(b"offline", b"online_")
    assert not verify_delivery(tampered, SECRET, header, now=NOW)
    undated = encode_body({"type": "camera.state_changed"})
    assert not verify_delivery(undated, SECRET, sign(undated, SECRET), now=NOW)
    naive = encode_body({"sent_at": "2026-11-28T08:00:00"})
    assert not verify_delivery(naive, SECRET, sign(naive, SECRET), now=NOW)


def test_generated_secrets_are_long_and_distinct() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(s) >= 40 for s in secrets)
