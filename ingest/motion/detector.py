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
Bytes = npt.NDArray[np.uint8]
Index = npt.NDArray[np.intp]

# Per-pixel threshold = base threshold + NOISE_GAIN x the pixel's mean frame-to-frame change, so
# rain, leaves and a swaying pole raise their own threshold while quiet pixels stay sensitive.
NOISE_GAIN = 3.0
NOISE_S = 10.0  # time constant of that per-pixel variability estimate
FAST_S = 0.3  # learning time constant while settling (start, after a sudden light change)
MIN_LIVE_PX = 4  # recently moved pixels that keep a changed region alive
REGION_EXCESS = 1.5  # mean frame-to-frame change above noise (grey levels) that marks a region live
_OPEN = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
# Rectangles, not ellipses: OpenCV runs them as two cheap 1-D passes.
_CLOSE = cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7))
_SPREAD = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
_OUTER = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
_INNER = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
GHOST_EDGE_RATIO = 0.8  # a region is a ghost when its outline has less edge now than this share
_NEVER = -1.0e9


def prepare(image: Image, width: int) -> Float:
    """Return the frame as a blurred grey float image `width` pixels wide."""
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    # Shrink first: the colour conversion and everything after cost a quarter at half size.
    # Down to half size bilinear is already a 2x2 mean; beyond that only area averaging is.
    method = cv2.INTER_LINEAR if image.shape[1] <= 2 * width else cv2.INTER_AREA
    small = cv2.resize(image, (width, height), interpolation=method)
    grey = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    # The blur averages away sensor noise and sub-pixel shimmer before any threshold.
    return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.float32)


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
    variability: Float  # mean frame-to-frame change, learned everywhere
    quiet_variability: Float  # the same, learned only outside held regions
    last_motion: Float  # seconds at which each pixel last moved
    frozen: Mask
    settle_until: float
    base: float  # the base threshold, lowered in the dark


@dataclass(frozen=True)
class _Regions:
    """The changed regions of one frame, as flat pixel indices and a label per pixel."""

    pixels: Index
    labels: npt.NDArray[np.int32]
    count: int
    cleaned: Bytes


