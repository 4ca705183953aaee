"""Lifecycle: planned → active ↔ maintenance → decommissioned."""

from __future__ import annotations

from camera_registry.camera.model import CameraStatus
from camera_registry.errors import InvalidTransition

ALLOWED: dict[CameraStatus, frozenset[CameraStatus]] = {
    CameraStatus.PLANNED: frozenset({CameraStatus.ACTIVE, CameraStatus.DECOMMISSIONED}),
    CameraStatus.ACTIVE: frozenset({CameraStatus.MAINTENANCE, CameraStatus.DECOMMISSIONED}),
    CameraStatus.MAINTENANCE: frozenset({CameraStatus.ACTIVE, CameraStatus.DECOMMISSIONED}),
    CameraStatus.DECOMMISSIONED: frozenset(),
}


def check_transition(code: str, old: CameraStatus, new: CameraStatus) -> None:
    """Raise InvalidTransition unless a camera may go from `old` to `new`."""
    if old == new or new in ALLOWED[old]:
        return
    allowed = ", ".join(sorted(ALLOWED[old])) or "none (decommissioned is final)"
    raise InvalidTransition(
        f"camera {code} cannot go from {old} to {new}; allowed from {old}: {allowed}"
    )
