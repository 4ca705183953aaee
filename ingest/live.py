"""One camera's live pipeline: record the main stream, analyse the sub stream, survive outages."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from camera_registry.crypto import StreamCredentials
from camera_registry.db.unit_of_work import unit_of_work
from ingest.frames import Frame, SourceInfo
from ingest.health.live_report import LiveStatus
from ingest.live_store import NOT_RECORDED, EventWriter, GapTracker, last_live_coverage_end
from ingest.motion.base import MotionDetector
from ingest.motion.detector import BackgroundMotionDetector
from ingest.motion.segmenter import EventSegmenter
from ingest.motion.settings import MotionSettings
from ingest.pipeline.analysis import Segmenter
from ingest.recorder import SegmentRecorder
from ingest.source.rtsp_source import (
    Clock,
    RtspSource,
    StampedPacket,
    StreamError,
    redact_url,
    utc_now,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveCamera:
    """What a pipeline needs of a registered camera (credentials already decrypted)."""

    id: int
    code: str
    stream_url: str
    sub_stream_url: str | None = None
    credentials: StreamCredentials | None = None
    # Why the camera cannot be streamed although it is active (e.g. undecryptable credentials).
    credentials_problem: str | None = None

    @property
    def analysis_url(self) -> str:
        """Return the stream to analyse: the sub stream when there is one."""
        return self.sub_stream_url or self.stream_url


@dataclass(frozen=True)
class LiveOptions:
    """Tuning of live pipelines (from the [live] settings group)."""

    segment_seconds: float = 60.0
    backoff_min_s: float = 1.0
    backoff_max_s: float = 60.0
    analysis_fps: float = 5.0
    open_timeout_s: float = 10.0
    read_timeout_s: float = 10.0
    keyframe_timeout_s: float = 30.0


@dataclass(frozen=True)
class LiveAnalysis:
    """Factories of a camera's detector and segmenter (real ones by default, fakes in tests)."""

    detector: Callable[[], MotionDetector]
    segmenter: Callable[[], Segmenter]


def default_live_analysis(settings: MotionSettings | None = None) -> LiveAnalysis:
    """Return the background-model detector and the event segmenter."""
    motion = settings or MotionSettings()
    return LiveAnalysis(
        detector=lambda: BackgroundMotionDetector(motion),
        segmenter=lambda: EventSegmenter(motion),
    )


