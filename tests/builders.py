"""Plain builder functions for tests."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from camera_registry.actor import Actor, cli_actor
from camera_registry.camera.model import Camera
from camera_registry.camera.schema import CameraCreate
from camera_registry.camera.write import WriteContext, create_camera

_counter = itertools.count(1)


def make_camera(
    session: Session,
    *,
    ctx: WriteContext | None = None,
    actor: Actor | None = None,
    **overrides: Any,
) -> Camera:
    """Create a camera in central Vũng Tàu with sensible defaults, overridable per field."""
    n = next(_counter)
    data: dict[str, Any] = {
        "code": f"T-{n:05d}",
        "name": f"Test camera {n}",
        "lat": 10.346 + (n % 50) * 0.0004,
        "lon": 107.084 + (n % 37) * 0.0004,
    }
    data.update(overrides)
    result = create_camera(
        session,
        data=CameraCreate(**data),
        actor=actor or cli_actor(),
        ctx=ctx or WriteContext(cipher=None),
    )
    return result.camera
