"""Read models of camera health: current states, checks, intervals, availability, references."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from camera_registry.camera.model import CameraStatus
from ingest.health.vocabulary import CheckTier, HealthState, Reason

STATE_ORDER = (HealthState.ONLINE, HealthState.DEGRADED, HealthState.OFFLINE, HealthState.UNKNOWN)


class LiveInfo(BaseModel):
    """What a worker ingesting the stream reports instead of probes."""

    worker: str | None = None
    until: datetime | None = Field(None, description="The report holds until then.")
    last_frame_at: datetime | None = None
    fps: float | None = None


class CameraHealthRead(BaseModel):
    """A camera's current (debounced) state, as the actor may see it."""

    camera: str
    name: str
    ward: str | None = None
    ward_name: str | None = None
    lat: float
    lon: float
    status: CameraStatus
    state: HealthState
    reasons: list[Reason] = Field(default_factory=list)
    since: datetime | None = Field(None, description="Start of the current state, if known.")
    duration_s: float | None = Field(None, description="Seconds the current state has lasted.")
    last_check_at: datetime | None = None
    last_reachability_at: datetime | None = None
    last_picture_at: datetime | None = None
    latency_ms: float | None = None
    live: LiveInfo | None = Field(None, description="Present while a worker reports the stream.")
    has_reference: bool = False
    reference_set_at: datetime | None = None
    reference_set_by: str | None = None


class HealthListing(BaseModel):
    """Current states, problems first (longest lasting first), with counts per state."""

    at: datetime = Field(description="When the states were read.")
    counts: dict[HealthState, int] = Field(
        description="Cameras per state among those the camera filters chose (before state and"
        " reason filters)."
    )
    items: list[CameraHealthRead]


class CheckRead(BaseModel):
    """One fresh (not debounced) check result."""

    id: int
    camera: str
    tier: CheckTier
    checked_at: datetime
    state: HealthState
    reasons: list[Reason] = Field(default_factory=list)
    latency_ms: float | None = None
    message: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    snapshot: str | None = Field(None, description="URL (API) or file (CLI) of the snapshot.")
    worker: str | None = None


class CheckPage(BaseModel):
    """A page of checks, newest first."""

    items: list[CheckRead]
    next_cursor: str | None = Field(None, description="Absent on the last page.")


class IntervalRead(BaseModel):
    """A stretch of a camera's timeline in one state, clipped to the window asked for."""

    state: HealthState
    reasons: list[Reason] = Field(default_factory=list)
    start: datetime
    end: datetime
    ongoing: bool = Field(False, description="The state still holds at the end of this stretch.")
    recorded: bool = Field(True, description="False for time no interval covers (unknown).")


class CameraTimeline(BaseModel):
    """A camera's states over a window; time no interval covers shows as unknown."""

    camera: str
    start: datetime
    end: datetime
    intervals: list[IntervalRead]


class CameraTimelines(BaseModel):
    """Several cameras' states over one window, in the order asked for."""

    start: datetime
    end: datetime
    cameras: list[CameraTimeline]


class CameraHealthDetail(BaseModel):
    """A camera's current state with its latest checks and its last day of states."""

    current: CameraHealthRead
    checks: list[CheckRead]
    timeline: CameraTimeline


class Availability(BaseModel):
    """How a camera (or a group of them) worked over a window, and what was recorded."""

    cameras: int = Field(1, description="Cameras counted.")
    seconds: dict[HealthState, float] = Field(description="Camera-seconds in each state.")
    share: dict[HealthState, float] = Field(description="Share of the window in each state.")
    incidents: int = Field(0, description="Stretches away from online (degraded or offline).")
    longest_outage_s: float = Field(0.0, description="Longest stretch offline, within the window.")
    recorded_s: float = Field(0.0, description="Seconds of footage in coverage_intervals.")
    recorded_share: float = 0.0


class CameraAvailability(Availability):
    """Availability of one camera."""

    camera: str
    name: str
    ward: str | None = None


class WardAvailability(Availability):
    """Availability of the cameras of one ward (None: cameras outside every ward)."""

    ward: str | None = None
    ward_name: str | None = None


class AvailabilityReport(BaseModel):
    """Availability per camera, per ward and for the whole city over a window."""

    start: datetime
    end: datetime
    window_s: float
    city: Availability
    wards: list[WardAvailability]
    cameras: list[CameraAvailability]


class ReferenceRead(BaseModel):
    """A camera's reference picture."""

    camera: str
    has_reference: bool
    path: str | None = Field(None, description="Relative to the data folder.")
    check_id: int | None = Field(None, description="The check whose snapshot was copied.")
    set_at: datetime | None = None
    set_by: str | None = None
