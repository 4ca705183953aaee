"""Frames and the sources that yield them (files, RTSP streams, synthetic footage in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class SourceInfo:
    """What a source says about its video."""

    width: int
    height: int
    fps: float
    codec: str
    container: str | None = None
    duration_s: float | None = None


@dataclass(frozen=True)
class Frame:
    """One decoded frame: BGR pixels, seconds since the source started, and wall-clock time."""

    image: Image
    offset_s: float
    at: datetime


class FrameSource(Protocol):
    """Something that yields decoded frames in order (PyAV file or stream, synthetic)."""

    @property
    def info(self) -> SourceInfo:
        """Return what the source knows about its video."""
        ...

    def frames(self) -> Iterator[Frame]:
        """Yield frames in presentation order."""
        ...
