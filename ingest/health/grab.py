"""Grab a few seconds of a camera's main stream with PyAV: grey frames, timing, the last picture."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from camera_registry.crypto import StreamCredentials
from ingest.frames import Image
from ingest.source.rtsp_source import RtspSource, StreamError

# Pictures are judged at one width, so focus and difference measures mean the same for every
# camera whatever its resolution (thresholds in picture.py are tuned at this width).
ANALYSIS_WIDTH = 320
RETRY_PAUSE_S = 0.5


@dataclass
class Grab:
    """What a few seconds of a stream showed."""

    width: int  # decoded picture size
    height: int
    grey: list[Image] = field(default_factory=list)  # luma, resized to ANALYSIS_WIDTH
    offsets_s: list[float] = field(default_factory=list)  # stream time of each frame
    last_bgr: Image | None = None  # full size, for the snapshot
    stream_fps: float = 0.0  # what the stream declares

    @property
    def measured_fps(self) -> float | None:
        """Return the frame rate measured from frame timestamps (None with under two frames)."""
        if len(self.offsets_s) < 2:
            return None
        span = self.offsets_s[-1] - self.offsets_s[0]
        return (len(self.offsets_s) - 1) / span if span > 0 else None


class GrabFailed(Exception):
    """The stream gave no decodable frame in time; `message` is safe to store and log."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def analysis_grey(image: Image) -> Image:
    """Return a grey (or BGR) picture as luma resized to ANALYSIS_WIDTH."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height, width = grey.shape[:2]
    size = (ANALYSIS_WIDTH, max(1, round(height * ANALYSIS_WIDTH / width)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _open(
    url: str, credentials: StreamCredentials | None, deadline: float, read_timeout: float
) -> RtspSource:
    """Open the stream; retry once, as a camera may refuse a connection right after another."""
    for attempt in (1, 2):
        remaining = deadline - time.monotonic()
        source = RtspSource(
            url,
            credentials,
            open_timeout_s=max(0.5, remaining * 0.6),
            read_timeout_s=read_timeout,
        )
        try:
            source.open()
            return source
        except StreamError:
            source.close()
            if attempt == 2 or deadline - time.monotonic() < 2 * RETRY_PAUSE_S + 1.0:
                raise
        time.sleep(RETRY_PAUSE_S)
    raise AssertionError("unreachable")  # the loop returns or raises


def grab_frames(
    url: str, credentials: StreamCredentials | None, *, seconds: float, timeout_s: float
) -> Grab:
    """Decode `seconds` of the stream (RTSP over TCP); never take much longer than `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    # The read timeout bounds each blocking read, the deadline the whole grab.
    read_timeout = max(0.5, min(timeout_s / 4, 3.0))
    try:
        source = _open(url, credentials, deadline, read_timeout)
    except StreamError as exc:
        raise GrabFailed(exc.reason) from None
    info = source.info
    grab = Grab(width=info.width, height=info.height, stream_fps=info.fps)
    last_frame = None
    try:
        for item in source.packets():
            for frame in source.decode(item):
                last_frame = frame
                grab.grey.append(analysis_grey(np.asarray(frame.analysis_pixels())))
                grab.offsets_s.append(frame.offset_s)
            span = grab.offsets_s[-1] - grab.offsets_s[0] if grab.offsets_s else 0.0
            if span >= seconds or time.monotonic() >= deadline:
                break
    except StreamError as exc:
        if not grab.grey:
            raise GrabFailed(exc.reason) from None
        # A stream that breaks after some frames is judged on what it showed.
    finally:
        if last_frame is not None:
            grab.last_bgr = last_frame.image
            grab.height, grab.width = grab.last_bgr.shape[:2]
        source.close()
    if not grab.grey:
        raise GrabFailed(f"no decodable frame within {timeout_s:g} s")
    return grab
