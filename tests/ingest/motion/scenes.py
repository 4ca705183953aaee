"""Run the real detector and segmenter over synthetic scenes."""

from __future__ import annotations

from ingest.motion.detector import BackgroundMotionDetector
from ingest.motion.draft import EventDraft
from ingest.motion.segmenter import EventSegmenter, detect_events
from ingest.motion.settings import MotionSettings
from ingest.synthetic import EPOCH, SceneSpec, SyntheticScene


def events(spec: SceneSpec, settings: MotionSettings | None = None) -> list[EventDraft]:
    """Return the events the real detector finds in a synthetic scene."""
    settings = settings or MotionSettings()
    scene = SyntheticScene(spec)
    return list(
        detect_events(scene.frames(), BackgroundMotionDetector(settings), EventSegmenter(settings))
    )


def seconds(draft: EventDraft) -> tuple[float, float]:
    """Return an event's bounds in seconds from the scene's start."""
    return ((draft.start - EPOCH).total_seconds(), (draft.end - EPOCH).total_seconds())
