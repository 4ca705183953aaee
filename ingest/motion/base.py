"""The narrow interfaces between frames, motion detectors and the event segmenter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ingest.frames import Frame

GRID_COLUMNS = 16
GRID_ROWS = 9


@dataclass(frozen=True)
class Box:
    """A box normalised to the frame: 0..1 from the left and from the top."""

    x0: float
    y0: float
    x1: float
    y1: float

    def union(self, other: Box) -> Box:
        """Return the smallest box holding both."""
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )


@dataclass(frozen=True)
class MotionSample:
    """What a detector saw in one frame."""

    at: datetime
    offset_s: float
    score: float  # 0..1: how confident the detector is that something moves
    area_fraction: float  # share of the frame that moves
    box: Box | None
    grid: int  # bit i set when cell i (row-major, GRID_COLUMNS x GRID_ROWS) moved
    zones: frozenset[str] = field(default_factory=frozenset)

    @property
    def active(self) -> bool:
        """Return True when the detector calls this frame active."""
        return self.box is not None


class MotionDetector(Protocol):
    """Turns frames into motion samples; keeps its own background model."""

    def analyse(self, frame: Frame) -> MotionSample:
        """Return what moved in this frame."""
        ...


def grid_hex(grid: int) -> str:
    """Return a grid bitmask as fixed-width hex (144 bits → 36 digits)."""
    return f"{grid:0{(GRID_COLUMNS * GRID_ROWS + 3) // 4}x}"


def grid_from_hex(text: str) -> int:
    """Return the bitmask stored as hex."""
    return int(text, 16)
