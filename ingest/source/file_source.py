"""A frame source that decodes a video file (MP4, MKV, AVI, GIF, ...) with PyAV."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import av

from ingest.frames import Frame, SourceInfo
from ingest.source.errors import MediaError
from ingest.source.luma import luma_plane


class FileSource:
    """Decode a video file into BGR frames whose wall time is `start` plus the frame's pts.

    `start` is the aware UTC time of the file's first frame (pts 0). Frames are yielded in
    presentation order; a truncated or corrupt file yields what can be decoded and then raises
    `MediaError` (with `frames_decoded`); a file that is not a video raises it on construction.
    `threads` lets FFmpeg decode with frame and slice threads; with `prefetch` > 0 that many
    frames are decoded ahead in a background thread, so decoding overlaps the caller's analysis
    when a core is free (the default, 0, decodes inline: on a busy machine it is no faster).
    """

    def __init__(
        self, path: str | Path, start: datetime, *, threads: bool = True, prefetch: int = 0
    ) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        self.path = Path(path)
        self.start = start
        self._threads = threads
        self._prefetch = max(0, prefetch)
        self._expected_frames = 0
        self._info = self._probe()

    @property
    def info(self) -> SourceInfo:
        """Return what the container says about its video stream."""
        return self._info

    def frames(self) -> Iterator[Frame]:
        """Yield decoded frames in order; raise MediaError after the last good one on damage."""
        if self._prefetch == 0:
            return self._frames()
        return prefetched(self._frames(), self._prefetch)

    def _frames(self) -> Generator[Frame, None, None]:
        count = 0
        last = 0.0
        container = self._open()
        try:
            stream = container.streams.video[0]
            if self._threads:
                # Frame and slice threads: decoding is most of what indexing a file costs.
                stream.thread_type = "AUTO"
            fallback = 1.0 / self._info.fps if self._info.fps > 0 else 0.0
            decoded = container.decode(stream)
            while (frame := self._next(decoded, count)) is not None:
                last = _seconds(frame, count * fallback)
                yield Frame(
                    load=partial(frame.to_ndarray, format="bgr24"),
                    luma=luma_plane(frame),
                    offset_s=last,
                    at=self.start + timedelta(seconds=last),
                )
                count += 1
        finally:
            container.close()
        self._check_complete(count, last)

    def _next(self, decoded: Iterator[Any], count: int) -> Any:
        try:
            return next(decoded, None)
        except (av.error.FFmpegError, ValueError) as exc:
            raise MediaError(
                str(self.path), f"decoding stopped: {exc}", frames_decoded=count
            ) from exc

    def _check_complete(self, count: int, last: float) -> None:
        """Raise MediaError when fewer frames came out than the container announced."""
        if count == 0:
            raise MediaError(str(self.path), "no frame could be decoded")
        expected = self._expected_frames
        # A truncated file often decodes without an error: compare with what the header says.
        if expected > 0 and count < expected - 1:
            raise MediaError(
                str(self.path),
                f"truncated: {count} of {expected} frames decoded",
                frames_decoded=count,
            )
        duration = self._info.duration_s
        if expected == 0 and duration and last < duration - 2.0:
            raise MediaError(
                str(self.path),
                f"truncated: frames stop at {last:.1f} s of {duration:.1f} s",
                frames_decoded=count,
            )

    def _open(self) -> Any:
        if not self.path.is_file():
            raise MediaError(str(self.path), "no such file")
        try:
            container = av.open(str(self.path), mode="r")
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise MediaError(str(self.path), f"not a readable video: {exc}") from exc
        if not container.streams.video:
            container.close()
            raise MediaError(str(self.path), "the file has no video stream")
        return container

    def _probe(self) -> SourceInfo:
        container = self._open()
        try:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            self._expected_frames = int(stream.frames or 0)
            if not ctx.width or not ctx.height:
                raise MediaError(str(self.path), "the video stream has no frame size")
            return SourceInfo(
                width=int(ctx.width),
                height=int(ctx.height),
                fps=float(rate) if rate else 0.0,
                codec=str(ctx.name),
                container=str(container.format.name).split(",")[0],
                duration_s=duration,
            )
        finally:
            container.close()


def _seconds(frame: Any, fallback: float) -> float:
    """Return the frame's presentation time in seconds (count-based when pts is missing)."""
    if frame.pts is None or frame.time_base is None:
        return fallback
    return float(frame.pts * frame.time_base)


@dataclass(frozen=True)
class _Failure:
    error: BaseException


_DONE = object()


def prefetched(frames: Generator[Frame, None, None], depth: int) -> Iterator[Frame]:
    """Yield the frames while a thread decodes up to `depth` ahead (PyAV frees the GIL)."""
    ahead: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        """Queue an item unless the consumer has gone; return whether it was queued."""
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        """Decode into the queue, then the end marker or the error."""
        try:
            for frame in frames:
                if not offer(frame):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, who raises it
            offer(_Failure(exc))
        finally:
            frames.close()

    worker = threading.Thread(target=work, name="file-source-decode", daemon=True)
    worker.start()
    try:
        while (item := ahead.get()) is not _DONE:
            if isinstance(item, _Failure):
                raise item.error
            assert isinstance(item, Frame)
            yield item
    finally:
        # The consumer stopped early or is done: let the decoder go and close the file.
        stop.set()
        worker.join(timeout=10)
