"""A frame source that decodes a video file (MP4, MKV, AVI, GIF, ...) with PyAV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av

from ingest.frames import Frame, SourceInfo
from ingest.source.errors import MediaError


class FileSource:
    """Decode a video file into BGR frames whose wall time is `start` plus the frame's pts.

    `start` is the aware UTC time of the file's first frame (pts 0). Frames are yielded in
    presentation order; a truncated or corrupt file yields what can be decoded and then raises
    `MediaError` (with `frames_decoded`); a file that is not a video raises it on construction.
    """

    def __init__(self, path: str | Path, start: datetime, *, threads: bool = True) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        self.path = Path(path)
        self.start = start
        self._threads = threads
        self._info = self._probe()

    @property
    def info(self) -> SourceInfo:
        """Return what the container says about its video stream."""
        return self._info

    def frames(self) -> Iterator[Frame]:
        """Yield decoded frames in order; raise MediaError after the last good one on damage."""
        count = 0
        container = self._open()
        try:
            stream = container.streams.video[0]
            if self._threads:
                # Frame-and-slice threading: decoding is the cost of indexing a file.
                stream.thread_type = "AUTO"
            fallback = 1.0 / self._info.fps if self._info.fps > 0 else 0.0
            for frame in self._decode(container, stream, lambda: count):
                offset = _seconds(frame, count * fallback)
                yield Frame(
                    image=frame.to_ndarray(format="bgr24"),
                    offset_s=offset,
                    at=self.start + timedelta(seconds=offset),
                )
                count += 1
        finally:
            container.close()
        if count == 0:
            raise MediaError(str(self.path), "no frame could be decoded")

    def _decode(self, container: Any, stream: Any, done: Any) -> Iterator[Any]:
        try:
            yield from container.decode(stream)
        except av.error.FFmpegError as exc:
            raise MediaError(
                str(self.path), f"decoding stopped: {exc}", frames_decoded=done()
            ) from exc

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
