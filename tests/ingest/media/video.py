"""Short real video files made with PyAV for clip tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FPS = 10
GOP = 10  # a keyframe every second


def make_video(
    path: Path, *, seconds: int = 6, codec: str = "libx264", container: str | None = None
) -> Path:
    """Write a 64x48 video with a keyframe every second; frame i is filled with grey i*3."""
    params = f"keyint={GOP}:min-keyint={GOP}:scenecut=0"
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=FPS)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.gop_size = GOP
        if codec == "libx265":
            # Closed GOPs, as camera recorders write them: every keyframe starts clean.
            stream.options = {"x265-params": f"{params}:open-gop=0:log-level=error"}
        else:
            stream.options = {"x264-params": params}
        for i in range(seconds * FPS):
            image = np.full((48, 64, 3), (i * 3) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def packet_payloads(path: Path) -> list[bytes]:
    """Return the bytes of every video packet in decode order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [bytes(p) for p in container.demux(stream) if p.size]


def decoded_frames(path: Path) -> int:
    """Return how many frames decode from the file."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))
