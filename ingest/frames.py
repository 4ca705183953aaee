"""Frames and the sources that yield them (files, RTSP streams, synthetic footage in tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
# Pixels, or something that makes them when (and only if) they are needed.
LazyImage = Image | Callable[[], Image]


@dataclass(frozen=True)
class SourceInfo:
    """What a source says about its video."""

    width: int
    height: int
    fps: float
    codec: str
    container: str | None = None
    duration_s: float | None = None


class Frame:
    """One decoded frame: BGR pixels, seconds since the source started, and wall-clock time.

    Sources may hand over a loader instead of pixels: converting a decoded picture to BGR costs
    more than decoding it, and the detector looks at only a few frames a second. `luma` is the
    full-size grey plane when the source has it for free (YUV video), which is all analysis needs.
    """

    __slots__ = ("_image", "_load", "at", "luma", "offset_s")

    def __init__(
        self,
        *,
        offset_s: float,
        at: datetime,
        image: Image | None = None,
        load: Callable[[], Image] | None = None,
        luma: Image | None = None,
    ) -> None:
        if image is None and load is None:
            raise ValueError("a frame needs pixels or a loader")
        self._image = image
        self._load = load
        self.offset_s = offset_s
        self.at = at
        self.luma = luma

    def bgr(self) -> Image:
        """Return the BGR pixels, converting them on first use."""
        if self._image is None:
            assert self._load is not None
            self._image, self._load = self._load(), None
        return self._image

    @property
    def image(self) -> Image:
        """Return the BGR pixels."""
        return self.bgr()

    def analysis_pixels(self) -> Image:
        """Return the cheapest pixels the detector can use: the grey plane, else BGR."""
        return self.luma if self.luma is not None else self.bgr()


class FrameSource(Protocol):
    """Something that yields decoded frames in order (PyAV file or stream, synthetic)."""

    @property
    def info(self) -> SourceInfo:
        """Return what the source knows about its video."""
        ...

    def frames(self) -> Iterator[Frame]:
        """Yield frames in presentation order."""
        ...
