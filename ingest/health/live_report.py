"""Health facts of cameras a worker ingests live: last frame time and frame rate, not probes.

A live pipeline updates its `LiveStatus` as packets arrive and when the stream fails (cheap, in
memory, from the pipeline thread). The worker's health scheduler turns them into LIVE results at
most every `report_s` per camera (at once when a stream breaks off or comes back) and stores them;
storing sets `live_until`, and probes leave the camera alone until then.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingest.health.results import CheckResult
from ingest.health.vocabulary import CheckTier, Reason

REPORT_S = 30.0


@dataclass(frozen=True)
class LiveFacts:
    """A snapshot of a live stream's state."""

    last_frame_at: datetime | None
    fps: float | None
    lost_reason: str | None
    lost_at: datetime | None


class LiveStatus:
    """A pipeline's stream facts, safe to update from its thread and read from another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_frame_at: datetime | None = None
        self._frames = 0
        self._window: tuple[datetime, int] | None = None  # (start, frames at start) for fps
        self._lost_reason: str | None = None
        self._lost_at: datetime | None = None

    def frame(self, at: datetime) -> None:
        """Note a video packet received at `at` (wall clock)."""
        with self._lock:
            self._last_frame_at = at
            self._frames += 1
            if self._window is None:
                self._window = (at, self._frames - 1)

    def lost(self, reason: str, at: datetime) -> None:
        """Note that the stream failed (or could not be opened) for `reason`."""
        with self._lock:
            self._lost_reason, self._lost_at = reason, at
            self._window = None

    def facts(self, now: datetime) -> LiveFacts:
        """Return the facts; the frame rate is over the time since the previous call."""
        with self._lock:
            fps = None
            if self._window is not None:
                start, frames = self._window
                seconds = (now - start).total_seconds()
                if seconds > 0:
                    fps = round((self._frames - frames) / seconds, 2)
                self._window = (now, self._frames)
            return LiveFacts(self._last_frame_at, fps, self._lost_reason, self._lost_at)


def reason_of(message: str) -> Reason:
    """Return the vocabulary reason of a stream failure message."""
    text = message.lower()
    if "timed out" in text or "timeout" in text:
        return Reason.TIMEOUT
    if "401" in text or "auth" in text or "credential" in text or "403" in text:
        return Reason.AUTH_FAILED
    if "no decodable video" in text or "invalid data" in text or "internal error" in text:
        return Reason.SERVER_ERROR
    return Reason.UNREACHABLE


@dataclass
class LiveReporter:
    """Turn live statuses into LIVE results, at most every `report_s` per camera."""

    report_s: float = REPORT_S
    # A stream without a frame for this long counts as failing even before the pipeline says so.
    stale_s: float = 20.0
    _last: dict[int, tuple[datetime, bool]] = field(default_factory=dict)

    def result(
        self, camera_id: int, code: str, facts: LiveFacts, now: datetime
    ) -> CheckResult | None:
        """Return the LIVE result the facts make now, or None (nothing known yet)."""
        fresh = facts.last_frame_at is not None and (
            now - facts.last_frame_at <= timedelta(seconds=self.stale_s)
        )
        recovered = facts.lost_at is None or (
            facts.last_frame_at is not None and facts.last_frame_at > facts.lost_at
        )
        details: dict[str, object] = {"valid_s": 3 * self.report_s}
        if facts.last_frame_at is not None:
            details["last_frame_at"] = facts.last_frame_at.isoformat()
        if facts.fps is not None:
            details["fps"] = facts.fps
        if fresh and recovered:
            return CheckResult(camera_id, code, CheckTier.LIVE, now, (), details=details)
        if facts.lost_reason is not None:
            reason = reason_of(facts.lost_reason)
            message = facts.lost_reason[:300]
            return CheckResult(
                camera_id, code, CheckTier.LIVE, now, (reason,), details=details, message=message
            )
        if facts.last_frame_at is not None:
            return CheckResult(
                camera_id,
                code,
                CheckTier.LIVE,
                now,
                (Reason.TIMEOUT,),
                details=details,
                message=f"no frame for {(now - facts.last_frame_at).total_seconds():.0f} s",
            )
        return None

    def collect(
        self, statuses: Iterable[tuple[int, str, LiveStatus]], now: datetime
    ) -> list[CheckResult]:
        """Return the results due now: every `report_s`, or at once when a verdict flips."""
        results = []
        for camera_id, code, status in statuses:
            result = self.result(camera_id, code, status.facts(now), now)
            if result is None:
                continue
            ok = not result.reasons
            last = self._last.get(camera_id)
            if (
                last is not None
                and last[1] == ok
                and (now - last[0]).total_seconds() < self.report_s
            ):
                continue
            self._last[camera_id] = (now, ok)
            results.append(result)
        return results
