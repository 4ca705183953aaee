"""Synthetic street footage with known truth, for tests and for scoring the motion detector."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import numpy.typing as npt

from ingest.frames import Frame, SourceInfo

Float = npt.NDArray[np.float32]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_BANK = 48  # pre-drawn noise fields, picked at random per frame (drawing each is the slow part)


@dataclass(frozen=True)
class Walker:
    """A person-sized blob crossing the frame from left to right (or back), optionally pausing.

    During `stand_s` at `stop_x` the person stands still apart from the small shifts of weight and
    arm a standing person makes; `still=True` makes them as still as a statue.
    """

    enter_s: float
    speed: float = 30.0  # pixels a second
    y: int = 110
    stop_x: float | None = None
    stand_s: float = 0.0
    leftwards: bool = False
    still: bool = False
    width: int = 10
    height: int = 30
    shade: float = 55.0

    def position(self, t: float, frame_width: int) -> float | None:
        """Return the left x of the body at t, or None when it is off screen."""
        travel = frame_width + self.width
        elapsed = t - self.enter_s
        if elapsed < 0:
            return None
        stop = self.stop_x if self.stop_x is not None else travel
        reach = stop + self.width
        walked = elapsed * self.speed
        if self.stand_s > 0 and walked > reach:
            walked = (
                reach
                if elapsed < reach / self.speed + self.stand_s
                else walked - (self.stand_s * self.speed)
            )
        if walked > travel:
            return None
        x = walked - self.width
        return frame_width - x - self.width if self.leftwards else x

    def episode(self, frame_width: int) -> tuple[float, float]:
        """Return the seconds between entering and leaving the frame."""
        travel = frame_width + self.width
        return (self.enter_s, self.enter_s + travel / self.speed + self.stand_s)


@dataclass(frozen=True)
class Parked:
    """An object that drives in, stops at `stop_x` and stays there (the episode is the drive)."""

    enter_s: float
    stop_x: float = 120.0
    speed: float = 40.0
    y: int = 140
    width: int = 44
    height: int = 20
    shade: float = 200.0

    def position(self, t: float) -> float | None:
        """Return the left x of the object at t, or None before it appears."""
        elapsed = t - self.enter_s
        if elapsed < 0:
            return None
        return min(-self.width + elapsed * self.speed, self.stop_x)

    def episode(self) -> tuple[float, float]:
        """Return the seconds of the drive in."""
        return (self.enter_s, self.enter_s + (self.stop_x + self.width) / self.speed)


@dataclass(frozen=True)
class SceneSpec:
    """What a synthetic scene holds; every nuisance is off unless asked for."""

    duration_s: float
    seed: int = 1
    fps: float = 10.0
    width: int = 320
    height: int = 180
    light: float = 1.0  # overall brightness (0.35 is a street at night)
    noise: float = 0.0  # sensor noise, grey levels (standard deviation per pixel)
    drift: float = 0.0  # amplitude of slow light drift (share of brightness, 10-minute cycle)
    sway: bool = False  # a pole that sways by one pixel
    flicker: bool = False  # rain or leaves flickering in a small area
    switches: tuple[float, ...] = ()  # times the lights switch (each toggles bright/dim)
    walkers: tuple[Walker, ...] = ()
    parked: tuple[Parked, ...] = ()
    episodes_extra: tuple[tuple[float, float], ...] = field(default_factory=tuple)


class SyntheticScene:
    """Render a SceneSpec frame by frame (deterministic by seed) and tell its truth."""

    def __init__(self, spec: SceneSpec, start: datetime = EPOCH) -> None:
        self.spec = spec
        self.start = start
        rng = np.random.default_rng(spec.seed)
        self._backgrounds = _backgrounds(rng, spec.width, spec.height)
        self._noise = [
            rng.standard_normal((spec.height, spec.width)).astype(np.float32)
            for _ in range(_BANK if spec.noise > 0 else 0)
        ]
        self._flicker = [_blotches(rng, 40, 26) for _ in range(_BANK if spec.flicker else 0)]
        self._rng = rng

    @property
    def info(self) -> SourceInfo:
        """Return the scene's size and rate."""
        spec = self.spec
        return SourceInfo(spec.width, spec.height, spec.fps, "synthetic", None, spec.duration_s)

    @property
    def episodes(self) -> list[tuple[float, float]]:
        """Return the seconds in which something moves (or stands) in the scene, merged."""
        spec = self.spec
        spans = [w.episode(spec.width) for w in spec.walkers]
        spans += [p.episode() for p in spec.parked] + list(spec.episodes_extra)
        clipped = sorted(
            (max(0.0, a), min(spec.duration_s, b)) for a, b in spans if a < spec.duration_s
        )
        merged: list[tuple[float, float]] = []
        for a, b in clipped:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return merged

    def frames(self) -> Iterator[Frame]:
        """Yield the scene's frames as BGR images."""
        rng = np.random.default_rng(self.spec.seed + 1)
        count = math.floor(self.spec.duration_s * self.spec.fps)
        for index in range(count):
            t = index / self.spec.fps
            grey = self._render(t, rng)
            image = np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
            yield Frame(image=image, offset_s=t, at=self.start + timedelta(seconds=t))

    def _render(self, t: float, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
        spec = self.spec
        sway = spec.sway and math.sin(2 * math.pi * t / 2.7) > 0
        scene = self._backgrounds[1 if sway else 0].copy()
        for parked in spec.parked:
            _draw_box(
                scene, parked.position(t), parked.y, parked.width, parked.height, parked.shade
            )
        for walker in spec.walkers:
            _draw_walker(scene, walker, t, spec.width, rng)
        if self._flicker:
            patch = self._flicker[int(rng.integers(len(self._flicker)))]
            scene[20:46, 20:60] += patch
        scene *= self._gain(t)
        if self._noise:
            noise = self._noise[int(rng.integers(len(self._noise)))]
            shift = int(rng.integers(spec.width))
            scene += spec.noise * np.roll(noise, shift, axis=1)
        return np.clip(scene, 0, 255).astype(np.uint8)

    def _gain(self, t: float) -> float:
        spec = self.spec
        gain = spec.light * (1.0 + spec.drift * math.sin(2 * math.pi * t / 600.0))
        toggles = sum(1 for s in spec.switches if s <= t)
        # Lights switched (or an IR cut filter): brightness halves or comes back at once.
        return gain * (0.5 if toggles % 2 else 1.0)


def _backgrounds(rng: np.random.Generator, width: int, height: int) -> tuple[Float, Float]:
    """Return a textured street with a pole at x and with the pole one pixel to the right."""
    coarse = rng.uniform(90, 170, size=(height // 10 + 1, width // 10 + 1)).astype(np.float32)
    base = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    base += rng.normal(0, 6, size=(height, width)).astype(np.float32)
    base[height * 2 // 3 :, :] = 0.6 * base[height * 2 // 3 :, :] + 30  # the road
    for _ in range(6):  # façades and windows give edges that light changes move
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height // 2))
        base[y : y + 25, x : x + 30] = float(rng.uniform(60, 210))
    with_pole = base.copy()
    moved = base.copy()
    with_pole[10:130, 250:255] = 35.0
    moved[10:130, 251:256] = 35.0
    return np.asarray(with_pole, dtype=np.float32), np.asarray(moved, dtype=np.float32)


def _blotches(rng: np.random.Generator, width: int, height: int) -> Float:
    coarse = rng.normal(0, 18, size=(height // 4 + 1, width // 4 + 1)).astype(np.float32)
    return np.asarray(cv2.resize(coarse, (width, height)), dtype=np.float32)


def _draw_box(scene: Float, x: float | None, y: int, width: int, height: int, shade: float) -> None:
    if x is None:
        return
    x0 = round(x)
    left, right = max(0, x0), min(scene.shape[1], x0 + width)
    if right > left:
        scene[y : y + height, left:right] = shade


def _draw_walker(
    scene: Float, walker: Walker, t: float, frame_width: int, rng: np.random.Generator
) -> None:
    x = walker.position(t, frame_width)
    if x is None:
        return
    standing = walker.stand_s > 0 and not walker.still and _is_standing(walker, t, frame_width)
    # A standing person shifts weight and moves an arm now and then: a pixel or two.
    shift = int(rng.integers(-1, 2)) if standing and rng.random() < 0.3 else 0
    _draw_box(scene, x + shift, walker.y, walker.width, walker.height, walker.shade)
    _draw_box(scene, x + 2 + shift, walker.y - 7, walker.width - 4, 7, walker.shade + 25)
    arm = 3 if not standing else int(rng.integers(0, 4))
    _draw_box(scene, x + walker.width + shift, walker.y + 6 + arm, 3, 10, walker.shade)


def _is_standing(walker: Walker, t: float, frame_width: int) -> bool:
    return walker.position(t, frame_width) == walker.position(t - 0.5, frame_width)
