"""The health step of `camreg demo`: one real reachability check of every sample camera."""

from __future__ import annotations

import os
import socket
from collections import Counter
from pathlib import Path
from typing import Any

from config import Settings
from ingest.health.service import HealthContext, check_now
from ingest.health.vocabulary import CheckTier
from ingest.runtime import IngestRuntime
from ingest.worker import credential_cipher


def demo_step(settings: Settings, samples: Path) -> dict[str, Any]:
    """The `camreg.demo_steps` entry point: probe every camera and return the states found.

    The sample cameras' stream hosts are under `.invalid`, so they are found unreachable: the
    dashboard then shows what a real outage looks like. Probing as many times as debounce needs
    makes the stored states settle, as they would after a few minutes of `camreg worker`.
    """
    del samples  # the cameras are already registered from them
    runtime = IngestRuntime.from_settings(settings)
    try:
        ctx = HealthContext(
            session_factory=runtime.session_factory,
            settings=settings,
            cipher=credential_cipher(runtime),
            owner=f"demo:{socket.gethostname()}:{os.getpid()}",
        )
        checks = []
        for _ in range(settings.health.failures_to_offline):
            checks = check_now(ctx, codes=[], tiers={CheckTier.REACHABILITY})
    finally:
        runtime.close()
    states = Counter(check.stored_state or "unknown" for check in checks)
    return {"checked": len(checks), "states": dict(sorted(states.items()))}
