"""Give cameras without a ward the current ward that contains them (after an area import)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.camera.model import Camera
from camera_registry.camera.repository import CameraRepository
from camera_registry.camera.schema import CameraUpdate
from camera_registry.camera.write import WriteContext, update_camera
from camera_registry.clock import utcnow


def assign_missing_wards(session: Session, *, actor: Actor) -> list[str]:
    """Derive the ward of every camera that has none from its position; return their codes."""
    layer = AreaLayer.load(session, utcnow().date())
    if not layer.areas:
        return []
    codes = session.scalars(
        select(Camera.code).where(Camera.ward_code.is_(None)).order_by(Camera.code)
    ).all()
    cameras = CameraRepository(session).get_many(codes)
    # The layer is shared so that the writes below do not load it again per camera.
    ctx = WriteContext(cipher=None, layer=layer)
    assigned: list[str] = []
    for code in codes:
        camera = cameras[code]
        hit = layer.containing(camera.lat, camera.lon)
        if hit is None or not actor.scope.allows(code, None):
            continue
        update_camera(
            session, code=code, data=CameraUpdate(ward_code=hit.code), actor=actor, ctx=ctx
        )
        assigned.append(code)
    return assigned
