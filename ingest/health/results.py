"""What a single check finds, before debounce: the contract between probes and storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingest.health.vocabulary import CheckTier, HealthState, Reason, ordered, state_of


@dataclass(frozen=True)
class CheckResult:
    """One fresh result of one tier for one camera (not debounced)."""

    camera_id: int
    camera_code: str
    tier: CheckTier
    checked_at: datetime  # aware UTC, when the check started
    reasons: tuple[Reason, ...] = ()
    latency_ms: float | None = None  # reachability: connect + OPTIONS + DESCRIBE
    # Facts measured along the way, e.g. {"rtsp_status": 200, "width": 1280, "fps": 9.8,
    # "mean_luma": 3.1, "sharpness": 12.0}; never credentials.
    details: dict[str, Any] = field(default_factory=dict)
    message: str | None = None  # one line for people, e.g. "connection refused"
    snapshot_jpeg: bytes | None = None  # picture checks: a small JPEG of the last frame

    @property
    def state(self) -> HealthState:
        """Return the state these reasons imply."""
        return state_of(self.reasons)

    @property
    def reason_list(self) -> list[Reason]:
        """Return the reasons in vocabulary order."""
        return ordered(self.reasons)


@dataclass(frozen=True)
class ProbeTarget:
    """What a check needs to know of one camera; credentials are decrypted only in memory."""

    camera_id: int
    code: str
    url: str  # the main stream URL, without credentials
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    expected_width: int | None = None
    expected_height: int | None = None
    expected_fps: float | None = None
    # The technician's reference picture (a JPEG file), if one was set.
    reference_path: str | None = None
    # Why stored credentials were left out (e.g. they cannot be decrypted with this key), so a
    # refusal names the real fault instead of "none are stored".
    credentials_problem: str | None = None


@dataclass(frozen=True)
class StateChange:
    """A camera's debounced state changed: what alerts are made of."""

    camera_id: int
    camera_code: str
    ward_code: str | None
    previous: HealthState
    current: HealthState
    reasons: tuple[Reason, ...]
    at: datetime  # when the new state began (aware UTC)
    # When the camera left `online`: the incident this change belongs to (for a recovery, the
    # incident it ends); None when there is none (e.g. first sight of a working camera).
    incident_started_at: datetime | None
