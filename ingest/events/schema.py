"""EventQuery (the typed filter of event searches) and the read schemas of events and coverage."""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from camera_registry.clock import in_time_range
from ingest.motion.base import GRID_COLUMNS, GRID_ROWS

GRID_CELLS = GRID_COLUMNS * GRID_ROWS


class FrameRegion(BaseModel):
    """A region of the camera's picture: a normalised rectangle, or cells of the activity grid."""

    model_config = ConfigDict(extra="forbid")

    rect: tuple[float, float, float, float] | None = Field(
        None, description="x0,y0,x1,y1 from the top left, each 0..1, x0 < x1 and y0 < y1."
    )
    cells: list[int] = Field(
        default_factory=list,
        description=f"Cells of the {GRID_COLUMNS}x{GRID_ROWS} grid, row-major from 0.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if (self.rect is None) == (not self.cells):
            raise ValueError("give either rect or cells")
        if self.rect is not None:
            x0, y0, x1, y1 = self.rect
            finite = all(math.isfinite(v) and 0 <= v <= 1 for v in self.rect)
            if not (finite and x0 < x1 and y0 < y1):
                raise ValueError("region is x0,y0,x1,y1 in 0..1 with x0 < x1 and y0 < y1")
        for cell in self.cells:
            if not 0 <= cell < GRID_CELLS:
                raise ValueError(f"grid cells are 0..{GRID_CELLS - 1}")
        return self

    def mask(self) -> int:
        """Return the grid bitmask of every cell the region touches."""
        if self.rect is None:
            return sum(1 << c for c in set(self.cells))
        x0, y0, x1, y1 = self.rect
        # A cell counts when the rectangle overlaps it by more than a sliver (edges are shared).
        first_col = min(int(x0 * GRID_COLUMNS + 1e-9), GRID_COLUMNS - 1)
        last_col = max(math.ceil(x1 * GRID_COLUMNS - 1e-9) - 1, first_col)
        first_row = min(int(y0 * GRID_ROWS + 1e-9), GRID_ROWS - 1)
        last_row = max(math.ceil(y1 * GRID_ROWS - 1e-9) - 1, first_row)
        mask = 0
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                mask |= 1 << (row * GRID_COLUMNS + col)
        return mask


class EventQuery(BaseModel):
    """Which motion events to find: a time window, a place, and optional conditions."""

    model_config = ConfigDict(extra="forbid")

    start: datetime = Field(description="Window start (aware).")
    end: datetime = Field(description="Window end (aware), after the start.")
    codes: list[str] = Field(default_factory=list, description="Only these camera codes.")
    ward: str | None = Field(None, max_length=32, description="Ward or area code.")
    at: date | None = Field(None, description="Day the ward layer is taken from (default today).")
    area: dict[str, Any] | None = Field(None, description="GeoJSON Polygon (lon/lat).")
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="West, south, east, north in degrees."
    )
    near: tuple[float, float] | None = Field(None, description="Latitude, longitude.")
    radius_m: float | None = Field(None, gt=0, le=20_000, description="Metres around `near`.")
    min_score: float | None = Field(None, ge=0, le=1, description="Lowest peak score.")
    min_duration_s: float | None = Field(None, ge=0, le=86_400, description="Shortest event.")
    zone: str | None = Field(None, max_length=64, description="Named zone the event touched.")
    region: FrameRegion | None = Field(None, description="Part of the picture that moved.")
    limit: int = Field(100, ge=1, le=100_000, description="Most events returned.")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("give a time with its offset (e.g. 2026-03-12T21:00:00+07:00)")
        in_time_range(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end <= self.start:
            raise ValueError("the window's end must come after its start")
        if (self.near is None) != (self.radius_m is None):
            raise ValueError("near and radius go together")
        places = [p for p in (self.ward, self.area, self.bbox, self.near) if p is not None]
        if len(places) > 1:
            raise ValueError("give one place: a ward, an area, a bbox, or near with radius")
        if self.bbox is not None:
            west, south, east, north = self.bbox
            if not (west < east and south < north):
                raise ValueError("bbox is west,south,east,north with west < east and south < north")
        return self

    @property
    def window_hours(self) -> float:
        """Return the window's length in hours."""
        return (self.end - self.start).total_seconds() / 3600

    def summary(self) -> dict[str, Any]:
        """Return the query as plain data for the audit log."""
        return self.model_dump(mode="json", exclude_defaults=True, exclude={"cursor"})


class EventBox(BaseModel):
    """Union box of an event's activity, normalised to the frame (0..1 from the top left)."""

    x0: float
    y0: float
    x1: float
    y1: float


class EventRead(BaseModel):
    """One motion event as shown to callers."""

    id: str
    camera: str = Field(description="Camera code.")
    start: datetime
    end: datetime
    score: float = Field(description="Peak score, 0..1.")
    mean_score: float
    duration_s: float
    area_fraction: float = Field(description="Largest share of the frame that moved.")
    box: EventBox
    zones: list[str]
    grid: str = Field(description="Hex bitmask of the activity-grid cells that moved.")
    thumbnail: str | None = Field(None, description="File path (CLI) or URL (API).")
    clip: str | None = Field(None, description="URL of a clip of the event (API).")


class EventDetail(EventRead):
    """One event with its per-second activity and the footage it was found in."""

    track: list[Any] = Field(description="[[seconds from start, score, grid hex], ...]")
    footage_ids: list[int]
    source: str


class SpanKind(StrEnum):
    """What is known of a stretch of a camera's timeline."""

    RECORDED = "recorded"
    GAP = "gap"  # known to have no footage
    UNKNOWN = "unknown"  # no record either way


class CoverageSpan(BaseModel):
    """One stretch of a camera's timeline inside the window."""

    kind: SpanKind
    start: datetime
    end: datetime
    reason: str | None = None


class CoverageRead(BaseModel):
    """What footage a camera has within a window."""

    camera: str
    name: str
    spans: list[CoverageSpan]
    recorded_s: float
    gap_s: float
    unknown_s: float
    covered_fraction: float = Field(description="Share of the window with footage, 0..1.")


class SearchResult(BaseModel):
    """The cameras covering a place in a window, and their events ordered by time."""

    cameras: list[CoverageRead]
    events: list[EventRead]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for more events.")
