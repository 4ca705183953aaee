"""Per-camera motion settings with bounds and descriptions."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest.events.model import MAX_EVENT_SECONDS

Point = tuple[
    Annotated[float, Field(ge=0.0, le=1.0)],
    Annotated[float, Field(ge=0.0, le=1.0)],
]
Polygon = Annotated[list[Point], Field(min_length=3)]


class MotionSettings(BaseModel):
    """How one camera's motion is detected and cut into events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sensitivity: float = Field(
        0.6, ge=0.0, le=1.0, description="Higher finds fainter changes (lower pixel threshold)."
    )
    min_area_fraction: float = Field(
        0.002,
        ge=0.0001,
        le=0.5,
        description="Smallest share of the frame that must move for a frame to count as active.",
    )
    analysis_width: int = Field(
        320, ge=96, le=1280, description="Frames are downscaled to this width (grey) first."
    )
    analysis_fps: float = Field(
        5.0,
        ge=1.0,
        le=60.0,
        description="Analyse at most this many frames a second; faster sources are sampled.",
    )
    background_s: float = Field(
        8.0, ge=1.0, le=600.0, description="Time constant of background learning in quiet areas."
    )
    live_s: float = Field(
        1.5,
        ge=0.2,
        le=30.0,
        description="A changed region counts as active while it moved within this many seconds.",
    )
    still_hold_s: float = Field(
        30.0,
        ge=1.0,
        le=3600.0,
        description="A changed region that has not moved for this long joins the background.",
    )
    global_change_fraction: float = Field(
        0.45,
        gt=0.0,
        le=1.0,
        description="A change over more than this share of the frame is light, not motion.",
    )
    warmup_s: float = Field(
        0.3, ge=0.0, le=30.0, description="Time the first frames teach the background, unreported."
    )
    settle_s: float = Field(
        1.0, ge=0.0, le=30.0, description="Time to relearn after a sudden light change, unreported."
    )
    start_after_s: float = Field(
        0.4, ge=0.0, le=10.0, description="Activity must persist this long to start an event."
    )
    end_after_s: float = Field(
        2.0, ge=0.1, le=60.0, description="An event ends after this much quiet."
    )
    max_event_s: float = Field(
        MAX_EVENT_SECONDS,
        ge=10.0,
        le=MAX_EVENT_SECONDS,
        description="Longer events are split into parts (searches rely on this bound).",
    )
    masks: list[Polygon] = Field(
        default_factory=list, description="Normalised polygons where motion is ignored."
    )
    zones: dict[str, Polygon] = Field(
        default_factory=dict, description="Named normalised polygons reported when touched."
    )

    @field_validator("zones")
    @classmethod
    def _zone_names(cls, zones: dict[str, list[Point]]) -> dict[str, list[Point]]:
        for name in zones:
            if not name or len(name) > 64:
                raise ValueError("zone names are 1 to 64 characters")
        return zones

    @property
    def pixel_threshold(self) -> float:
        """Return the grey-level difference that counts as change in a quiet pixel."""
        return 30.0 - 25.0 * self.sensitivity
