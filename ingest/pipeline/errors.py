"""Errors of the ingest pipeline; all say what to fix."""

from __future__ import annotations

from camera_registry.errors import Conflict, InvalidInput


class IngestRefused(InvalidInput):
    """A file that cannot be indexed as given (not a video, damaged, bad start time, ...)."""


class FootageChanged(Conflict):
    """The file's content changed between queueing and indexing (its hash differs)."""
