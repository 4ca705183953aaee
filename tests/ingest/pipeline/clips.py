"""Short synthetic video clips written with PyAV, so ingest tests stay fast."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT, FPS = 160, 96, 10


def frame_at(index: int, moving: tuple[float, float]) -> np.ndarray:
    """Return a grey BGR frame with a white square crossing it during `moving` (seconds)."""
    image = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
    t = index / FPS
    if moving[0] <= t < moving[1]:
        x = int(10 + (t - moving[0]) * 60)
        image[30:60, x : x + 30] = 250
    return image


def write_clip(
    path: Path,
    *,
    seconds: float = 3.0,
    moving: tuple[float, float] = (1.2, 2.6),
    creation_time: str | None = None,
    seed: int = 0,
) -> Path:
    """Encode an H.264 clip (MP4, MKV, ... by suffix) with a moving square; return the path."""
    with av.open(str(path), mode="w") as container:
        if creation_time:
            container.metadata["creation_time"] = creation_time
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.time_base = Fraction(1, FPS)
        for i in range(int(seconds * FPS)):
            image = frame_at(i, moving)
            image[0, 0] = seed  # different content, different hash
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
