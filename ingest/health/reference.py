"""A camera's reference picture: the snapshot a technician accepted as the right view.

Picture checks compare frames against it (tampered, moved). Setting it copies a snapshot to
`<data_dir>/health/references/<code>.jpg`, so pruning old checks never loses it.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.camera.model import Camera
from camera_registry.camera.query import get_camera
from camera_registry.changelog.service import record_change
from camera_registry.clock import utcnow
from camera_registry.errors import FieldProblem, InvalidInput, NotFound
from ingest.health.model import CameraHealth, HealthCheck
from ingest.health.reading import check_with_camera, require_health, stored_file
from ingest.health.schema import ReferenceRead
from ingest.health.vocabulary import HealthState

REFERENCE_DIR = Path("health") / "references"


def reference_path(code: str) -> str:
    """Return where a camera's reference picture is kept, relative to the data folder."""
    return (REFERENCE_DIR / f"{code}.jpg").as_posix()


def _snapshot(row: CameraHealth | None) -> dict[str, Any]:
    return {
        "reference_path": row.reference_path if row else None,
        "reference_set_at": row.reference_set_at.isoformat()
        if row and row.reference_set_at
        else None,
        "reference_set_by": row.reference_set_by if row else None,
    }


def _source_check(
    session: Session, camera: Camera, check_id: int | None, actor: Actor
) -> HealthCheck:
    if check_id is not None:
        check, owner = check_with_camera(session, check_id=check_id, actor=actor)
        if owner.id != camera.id:
            message = f"check {check_id} belongs to camera {owner.code}, not {camera.code}"
            raise InvalidInput(message, problems=[FieldProblem("check_id", message)])
        if not check.snapshot_path:
            message = f"check {check_id} has no snapshot; pick a picture check"
            raise InvalidInput(message, problems=[FieldProblem("check_id", message)])
        return check
    latest = session.scalars(
        select(HealthCheck)
        .where(HealthCheck.camera_id == camera.id, HealthCheck.snapshot_path.is_not(None))
        .order_by(HealthCheck.checked_at.desc(), HealthCheck.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        raise NotFound(
            f"camera {camera.code} has no snapshot yet; run `camreg health check --camera"
            f" {camera.code}` first"
        )
    return latest


def _copy(source: Path, target: Path) -> None:
    """Copy atomically: a picture check reading the reference never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".ref-", suffix=".jpg")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(source.read_bytes())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(code: str, row: CameraHealth | None, check_id: int | None = None) -> ReferenceRead:
    return ReferenceRead(
        camera=code,
        has_reference=bool(row and row.reference_path),
        path=row.reference_path if row else None,
        check_id=check_id,
        set_at=row.reference_set_at if row else None,
        set_by=row.reference_set_by if row else None,
    )


def set_reference(
    session: Session,
    *,
    code: str,
    actor: Actor,
    data_dir: Path,
    check_id: int | None = None,
    now: datetime | None = None,
) -> ReferenceRead:
    """Make a snapshot (default: the latest) the camera's reference picture; change-logged."""
    require_health(actor, Permission.HEALTH_MANAGE, "set reference pictures")
    now = now or utcnow()
    camera = get_camera(session, code=code, actor=actor)
    check = _source_check(session, camera, check_id, actor)
    source = stored_file(data_dir, check.snapshot_path or "")
    if not source.is_file():
        raise NotFound(f"the snapshot of check {check.id} is missing from storage; pick another")
    row = session.get(CameraHealth, camera.id, with_for_update=True)
    before = _snapshot(row)
    if row is None:
        # A snapshot exists, so checks ran; the row is made here only if storage lost it.
        row = CameraHealth(
            camera_id=camera.id, state=HealthState.UNKNOWN, since=now, updated_at=now
        )
        session.add(row)
    relative = reference_path(camera.code)
    _copy(source, stored_file(data_dir, relative))
    row.reference_path = relative
    row.reference_set_at = now
    row.reference_set_by = actor.name
    row.updated_at = now
    session.flush()
    record_change(
        session,
        actor=actor,
        entity="camera_health",
        key=camera.code,
        action="health.reference.set",
        before=before,
        after={**_snapshot(row), "check_id": check.id},
    )
    return _read(camera.code, row, check.id)


def clear_reference(
    session: Session, *, code: str, actor: Actor, data_dir: Path, now: datetime | None = None
) -> ReferenceRead:
    """Remove a camera's reference picture (picture checks then skip tamper and move tests)."""
    require_health(actor, Permission.HEALTH_MANAGE, "clear reference pictures")
    camera = get_camera(session, code=code, actor=actor)
    row = session.get(CameraHealth, camera.id, with_for_update=True)
    if row is None or not row.reference_path:
        raise NotFound(f"camera {code} has no reference picture")
    before = _snapshot(row)
    stored_file(data_dir, row.reference_path).unlink(missing_ok=True)
    row.reference_path = None
    row.reference_set_at = None
    row.reference_set_by = None
    row.updated_at = now or utcnow()
    session.flush()
    record_change(
        session,
        actor=actor,
        entity="camera_health",
        key=camera.code,
        action="health.reference.clear",
        before=before,
        after=_snapshot(row),
    )
    return _read(camera.code, row)


def reference_file(session: Session, *, code: str, actor: Actor, data_dir: Path) -> Path:
    """Return the file of a camera's reference picture."""
    require_health(actor, Permission.HEALTH_READ, "read camera health")
    camera = get_camera(session, code=code, actor=actor)
    row = session.get(CameraHealth, camera.id)
    if row is None or not row.reference_path:
        raise NotFound(f"camera {code} has no reference picture")
    path = stored_file(data_dir, row.reference_path)
    if not path.is_file():
        raise NotFound(f"the reference picture of camera {code} is missing from storage")
    return path
