"""The plain baseline the real detector is scored against: OpenCV MOG2 and an area threshold."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ingest.frames import Frame
from ingest.motion.base import Box, MotionSample
from ingest.motion.detector import grid_of, prepare
from ingest.motion.settings import MotionSettings

_OPEN = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


class Mog2BaselineDetector:
    """MOG2 on the same downscaled grey frame, no hold, no light handling (used for scoring)."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._mog = cv2.createBackgroundSubtractorMOG2(
            history=500, varThreshold=16, detectShadows=False
        )
        self._last: MotionSample | None = None
        self._due = -1.0e9

    def analyse(self, frame: Frame) -> MotionSample:
        """Return what MOG2 calls foreground in this frame."""
        if self._last is not None and frame.offset_s < self._due:
            return replace(self._last, at=frame.at, offset_s=frame.offset_s)
        interval = 1.0 / self.settings.analysis_fps
        self._due = max(self._due + interval, frame.offset_s + interval / 2)
        grey = prepare(frame.analysis_pixels(), self.settings.analysis_width).astype(np.uint8)
        mask = cv2.morphologyEx(self._mog.apply(grey), cv2.MORPH_OPEN, _OPEN) > 0
        area = float(mask.mean())
        score = min(1.0, area / (10.0 * self.settings.min_area_fraction))
        if area < self.settings.min_area_fraction:
            self._last = MotionSample(frame.at, frame.offset_s, score, area, None, 0)
            return self._last
        ys, xs = np.nonzero(mask)
        height, width = mask.shape
        box = Box(
            xs.min() / width, ys.min() / height, (xs.max() + 1) / width, (ys.max() + 1) / height
        )
        self._last = MotionSample(frame.at, frame.offset_s, score, area, box, grid_of(mask))
        return self._last
