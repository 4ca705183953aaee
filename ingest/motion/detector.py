"""The motion detector: a held running-average background on a downscaled grey frame."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from ingest.frames import Frame, Image
from ingest.motion.base import GRID_COLUMNS, GRID_ROWS, Box, MotionSample
from ingest.motion.settings import MotionSettings
from ingest.motion.zones import Mask, union_mask, zone_masks, zones_touched

Float = npt.NDArray[np.float32]

# Per-pixel threshold = base threshold + NOISE_GAIN x the pixel's mean frame-to-frame change, so
# rain, leaves and a swaying pole raise their own threshold while quiet pixels stay sensitive.
NOISE_GAIN = 3.0
NOISE_S = 10.0  # time constant of that per-pixel variability estimate
FAST_S = 0.3  # learning time constant while settling (start, after a sudden light change)
MIN_LIVE_PX = 4  # moving pixels that keep a changed region alive in one frame
_OPEN = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
_CLOSE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
_SPREAD = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
_NEVER = -1.0e9


def prepare(image: Image, width: int) -> Float:
    """Return the frame as a blurred grey float image `width` pixels wide."""
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA)
    # The blur averages away sensor noise and sub-pixel shimmer before any threshold.
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    return np.asarray(blurred, dtype=np.float32)


def grid_of(mask: Mask) -> int:
    """Return the 16x9 cells (row-major bitmask) that hold at least one pixel of the mask."""
    cells = cv2.resize(
        mask.astype(np.uint8) * 255, (GRID_COLUMNS, GRID_ROWS), interpolation=cv2.INTER_AREA
    )
    bits = 0
    for index in np.flatnonzero(cells.ravel() > 0):
        bits |= 1 << int(index)
    return bits


@dataclass
class _State:
    background: Float
    previous: Float
    variability: Float
    last_motion: Float
    frozen: Mask
    settle_until: float


class BackgroundMotionDetector:
    """Find what moves against a background that holds still objects and ignores light changes.

    Changed pixels (against the background) form regions; a region is active while some of it
    moved from frame to frame within `live_s`, so a person standing still stays an event while
    a removed or parked object does not. Regions that do not move for `still_hold_s` join the
    background (no endless ghost). A change over most of the frame is light, not motion: the
    background is relearned at once. Frames closer than 1/`analysis_fps` to the last analysed
    one reuse its result, so a 30 fps file costs a third.
    """

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._state: _State | None = None
        self._ignore: Mask | None = None
        self._zones: dict[str, Mask] = {}
        self._last: MotionSample | None = None
        self._last_offset = _NEVER
        self._due = _NEVER

    def analyse(self, frame: Frame) -> MotionSample:
        """Return what moved in this frame."""
        if self._last is not None and frame.offset_s < self._due:
            return replace(self._last, at=frame.at, offset_s=frame.offset_s)
        interval = 1.0 / self.settings.analysis_fps
        self._due = max(self._due + interval, frame.offset_s + interval / 2)
        grey = prepare(frame.image, self.settings.analysis_width)
        dt = 0.0 if self._last is None else max(frame.offset_s - self._last_offset, 1e-3)
        self._last_offset = frame.offset_s
        self._last = self._step(grey, frame, dt)
        return self._last

    def _step(self, grey: Float, frame: Frame, dt: float) -> MotionSample:
        t = frame.offset_s
        state = self._state
        if state is None or state.background.shape != grey.shape:
            self._start(grey, t)
            return _quiet(frame)
        assert self._ignore is not None
        grey = _match_gain(grey, state.background, ~(state.frozen | self._ignore))
        threshold = self.settings.pixel_threshold + NOISE_GAIN * state.variability
        changed = (cv2.absdiff(grey, state.background) > threshold) & ~self._ignore
        if t < state.settle_until:
            self._learn_fast(grey, dt)
            return _quiet(frame)
        if changed.mean() > self.settings.global_change_fraction:
            self._relearn(grey, t)
            return _quiet(frame)
        moved = (cv2.absdiff(grey, state.previous) > threshold) & ~self._ignore
        spread = cv2.dilate(moved.astype(np.uint8), _SPREAD).astype(bool)
        state.last_motion[spread] = t
        active, absorb = self._regions(changed, t)
        self._learn(grey, changed | active, absorb, dt)
        return self._sample(frame, active)

    def _start(self, grey: Float, t: float) -> None:
        height, width = grey.shape
        self._ignore = union_mask(self.settings.masks, width, height)
        self._zones = zone_masks(self.settings.zones, width, height)
        self._state = _State(
            background=grey.copy(),
            previous=grey.copy(),
            variability=np.ones_like(grey),
            last_motion=np.full_like(grey, _NEVER),
            frozen=np.zeros(grey.shape, dtype=bool),
            settle_until=t + self.settings.warmup_s,
        )

    def _relearn(self, grey: Float, t: float) -> None:
        """Take the new light as background at once, then settle (lights switched, IR mode)."""
        assert self._state is not None
        self._state.background = grey.copy()
        self._state.previous = grey.copy()
        self._state.last_motion.fill(_NEVER)
        self._state.frozen.fill(False)
        self._state.settle_until = t + self.settings.settle_s

    def _learn_fast(self, grey: Float, dt: float) -> None:
        assert self._state is not None
        alpha = _rate(dt, FAST_S)
        cv2.accumulateWeighted(grey, self._state.background, alpha)
        diff = cv2.absdiff(grey, self._state.previous)
        cv2.accumulateWeighted(diff, self._state.variability, alpha)
        self._state.previous = grey

    def _regions(self, changed: Mask, t: float) -> tuple[Mask, Mask]:
        """Return the active regions and the still regions to absorb into the background."""
        assert self._state is not None
        cleaned = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_OPEN, _OPEN)
        cleaned = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, _CLOSE)
        count, labels = cv2.connectedComponents(cleaned, connectivity=8)
        if count <= 1:
            return np.zeros(changed.shape, dtype=bool), np.zeros(changed.shape, dtype=bool)
        since = t - self._state.last_motion
        live = np.bincount(labels[since <= self.settings.live_s], minlength=count)
        held = np.bincount(labels[since <= self.settings.still_hold_s], minlength=count)
        is_live = live >= MIN_LIVE_PX
        is_still = held == 0
        is_live[0] = is_still[0] = False
        return is_live[labels], is_still[labels]

    def _learn(self, grey: Float, frozen: Mask, absorb: Mask, dt: float) -> None:
        """Learn quiet pixels, barely learn changed ones, and absorb regions that stayed still."""
        assert self._state is not None
        state = self._state
        quiet = (~frozen).astype(np.uint8)
        cv2.accumulateWeighted(grey, state.background, _rate(dt, self.settings.background_s), quiet)
        slow = _rate(dt, 10.0 * self.settings.still_hold_s)
        cv2.accumulateWeighted(grey, state.background, slow, frozen.astype(np.uint8))
        state.background[absorb] = grey[absorb]
        diff = cv2.absdiff(grey, state.previous)
        cv2.accumulateWeighted(diff, state.variability, _rate(dt, NOISE_S))
        state.previous = grey
        state.frozen = frozen & ~absorb

    def _sample(self, frame: Frame, active: Mask) -> MotionSample:
        height, width = active.shape
        area = float(active.mean())
        min_area = self.settings.min_area_fraction
        score = 1.0 - math.exp(-area / (3.0 * min_area))
        if area < min_area:
            return MotionSample(frame.at, frame.offset_s, score, area, None, 0)
        ys, xs = np.nonzero(active)
        box = Box(
            float(xs.min()) / width,
            float(ys.min()) / height,
            float(xs.max() + 1) / width,
            float(ys.max() + 1) / height,
        )
        zones = zones_touched(active, self._zones)
        return MotionSample(frame.at, frame.offset_s, score, area, box, grid_of(active), zones)


def _quiet(frame: Frame) -> MotionSample:
    return MotionSample(frame.at, frame.offset_s, 0.0, 0.0, None, 0)


def _rate(dt: float, time_constant: float) -> float:
    """Return the learning weight for a step of dt seconds with the given time constant."""
    return 1.0 - math.exp(-dt / time_constant)


def _match_gain(grey: Float, background: Float, reference: Mask) -> Float:
    """Scale the frame so its quiet pixels match the background's brightness (slow light drift)."""
    if not reference.any():
        return grey
    now = float(grey[reference].mean())
    then = float(background[reference].mean())
    if now < 1.0:
        return grey
    return np.asarray(grey * (then / now), dtype=np.float32)
