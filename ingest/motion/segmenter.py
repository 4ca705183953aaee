"""Cut motion samples into events: start after activity persists, end after quiet, split long."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ingest.frames import Frame, LazyImage
from ingest.motion.base import Box, MotionDetector, MotionSample
from ingest.motion.draft import EventDraft, TrackPoint
from ingest.motion.settings import MotionSettings
from ingest.motion.thumbnail import thumbnail_jpeg

MIN_START_SAMPLES = 3  # a run of activity needs this many active frames besides its length


@dataclass
class _Open:
    """An event being built."""

    first: MotionSample
    last: MotionSample
    box: Box
    peak: float = 0.0
    total: float = 0.0
    count: int = 0
    area: float = 0.0
    grid: int = 0
    zones: set[str] = field(default_factory=set)
    seconds: dict[int, tuple[float, int]] = field(default_factory=dict)
    best: tuple[float, LazyImage | None, Box | None] = (-1.0, None, None)

    def add(self, sample: MotionSample, image: LazyImage | None) -> None:
        """Fold one sample into the event (inactive samples only feed the track)."""
        second = math.floor((sample.at - self.first.at).total_seconds())
        score, grid = self.seconds.get(second, (0.0, 0))
        self.seconds[second] = (max(score, sample.score), grid | sample.grid)
        if sample.box is None:
            return
        self.last = sample
        self.box = self.box.union(sample.box)
        self.peak = max(self.peak, sample.score)
        self.total += sample.score
        self.count += 1
        self.area = max(self.area, sample.area_fraction)
        self.grid |= sample.grid
        self.zones |= sample.zones
        if image is not None and sample.score > self.best[0]:
            self.best = (sample.score, image, sample.box)

    def draft(self) -> EventDraft:
        """Return the finished event; its bounds are its first and last active samples."""
        span = (self.last.at - self.first.at).total_seconds()
        track = tuple(
            TrackPoint(second, round(score, 4), grid)
            for second, (score, grid) in sorted(self.seconds.items())
            if second <= span
        )
        _, lazy, box = self.best
        image = lazy() if callable(lazy) else lazy
        return EventDraft(
            start=self.first.at,
            end=self.last.at,
            peak_score=self.peak,
            mean_score=self.total / max(self.count, 1),
            area_fraction=self.area,
            box=self.box,
            zones=frozenset(self.zones),
            grid=self.grid,
            track=track,
            thumbnail_jpeg=b"" if image is None else thumbnail_jpeg(image, box),
        )


class EventSegmenter:
    """Turn a camera's samples, in order, into event drafts (hysteresis on activity)."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._run: list[tuple[MotionSample, LazyImage | None]] = []
        self._open: _Open | None = None

    def push(self, sample: MotionSample, image: LazyImage | None = None) -> list[EventDraft]:
        """Take the next sample (and its frame, for the thumbnail); return events that ended."""
        if self._open is not None:
            return self._extend(self._open, sample, image)
        if sample.box is None:
            if (
                self._run
                and self._quiet_for(self._run[-1][0], sample) > self.settings.start_after_s
            ):
                self._run.clear()
            return []
        self._run.append((sample, image))
        first = self._run[0][0]
        persisted = (sample.at - first.at).total_seconds() >= self.settings.start_after_s
        if persisted and len(self._run) >= min(MIN_START_SAMPLES, self._min_samples()):
            self._begin(self._run)
            self._run = []
        return []

    def flush(self) -> list[EventDraft]:
        """Close the open event at the end of footage (a run that never persisted is dropped)."""
        self._run = []
        if self._open is None:
            return []
        done, self._open = self._open, None
        return [done.draft()]

    def _extend(
        self, event: _Open, sample: MotionSample, image: LazyImage | None
    ) -> list[EventDraft]:
        if sample.box is None:
            if self._quiet_for(event.last, sample) >= self.settings.end_after_s:
                self._open = None
                return [event.draft()]
            event.add(sample, image)
            return []
        if (sample.at - event.first.at).total_seconds() > self.settings.max_event_s:
            self._begin([(sample, image)])
            return [event.draft()]
        event.add(sample, image)
        return []

    def _begin(self, run: list[tuple[MotionSample, LazyImage | None]]) -> None:
        first = run[0][0]
        assert first.box is not None
        self._open = _Open(first=first, last=first, box=first.box)
        for sample, image in run:
            self._open.add(sample, image)

    def _min_samples(self) -> int:
        # With start_after_s = 0 one active sample starts an event.
        return 1 if self.settings.start_after_s <= 0 else MIN_START_SAMPLES

    @staticmethod
    def _quiet_for(last: MotionSample, sample: MotionSample) -> float:
        return (sample.at - last.at).total_seconds()


def detect_events(
    frames: Iterable[Frame], detector: MotionDetector, segmenter: EventSegmenter
) -> Iterator[EventDraft]:
    """Run a detector and a segmenter over frames; yield each event as soon as it ends."""
    for frame in frames:
        yield from segmenter.push(detector.analyse(frame), frame.bgr)
    yield from segmenter.flush()
