"""The one vocabulary of health results: states, reasons and check tiers."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from camera_registry.camera.model import CameraStatus


class HealthState(StrEnum):
    """How well a camera works."""

    ONLINE = "online"
    DEGRADED = "degraded"  # reachable, but the picture is not usable as it is
    OFFLINE = "offline"  # not reachable
    UNKNOWN = "unknown"  # never checked, or not checked for too long


class Reason(StrEnum):
    """Why a camera is not online."""

    # Reachability: these make a camera offline.
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    AUTH_FAILED = "auth_failed"
    SERVER_ERROR = "server_error"
    # Picture: these make a camera degraded.
    NO_FRAMES = "no_frames"
    BLACK = "black"
    FROZEN = "frozen"
    BLURRED = "blurred"
    TAMPERED = "tampered"
    MOVED = "moved"
    WRONG_RESOLUTION = "wrong_resolution"
    WRONG_FPS = "wrong_fps"


REACHABILITY_REASONS = frozenset(
    {Reason.UNREACHABLE, Reason.TIMEOUT, Reason.AUTH_FAILED, Reason.SERVER_ERROR}
)
PICTURE_REASONS = frozenset(set(Reason) - REACHABILITY_REASONS)


# Cameras whose health is watched: installed ones. Planned and decommissioned cameras are never
# checked, so listings and reports leave them out unless asked for by code or status.
MONITORED_STATUSES = (CameraStatus.ACTIVE, CameraStatus.MAINTENANCE)


class CheckTier(StrEnum):
    """Which kind of check produced a result."""

    REACHABILITY = "reachability"  # TCP connect and RTSP OPTIONS/DESCRIBE
    PICTURE = "picture"  # a few seconds of frames, judged
    LIVE = "live"  # facts reported by a worker that ingests the stream


def state_of(reasons: Iterable[Reason]) -> HealthState:
    """Return the state a set of reasons implies (reachability failures outrank picture ones)."""
    found = set(reasons)
    if found & REACHABILITY_REASONS:
        return HealthState.OFFLINE
    if found:
        return HealthState.DEGRADED
    return HealthState.ONLINE


def ordered(reasons: Iterable[Reason]) -> list[Reason]:
    """Return reasons without repeats in vocabulary order (stable output for people and tests)."""
    found = set(reasons)
    return [r for r in Reason if r in found]
