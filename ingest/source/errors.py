"""Errors raised by frame sources."""

from __future__ import annotations


class MediaError(Exception):
    """A file is not a video, or its video cannot be (fully) decoded."""

    def __init__(self, path: str, reason: str, *, frames_decoded: int = 0) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        # How many frames were yielded before the failure (0 when nothing could be read).
        self.frames_decoded = frames_decoded
