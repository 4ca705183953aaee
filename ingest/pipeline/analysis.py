"""Turn a file's frames into event drafts: source, detector and segmenter behind narrow types."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from config.settings import IngestSettings
from ingest.frames import FrameSource, LazyImage, SourceInfo
from ingest.motion.base import MotionDetector, MotionSample
from ingest.motion.detector import BackgroundMotionDetector
from ingest.motion.draft import EventDraft
from ingest.motion.segmenter import EventSegmenter
from ingest.motion.settings import MotionSettings
from ingest.pipeline.errors import IngestRefused
from ingest.source.errors import MediaError
from ingest.source.file_source import FileSource


class Segmenter(Protocol):
    """Cuts a stream of motion samples into events."""

    def push(self, sample: MotionSample, image: LazyImage | None = None) -> Iterable[EventDraft]:
        """Take one sample and its frame (for the thumbnail); return the events it closed."""
        ...

    def flush(self) -> Iterable[EventDraft]:
        """Close the open event, if any, at the end of the footage."""
        ...


@dataclass(frozen=True)
class Analysis:
    """The parts that index a file; the real ones by default, synthetic ones in tests."""

    source: Callable[[Path, datetime], FrameSource]
    detector: Callable[[MotionSettings], MotionDetector]
    segmenter: Callable[[MotionSettings], Segmenter]
    settings: MotionSettings = field(default_factory=MotionSettings)


@dataclass
class Analysed:
    """What decoding and detection found in one file."""

    info: SourceInfo
    frames: int = 0
    span_s: float = 0.0
    drafts: list[EventDraft] = field(default_factory=list)


Progress = Callable[[float], None]


def default_analysis(settings: IngestSettings) -> Analysis:
    """Return the real parts (PyAV source, detector, segmenter) with the [ingest] defaults."""
    return Analysis(
        source=FileSource,
        detector=BackgroundMotionDetector,
        segmenter=EventSegmenter,
        settings=MotionSettings(
            analysis_fps=settings.analysis_fps, sensitivity=settings.sensitivity
        ),
    )


def analyse_file(
    path: Path, start: datetime, *, analysis: Analysis, progress: Progress | None = None
) -> Analysed:
    """Decode every frame, detect motion and collect the events; refuse damaged files."""
    try:
        source = analysis.source(path, start)
        result = Analysed(info=source.info)
        detector = analysis.detector(analysis.settings)
        segmenter = analysis.segmenter(analysis.settings)
        step = 1.0 / source.info.fps if source.info.fps > 0 else 0.0
        for frame in source.frames():
            result.drafts.extend(segmenter.push(detector.analyse(frame), frame.bgr))
            result.frames += 1
            result.span_s = max(result.span_s, frame.offset_s + step)
            if progress is not None:
                progress(frame.offset_s)
        result.drafts.extend(segmenter.flush())
    except MediaError as exc:
        raise IngestRefused(f"{path.name}: {exc.reason}; nothing was stored") from exc
    return result


def check_complete(path: Path, analysed: Analysed, *, tolerance_s: float) -> None:
    """Refuse a file that decoded much shorter than its container declares (truncated)."""
    declared = analysed.info.duration_s
    if analysed.frames == 0:
        raise IngestRefused(f"{path.name}: no frame could be decoded; nothing was stored")
    if declared is not None and analysed.span_s < declared - tolerance_s:
        raise IngestRefused(
            f"{path.name}: truncated or damaged: decoded {analysed.span_s:.1f} s of the "
            f"{declared:.1f} s the container declares; collect the file again from the recorder"
        )
