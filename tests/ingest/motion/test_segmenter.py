"""Hysteresis, splitting, bounds, track, unions and thumbnails of the event segmenter."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from ingest.motion.base import Box, MotionSample
from ingest.motion.draft import EventDraft
from ingest.motion.segmenter import EventSegmenter
from ingest.motion.settings import MotionSettings
from ingest.synthetic import EPOCH

FPS = 5


def sample(
    t: float,
    score: float = 0.0,
    box: Box | None = None,
    grid: int = 0,
    zones: frozenset[str] = frozenset(),
) -> MotionSample:
    """Return a sample at t seconds; active when it has a box."""
    at = EPOCH + timedelta(seconds=t)
    return MotionSample(at, t, score, 0.01 if box else 0.0, box, grid, zones)


def feed(
    active: list[tuple[float, float]], until: float, settings: MotionSettings | None = None
) -> list[EventDraft]:
    """Push samples at 5 fps, active inside the given spans; return every event."""
    segmenter = EventSegmenter(settings)
    drafts: list[EventDraft] = []
    for index in range(round(until * FPS)):
        t = index / FPS
        on = any(a <= t <= b for a, b in active)
        drafts += segmenter.push(sample(t, 0.5, Box(0.1, 0.1, 0.2, 0.2)) if on else sample(t))
    return drafts + segmenter.flush()


def bounds(draft: EventDraft) -> tuple[float, float]:
    return ((draft.start - EPOCH).total_seconds(), (draft.end - EPOCH).total_seconds())


def test_a_blip_starts_no_event() -> None:
    assert feed([(2.0, 2.2)], 10) == []


def test_persisting_activity_starts_an_event_at_its_first_sample() -> None:
    found = feed([(2.0, 5.0)], 10)
    assert [bounds(d) for d in found] == [(2.0, 5.0)]


def test_short_quiet_keeps_one_event_and_long_quiet_splits() -> None:
    assert [bounds(d) for d in feed([(1.0, 3.0), (4.0, 6.0)], 12)] == [(1.0, 6.0)]
    assert [bounds(d) for d in feed([(1.0, 3.0), (6.0, 8.0)], 12)] == [(1.0, 3.0), (6.0, 8.0)]


def test_very_long_activity_is_split() -> None:
    found = feed([(0.0, 25.0)], 30, MotionSettings(max_event_s=10))
    assert len(found) == 3
    assert all(d.duration_s <= 10 for d in found)
    assert bounds(found[0])[0] == 0.0
    assert bounds(found[-1])[1] == 25.0


def test_open_event_is_closed_at_the_end_of_footage() -> None:
    assert [bounds(d) for d in feed([(5.0, 10.0)], 10.0)] == [(5.0, 9.8)]


def test_event_carries_unions_scores_track_and_thumbnail() -> None:
    segmenter = EventSegmenter()
    image = np.zeros((90, 160, 3), dtype=np.uint8)
    pushes = [
        (sample(0.0, 0.2, Box(0.1, 0.1, 0.2, 0.2), 0b001, frozenset({"door"})), image),
        (sample(0.2, 0.4, Box(0.1, 0.1, 0.2, 0.2), 0b001), image),
        (sample(0.4, 0.9, Box(0.5, 0.5, 0.6, 0.7), 0b100, frozenset({"gate"})), image),
        (sample(1.2, 0.5, Box(0.3, 0.2, 0.4, 0.3), 0b010), image),
    ]
    for item, frame in pushes:
        assert segmenter.push(item, frame) == []
    (draft,) = segmenter.flush()
    assert draft.box == Box(0.1, 0.1, 0.6, 0.7)
    assert draft.grid == 0b111
    assert draft.zones == frozenset({"door", "gate"})
    assert draft.peak_score == 0.9
    assert abs(draft.mean_score - 0.5) < 1e-9
    assert [(p.offset_s, p.score, p.grid) for p in draft.track] == [
        (0, 0.9, 0b101),
        (1, 0.5, 0b010),
    ]
    assert draft.thumbnail_jpeg.startswith(b"\xff\xd8")
    assert draft.event_id("VT-0001") == "VT-0001@20260101T000000.000Z"
