"""Synthetic camera pictures for picture-check tests: a real scene made healthy, black, frozen,
noisy but still, blurred, moved or covered, written as H.264 the RTSP test server can loop."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ingest.frames import Image

FOOTAGE = Path(__file__).resolve().parents[2] / "samples" / "footage" / "bottle-detection.mp4"


def scene(width: int = 320, height: int = 240, *, at_s: float = 5.0) -> Image:
    """Return one BGR frame of the sample footage (a real, detailed view), resized."""
    with av.open(str(FOOTAGE)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= at_s:
                image = frame.to_ndarray(format="bgr24")
                break
        else:
            raise RuntimeError(f"{FOOTAGE} is shorter than {at_s} s")
    return _u8(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))


def _u8(pixels: object) -> Image:
    return np.asarray(pixels, dtype=np.uint8)


def moving(base: Image) -> Callable[[int], Image]:
    """Return frames of the scene with a bright square moving across it (a healthy camera)."""

    def frame(index: int) -> Image:
        image = base.copy()
        height, width = image.shape[:2]
        x = (index * 6) % (width - 30)
        image[height // 2 - 15 : height // 2 + 15, x : x + 30] = 255
        return image

    return frame


def still(base: Image) -> Callable[[int], Image]:
    """Return the same frame every time (a frozen camera)."""
    return lambda _index: base


def noisy(base: Image, sigma: float = 4.0, seed: int = 7) -> Callable[[int], Image]:
    """Return a still scene with fresh sensor noise in every frame (not frozen)."""
    rng = np.random.default_rng(seed)

    def frame(_index: int) -> Image:
        noise = rng.normal(0.0, sigma, base.shape)
        return _u8(np.clip(base.astype(np.float32) + noise, 0, 255))

    return frame


def blurred(make: Callable[[int], Image], sigma: float = 4.0) -> Callable[[int], Image]:
    """Return the frames out of focus."""
    return lambda index: _u8(cv2.GaussianBlur(make(index), (0, 0), sigma))


def black(width: int = 320, height: int = 240) -> Callable[[int], Image]:
    """Return a black picture with a little sensor noise (a capped or dead sensor)."""
    return noisy(np.full((height, width, 3), 8, dtype=np.uint8), sigma=1.0)


def shifted(base: Image, fraction: float) -> Image:
    """Return the view panned right by `fraction` of its width (the camera was moved)."""
    height, width = base.shape[:2]
    dx = round(width * fraction)
    matrix = np.array([[1, 0, -dx], [0, 1, 0]], dtype=np.float32)
    return _u8(cv2.warpAffine(base, matrix, (width, height), borderMode=cv2.BORDER_REFLECT))


def relit(base: Image, gain: float = 0.75, offset: float = 12.0) -> Image:
    """Return the same view under different light."""
    return _u8(np.clip(base.astype(np.float32) * gain + offset, 0, 255))


def covered(base: Image, fraction: float = 0.85) -> Image:
    """Return the view with most of the lens covered (a bag, paint, a hand)."""
    image = base.copy()
    width = image.shape[1]
    image[:, : round(width * fraction)] = (40, 38, 35)
    return image


def write_h264(
    path: Path, frames: Callable[[int], Image] | Iterable[Image], *, seconds: float, fps: int = 10
) -> Path:
    """Encode BGR frames as H.264 (keyframe every second, no B-frames), .h264 or .mp4."""
    first = frames(0) if callable(frames) else None
    source = (frames(i) for i in range(int(seconds * fps))) if callable(frames) else iter(frames)
    container_format = "h264" if path.suffix == ".h264" else "mp4"
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream("libx264", rate=fps)
        sample = first if first is not None else None
        for index, image in enumerate(source):
            if index == 0:
                sample = image if sample is None else sample
                stream.height, stream.width = sample.shape[:2]
                stream.pix_fmt = "yuv420p"
                stream.options = {"g": str(fps), "bf": "0", "preset": "ultrafast", "crf": "20"}
                stream.codec_context.time_base = Fraction(1, fps)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
