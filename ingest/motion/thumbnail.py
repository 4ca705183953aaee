"""JPEG thumbnails of an event's best frame."""

from __future__ import annotations

import cv2
import numpy as np

from ingest.frames import Image
from ingest.motion.base import Box

MAX_WIDTH = 640
QUALITY = 85
_COLOUR = (0, 200, 255)  # amber in BGR: visible on both day and night (IR) footage


def thumbnail_jpeg(image: Image, box: Box | None = None) -> bytes:
    """Return the frame as a JPEG at most 640 px wide, with the moving box outlined when given."""
    height, width = image.shape[:2]
    if width > MAX_WIDTH:
        size = (MAX_WIDTH, max(1, round(height * MAX_WIDTH / width)))
        image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        height, width = image.shape[:2]
    else:
        image = image.copy()
    if box is not None:
        # The outline shows an investigator where the activity was without hiding the scene.
        top_left = (round(box.x0 * width), round(box.y0 * height))
        bottom_right = (round(box.x1 * width) - 1, round(box.y1 * height) - 1)
        cv2.rectangle(image, top_left, bottom_right, _COLOUR, 2)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    if not ok:
        raise ValueError("the frame could not be encoded as JPEG")
    return bytes(data.tobytes())
