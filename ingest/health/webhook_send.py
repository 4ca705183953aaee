"""One signed POST to a webhook endpoint, bounded by the configured timeout."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from ingest.health.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    encode_body,
    sign,
)

USER_AGENT = "camreg-alerts/1"
MAX_ERROR = 300


@dataclass(frozen=True)
class SendOutcome:
    """How one attempt went: 2xx is delivered; anything else is retried."""

    delivered: bool
    status: int | None
    error: str | None
    latency_ms: float


def new_client(timeout_s: float, max_connections: int = 32) -> httpx.Client:
    """Return an HTTP client for webhooks: no redirects followed, no environment proxies."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=max_connections),
        headers={"User-Agent": USER_AGENT},
    )


def post_signed(
    client: httpx.Client, *, url: str, payload: dict[str, Any], secret: str
) -> SendOutcome:
    """POST the payload as JSON, signed with the secret; never raises for network trouble."""
    body = encode_body(payload)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, secret),
        EVENT_HEADER: str(payload.get("type", "")),
        DELIVERY_HEADER: str(payload.get("delivery", "")),
    }
    started = time.perf_counter()
    try:
        # Only the status matters: the answer's body is never read, so a receiver that sends a
        # large or endless body cannot hold the sender beyond the status line.
        with client.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
    except httpx.TimeoutException as exc:
        return _failed(started, f"timed out ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return _failed(started, f"{type(exc).__name__}: {_first_line(exc)}")
    latency = (time.perf_counter() - started) * 1000
    if 200 <= status < 300:
        return SendOutcome(True, status, None, latency)
    return SendOutcome(False, status, f"HTTP {status}", latency)


def _failed(started: float, error: str) -> SendOutcome:
    latency = (time.perf_counter() - started) * 1000
    return SendOutcome(False, None, error[:MAX_ERROR], latency)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "no detail"
