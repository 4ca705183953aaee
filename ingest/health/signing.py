"""Signatures of webhook bodies: HMAC-SHA256 of the raw body with the subscription's secret.

How a receiver verifies a delivery (see also docs/ALERTS.md):

1. Read the raw request body as bytes, before any JSON parsing.
2. Compute ``"sha256=" + hex(HMAC-SHA256(key=secret as UTF-8, message=raw body))``.
3. Compare it with the ``X-Camreg-Signature`` header in constant time
   (Python: ``hmac.compare_digest``); refuse the request when they differ.
4. Parse the body and refuse it when ``sent_at`` is further than a few minutes from the
   receiver's clock (replay protection: the timestamp is inside the signed bytes).
5. ``X-Camreg-Delivery`` (also ``delivery`` in the body) is the same on every retry of one alert,
   so a receiver that saw it already can answer 2xx and do nothing.

`verify_delivery` below is exactly this recipe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-Camreg-Signature"
EVENT_HEADER = "X-Camreg-Event"
DELIVERY_HEADER = "X-Camreg-Delivery"
SIGNATURE_PREFIX = "sha256="
# Secrets shorter than this are guessable; generated ones are 43 characters.
MIN_SECRET_LENGTH = 16
DEFAULT_TOLERANCE = timedelta(minutes=5)


def new_secret() -> str:
    """Return a fresh random signing secret (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def sign(body: bytes, secret: str) -> str:
    """Return the `X-Camreg-Signature` value of a body: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_matches(body: bytes, secret: str, header: str | None) -> bool:
    """Return True when the header is the body's signature with this secret (constant time)."""
    if not header:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())


def verify_delivery(
    body: bytes,
    secret: str,
    header: str | None,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """Return True for a genuine, fresh delivery: the signature matches and `sent_at` is recent."""
    if not signature_matches(body, secret, header):
        return False
    try:
        sent_at = datetime.fromisoformat(json.loads(body)["sent_at"])
    except (ValueError, KeyError, TypeError):
        return False
    if sent_at.utcoffset() is None:
        return False
    return abs(now - sent_at) <= tolerance


def encode_body(payload: dict[str, object]) -> bytes:
    """Return the exact bytes that are signed and sent (compact, UTF-8 JSON)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