class StreamSource(Protocol):
    """One connection to a stream (RtspSource; fakes in tests)."""

    url: str

    @property
    def stream(self) -> Any:
        """Return the demuxer's video stream (the remux template)."""
        ...

    @property
    def info(self) -> SourceInfo:
        """Return what the stream says about its video."""
        ...

    def open(self) -> None:
        """Connect; raise StreamError with a safe reason."""
        ...

    def packets(self) -> Iterator[StampedPacket]:
        """Yield timed packets; raise StreamError when the stream fails or ends."""
        ...

    def decode(self, item: StampedPacket, *, convert: bool = True) -> list[Frame]:
        """Return the frames a packet completes."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


SourceFactory = Callable[[str, StreamCredentials | None, LiveOptions], StreamSource]


def rtsp_source(
    url: str, credentials: StreamCredentials | None, options: LiveOptions
) -> RtspSource:
    """Return a PyAV RTSP source with the configured timeouts."""
    return RtspSource(
        url,
        credentials,
        open_timeout_s=options.open_timeout_s,
        read_timeout_s=options.read_timeout_s,
    )


@dataclass
class LiveContext:
    """What every pipeline of a worker shares."""

    session_factory: sessionmaker[Session]
    recordings_dir: Path
    thumbnail_dir: Path
    options: LiveOptions = field(default_factory=LiveOptions)
    analysis: LiveAnalysis = field(default_factory=default_live_analysis)
    source_factory: SourceFactory = rtsp_source
    clock: Clock = utc_now


class Backoff:
    """Exponential waits with jitter, capped; reset once a stream delivers again."""

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None) -> None:
        self.min_s, self.max_s = min_s, max(min_s, max_s)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._failures = 0

    def next(self) -> float:
        """Return how long to wait before the next attempt."""
        base = min(self.max_s, self.min_s * 2.0**self._failures)
        self._failures += 1
        # Full jitter within the upper half: cameras that dropped together do not return together.
        return base * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        """Start again from the shortest wait."""
        self._failures = 0


class Analyser:
    """Feed at most `fps` frames a second to a detector and segmenter; store the events."""

    def __init__(self, analysis: LiveAnalysis, writer: EventWriter, fps: float, clock: Clock):
        self._analysis, self._writer, self._clock = analysis, writer, clock
        self._step = timedelta(seconds=1.0 / fps)
        self._next: datetime | None = None
        self._detector = analysis.detector()
        self._segmenter = analysis.segmenter()
        self.frames = 0

    def wants(self, at: datetime) -> bool:
        """Return True when a frame at `at` should be analysed (the rate cap)."""
        return self._next is None or at >= self._next

    def feed(self, frame: Frame) -> None:
        """Analyse one frame and store the events it closes."""
        self._next = frame.at + self._step
        sample = self._detector.analyse(frame)
        self._writer.store(self._segmenter.push(sample, frame.bgr), now=self._clock())
        self.frames += 1

    def restart(self) -> None:
        """Close the open event (the stream broke off) and start a fresh background model."""
        self._writer.store(self._segmenter.flush(), now=self._clock())
        self._detector = self._analysis.detector()
        self._segmenter = self._analysis.segmenter()
        self._next = None


class CameraPipeline:
    """Run one camera until `stop` is set; never raises (failures become gaps and log lines)."""

    def __init__(self, camera: LiveCamera, ctx: LiveContext, stop: threading.Event) -> None:
        self.camera, self.ctx, self.stop = camera, ctx, stop
        self.recorder = SegmentRecorder(
            camera_id=camera.id,
            camera_code=camera.code,
            recordings_dir=ctx.recordings_dir,
            session_factory=ctx.session_factory,
            segment_seconds=ctx.options.segment_seconds,
            clock=ctx.clock,
        )
        self.gaps = GapTracker(camera_id=camera.id, session_factory=ctx.session_factory)
        writer = EventWriter(
            camera_id=camera.id,
            camera_code=camera.code,
            session_factory=ctx.session_factory,
            thumbnail_dir=ctx.thumbnail_dir,
        )
        self.events = writer
        self.analyser = Analyser(ctx.analysis, writer, ctx.options.analysis_fps, ctx.clock)
        self._backoff = Backoff(ctx.options.backoff_min_s, ctx.options.backoff_max_s)
        # Health facts (last frame, frame rate, why the stream failed) for the health checks.
        self.status = LiveStatus()

    def run(self) -> None:
        """Record (and analyse) until stopped; the sub stream, if any, runs in its own thread."""
        if self.camera.credentials_problem:
            self._wait_out(self.camera.credentials_problem)
            return
        sub = None
        if self.camera.sub_stream_url and self.camera.sub_stream_url != self.camera.stream_url:
            sub = threading.Thread(
                target=self._run_analysis, name=f"live-{self.camera.code}-sub", daemon=True
            )
            sub.start()
        try:
            self._run_recording(analyse=sub is None)
        finally:
            if sub is not None:
                sub.join()

    def _wait_out(self, reason: str) -> None:
        """Record the whole run as one gap: the camera cannot be streamed as configured."""
        log.error("camera %s: %s", self.camera.code, reason)
        self.status.lost(reason, self.ctx.clock())
        self._note_gap(self.ctx.clock(), reason)
        self.stop.wait()
        self._finish()

    def _run_recording(self, *, analyse: bool) -> None:
        self.recorder.remove_partials()
        outage_start = self.ctx.clock()
        self._note_time_not_recorded(outage_start)
        while not self.stop.is_set():
            reason = self._record_once(analyse=analyse)
            if self.stop.is_set():
                break
            last = self.recorder.last_segment
            if last is not None and last.end > outage_start:
                outage_start = last.end
            log.warning(
                "camera %s: %s (%s)", self.camera.code, reason, redact_url(self.camera.stream_url)
            )
            self.status.lost(reason, self.ctx.clock())
            self._note_gap(outage_start, reason)
            self.stop.wait(self._backoff.next())
        self._finish()

    def _record_once(self, *, analyse: bool) -> str:
        """Connect once and record until the stream fails; return why it stopped."""
        source = self.ctx.source_factory(
            self.camera.stream_url, self.camera.credentials, self.ctx.options
        )
        delivered = False
        keyframe_at: datetime | None = None
        try:
            source.open()
            self.recorder.begin(source.stream, source.info)
            for item in source.packets():
                keyframe_at = self._watch_keyframes(item, keyframe_at)
                self.status.frame(item.at)
                if analyse:
                    for frame in source.decode(item, convert=self.analyser.wants(item.at)):
                        self.analyser.feed(frame)
                if self.recorder.write(item):
                    delivered = True
                    self.gaps.close(end=item.at)
                    self._backoff.reset()
                if self.stop.is_set():
                    return "worker stopped"
            return "stream ended"  # packets() raises instead; kept for a finite fake source
        except StreamError as exc:
            return f"stream lost: {exc.reason}" if delivered else exc.reason
        except Exception as exc:
            log.exception("camera %s: pipeline failed", self.camera.code)
            return f"internal error: {type(exc).__name__}"
        finally:
            source.close()
            self.recorder.close()
            if analyse:
                self.analyser.restart()

    def _watch_keyframes(self, item: StampedPacket, since: datetime | None) -> datetime:
        """Return when the last keyframe came; raise StreamError when none came for too long.

        A stream that delivers packets but never a keyframe (garbage, a broken encoder) would
        otherwise record nothing without ever counting as lost: no footage and no gap.
        """
        if since is None or item.packet.is_keyframe:
            return item.at
        waited = (item.at - since).total_seconds()
        if waited > self.ctx.options.keyframe_timeout_s:
            raise StreamError(f"no decodable video (no keyframe for {waited:.0f} s)")
        return since

    def _note_time_not_recorded(self, now: datetime) -> None:
        """Open a gap from where the camera's live timeline ended (the worker was down)."""
        try:
            with unit_of_work(self.ctx.session_factory) as session:
                last = last_live_coverage_end(session, camera_id=self.camera.id)
        except Exception:
            log.exception("camera %s: live timeline not read", self.camera.code)
            return
        if last is not None and last < now:
            self._note_gap(last, NOT_RECORDED)

    def _note_gap(self, start: datetime, reason: str) -> None:
        try:
            self.gaps.note(start=start, now=self.ctx.clock(), reason=reason)
        except Exception:
            log.exception("camera %s: coverage gap not stored", self.camera.code)

    def _finish(self) -> None:
        try:
            self.gaps.close(end=self.ctx.clock())
        except Exception:
            log.exception("camera %s: coverage gap not closed", self.camera.code)

    def _run_analysis(self) -> None:
        """Analyse the sub stream until stopped; its outages are logged, not gaps (footage is)."""
        backoff = Backoff(self.ctx.options.backoff_min_s, self.ctx.options.backoff_max_s)
        url = self.camera.analysis_url
        while not self.stop.is_set():
            source = self.ctx.source_factory(url, self.camera.credentials, self.ctx.options)
            try:
                for item in source.packets():
                    for frame in source.decode(item, convert=self.analyser.wants(item.at)):
                        self.analyser.feed(frame)
                        backoff.reset()
                    if self.stop.is_set():
                        break
            except StreamError as exc:
                log.warning(
                    "camera %s sub stream: %s (%s)", self.camera.code, exc.reason, source.url
                )
            except Exception:
                log.exception("camera %s: analysis failed", self.camera.code)
            finally:
                source.close()
                self.analyser.restart()
            self.stop.wait(backoff.next())