class BackgroundMotionDetector:
    """Find what moves against a background that holds still objects and ignores light changes.

    Changed pixels (against the background) form regions. A region is active while part of it
    moved from frame to frame within `live_s`, or while it is an object that arrived and stopped
    (a person standing still) and moved within `still_hold_s`. Where an object left (its outline
    is an edge of the background, not of the frame) the region joins the background at once;
    regions still for `still_hold_s` join it too (no endless ghost). A change over most of the
    frame is light, not motion: the background is relearned at once. Frames closer than
    1/`analysis_fps` to the last analysed one reuse its result, so a 30 fps file costs a third.
    """

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._state: _State | None = None
        self._ignore: Mask = np.zeros((0, 0), dtype=bool)
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
        grey = prepare(frame.analysis_pixels(), self.settings.analysis_width)
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
        grey = _match_gain(grey, state.background, state.frozen | self._ignore)
        state.base = self.settings.pixel_threshold * _dimming(state.background)
        threshold = state.base + NOISE_GAIN * state.variability
        changed = self._unmasked(cv2.absdiff(grey, state.background) > threshold)
        if t < state.settle_until:
            self._learn_fast(grey, dt)
            return _quiet(frame)
        if np.count_nonzero(changed) > self.settings.global_change_fraction * changed.size:
            self._relearn(grey, t)
            return _quiet(frame)
        regions = _label(changed)
        if regions.count <= 1:
            # Nothing changed: only learn (the common case, kept cheap).
            self._learn(grey, changed, np.zeros_like(changed), dt)
            return _quiet(frame)
        self._stamp_motion(grey, regions, t)
        active, absorb = self._judge(grey, regions, t)
        self._learn(grey, changed | active, absorb, dt)
        return self._sample(frame, active)

    def _unmasked(self, mask: Mask) -> Mask:
        """Return the mask without the pixels the settings' masks ignore."""
        return mask & ~self._ignore if self.settings.masks else mask

    def _start(self, grey: Float, t: float) -> None:
        height, width = grey.shape
        self._ignore = union_mask(self.settings.masks, width, height)
        self._zones = zone_masks(self.settings.zones, width, height)
        self._state = _State(
            background=grey.copy(),
            previous=grey.copy(),
            variability=np.ones_like(grey),
            quiet_variability=np.ones_like(grey),
            last_motion=np.full_like(grey, _NEVER),
            frozen=np.zeros(grey.shape, dtype=bool),
            settle_until=t + self.settings.warmup_s,
            base=self.settings.pixel_threshold,
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
        cv2.accumulateWeighted(diff, self._state.quiet_variability, alpha)
        self._state.previous = grey

    def _stamp_motion(self, grey: Float, regions: _Regions, t: float) -> None:
        """Record where things moved: clear pixel changes, and regions that shimmer as a whole."""
        assert self._state is not None
        state = self._state
        moved = cv2.absdiff(grey, state.previous)
        # Judged against quiet-time variability so that a held person's own small movements do
        # not raise the bar that keeps them alive.
        expected = state.quiet_variability
        clear = self._unmasked(moved > state.base + NOISE_GAIN * expected)
        spread = cv2.dilate(clear.view(np.uint8), _SPREAD)
        np.putmask(state.last_motion, spread > 0, t)
        if regions.count <= 1:
            return
        # A person standing still at night shifts by a pixel at low contrast: too faint for any
        # one pixel, but the region's mean change stands out above its noise.
        excess = moved.ravel()[regions.pixels] - expected.ravel()[regions.pixels]
        total = np.bincount(regions.labels, weights=excess, minlength=regions.count)
        area = np.bincount(regions.labels, minlength=regions.count)
        shimmer = total > REGION_EXCESS * np.maximum(area, 1)
        shimmer[0] = False
        flat = state.last_motion.reshape(-1)
        flat[regions.pixels[shimmer[regions.labels]]] = t

    def _judge(self, grey: Float, regions: _Regions, t: float) -> tuple[Mask, Mask]:
        """Return the active pixels and the still pixels to absorb into the background."""
        assert self._state is not None
        active = np.zeros(grey.size, dtype=bool)
        absorb = np.zeros(grey.size, dtype=bool)
        if regions.count > 1:
            since = t - self._state.last_motion.ravel()[regions.pixels]
            live = np.bincount(
                regions.labels[since <= self.settings.live_s], minlength=regions.count
            )
            held = np.bincount(
                regions.labels[since <= self.settings.still_hold_s], minlength=regions.count
            )
            is_live = live >= MIN_LIVE_PX
            is_still = held == 0
            undecided = ~is_live & ~is_still
            undecided[0] = False
            is_ghost = self._ghosts(grey, regions) if undecided.any() else undecided
            # Something that arrived and stopped (a person standing still) stays active until it
            # has not moved for still_hold_s; where something left (a ghost) is absorbed at once.
            is_active = is_live | (~is_still & ~is_ghost)
            is_absorbed = is_still | (is_ghost & ~is_live)
            active[regions.pixels] = is_active[regions.labels]
            absorb[regions.pixels] = is_absorbed[regions.labels]
        return active.reshape(grey.shape), absorb.reshape(grey.shape)

    def _ghosts(self, grey: Float, regions: _Regions) -> npt.NDArray[np.bool_]:
        """Return per region whether its outline is an edge of the background, not of the frame."""
        assert self._state is not None
        # Only the box around the regions is looked at: edges cost more than anything else here.
        rows, cols = np.divmod(regions.pixels, grey.shape[1])
        y0, y1 = max(int(rows.min()) - 6, 0), int(rows.max()) + 7
        x0, x1 = max(int(cols.min()) - 6, 0), int(cols.max()) + 7
        labels = np.zeros(grey.shape, dtype=np.float32)
        labels[rows, cols] = regions.labels
        # The band reaches 4 px inside the outline: the cleaned region overshoots the object.
        grown = cv2.dilate(labels[y0:y1, x0:x1], _OUTER)
        inner = cv2.erode(regions.cleaned[y0:y1, x0:x1], _INNER)
        band = (grown > 0) & (inner == 0)
        owner = grown[band].astype(np.intp)
        now = _edges(grey[y0:y1, x0:x1])[band]
        then = _edges(self._state.background[y0:y1, x0:x1])[band]
        count = regions.count
        # Biased towards "object": wrongly absorbing a person costs more than holding a ghost.
        ghost: npt.NDArray[np.bool_] = np.bincount(owner, now, count) < GHOST_EDGE_RATIO * (
            np.bincount(owner, then, count)
        )
        return ghost

    def _learn(self, grey: Float, frozen: Mask, absorb: Mask, dt: float) -> None:
        """Learn quiet pixels, barely learn changed ones, and absorb regions that stayed still."""
        assert self._state is not None
        state = self._state
        quiet = (~frozen).view(np.uint8)
        cv2.accumulateWeighted(grey, state.background, _rate(dt, self.settings.background_s), quiet)
        slow = _rate(dt, 10.0 * self.settings.still_hold_s)
        cv2.accumulateWeighted(grey, state.background, slow, frozen.view(np.uint8))
        np.copyto(state.background, grey, where=absorb)
        diff = cv2.absdiff(grey, state.previous)
        cv2.accumulateWeighted(diff, state.variability, _rate(dt, NOISE_S))
        cv2.accumulateWeighted(diff, state.quiet_variability, _rate(dt, NOISE_S), quiet)
        state.previous = grey
        state.frozen = frozen & ~absorb

    def _sample(self, frame: Frame, active: Mask) -> MotionSample:
        height, width = active.shape
        area = np.count_nonzero(active) / active.size
        min_area = self.settings.min_area_fraction
        score = 1.0 - math.exp(-area / (3.0 * min_area))
        if area < min_area:
            return MotionSample(frame.at, frame.offset_s, score, area, None, 0)
        x, y, w, h = cv2.boundingRect(active.view(np.uint8))
        box = Box(x / width, y / height, (x + w) / width, (y + h) / height)
        zones = zones_touched(active, self._zones)
        return MotionSample(frame.at, frame.offset_s, score, area, box, grid_of(active), zones)


def _label(changed: Mask) -> _Regions:
    """Clean the changed pixels (drop specks and thin edges, join parts) and label regions."""
    opened = cv2.morphologyEx(changed.view(np.uint8), cv2.MORPH_OPEN, _OPEN)
    cleaned: Bytes = np.asarray(cv2.morphologyEx(opened, cv2.MORPH_CLOSE, _CLOSE), dtype=np.uint8)
    pixels = np.flatnonzero(cleaned)
    if pixels.size == 0:
        return _Regions(pixels, np.zeros(0, dtype=np.int32), 1, cleaned)
    # Labelling only the box around the changes: usually a small part of the frame.
    x, y, w, h = cv2.boundingRect(cleaned)
    count, labels = cv2.connectedComponents(cleaned[y : y + h, x : x + w], connectivity=8)
    rows, cols = np.divmod(pixels, cleaned.shape[1])
    return _Regions(pixels, labels[rows - y, cols - x].astype(np.int32), int(count), cleaned)


def _quiet(frame: Frame) -> MotionSample:
    return MotionSample(frame.at, frame.offset_s, 0.0, 0.0, None, 0)


def _rate(dt: float, time_constant: float) -> float:
    """Return the learning weight for a step of dt seconds with the given time constant."""
    return 1.0 - math.exp(-dt / time_constant)


def _dimming(background: Float) -> float:
    """Return how much to lower the base threshold in a dark scene (contrast shrinks with light).

    Sensor noise is covered by the per-pixel variability term, so the base threshold may follow
    the scene's brightness: half of it at night, all of it by day.
    """
    brightness = float(background[::4, ::4].mean())
    return min(1.0, max(0.5, brightness / 110.0))


def _edges(image: Float) -> Float:
    """Return the gradient magnitude (L1) of a grey image."""
    dx = np.asarray(cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3), dtype=np.float32)
    dy = np.asarray(cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3), dtype=np.float32)
    return np.abs(dx) + np.abs(dy)


def _match_gain(grey: Float, background: Float, excluded: Mask) -> Float:
    """Scale the frame so its quiet pixels match the background's brightness (slow light drift)."""
    # Every fourth row and column is plenty for a mean and costs a sixteenth (masked means are
    # the slowest step otherwise).
    pick = ~excluded[::4, ::4]
    if not pick.any():
        return grey
    now = float(grey[::4, ::4][pick].mean())
    then = float(background[::4, ::4][pick].mean())
    if now < 1.0 or then < 1.0:
        return grey
    return grey * np.float32(then / now)
