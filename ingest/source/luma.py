"""The grey plane of a decoded YUV picture, without converting anything."""

from __future__ import annotations

from typing import Any

import numpy as np

from ingest.frames import Image

# Formats whose first plane is the full-size luma (Y) plane.
_PLANAR_LUMA = ("yuv", "yuvj", "nv12", "nv21", "gray")


def luma_plane(frame: Any) -> Image | None:
    """Return a view of a PyAV frame's Y plane, or None for formats without one (GIF, RGB)."""
    name: str = frame.format.name
    if not name.startswith(_PLANAR_LUMA) or name.endswith(("10le", "10be", "12le", "16le")):
        return None
    plane = frame.planes[0]
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : frame.width]
