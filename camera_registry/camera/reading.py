"""Audited reads: every search and every read of owners' personal data leaves an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.audit.service import append_audit
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.present import mask_personal, reveals_personal, to_read
from camera_registry.camera.query import get_camera, search_cameras
from camera_registry.camera.schema import CameraRead
from camera_registry.changelog.model import ChangeRecord
from camera_registry.changelog.service import changes_of
from camera_registry.clock import utcnow
from camera_registry.errors import PermissionDenied


@dataclass
class CameraListing:
    """A page of cameras as the actor may see them."""

    items: list[CameraRead]
    next_cursor: str | None


def _filter_summary(query: CameraFilter) -> dict[str, Any]:
    return query.model_dump(mode="json", exclude_defaults=True)


def list_cameras(
    session: Session,
    *,
    query: CameraFilter,
    actor: Actor,
    limit: int | None = None,
    cursor: str | None = None,
    include_personal: bool = False,
) -> CameraListing:
    """Search cameras, audit the search (and any personal data shown), return read schemas."""
    if not actor.can(Permission.CAMERA_READ):
        raise PermissionDenied(f"role {actor.role} may not list cameras")
    page = search_cameras(session, query=query, actor=actor, limit=limit, cursor=cursor)
    layer = AreaLayer.load(session, utcnow().date())
    items = [
        to_read(
            m.camera,
            actor=actor,
            include_personal=include_personal,
            ward_name=layer.name_of(m.camera.ward_code),
            distance_m=m.distance_m,
        )
        for m in page.items
    ]
    details: dict[str, Any] = {"filter": _filter_summary(query), "results": len(items)}
    revealed = [r.code for r in items if reveals_personal(r)]
    append_audit(session, actor=actor, action="camera.search", details=details)
    if revealed:
        append_audit(
            session,
            actor=actor,
            action="camera.personal_data.read",
            target=f"{len(revealed)} cameras",
            details={"cameras": revealed},
        )
    return CameraListing(items, page.next_cursor)


def show_camera(session: Session, *, code: str, actor: Actor) -> CameraRead:
    """Return one camera; reading its owner's personal data is audited."""
    if not actor.can(Permission.CAMERA_READ):
        raise PermissionDenied(f"role {actor.role} may not read cameras")
    camera = get_camera(session, code=code, actor=actor)
    layer = AreaLayer.load(session, utcnow().date())
    read = to_read(camera, actor=actor, ward_name=layer.name_of(camera.ward_code))
    # Every view is audited; one that shows owners' personal data says so in its action.
    action = "camera.personal_data.read" if reveals_personal(read) else "camera.view"
    append_audit(session, actor=actor, action=action, target=code)
    return read


def camera_history(session: Session, *, code: str, actor: Actor) -> Sequence[dict[str, Any]]:
    """Return a camera's change records, oldest first; personal data masked unless allowed."""
    if not actor.can(Permission.HISTORY_READ):
        raise PermissionDenied(f"role {actor.role} may not read change history")
    get_camera(session, code=code, actor=actor)
    records: Sequence[ChangeRecord] = changes_of(session, entity="camera", key=code)
    personal = actor.can(Permission.OWNER_READ)
    out = []
    for rec in records:
        before = rec.before if personal else mask_personal(rec.before)
        after = rec.after if personal else mask_personal(rec.after)
        out.append(
            {
                "at": rec.at,
                "actor": rec.actor,
                "role": rec.role,
                "request_id": rec.request_id,
                "source": rec.source,
                "action": rec.action,
                "before": before,
                "after": after,
            }
        )
    revealed = personal and any(
        v
        for rec in records
        for snap in (rec.before, rec.after)
        if snap
        for k, v in snap.items()
        if k.startswith("owner_") and k != "owner_kind"
    )
    action = "camera.personal_data.read" if revealed else "camera.history.view"
    append_audit(session, actor=actor, action=action, target=code, details={"via": "history"})
    return out
