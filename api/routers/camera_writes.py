"""Register, change, move along the lifecycle and retire cameras.

Every write answers with the camera as stored plus `warnings` (e.g. a ward code that does not
contain the position): the write succeeded, but someone should look. Updates need `If-Match`
with the camera's ETag (428 without it, 412 when someone changed the camera since).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import SessionDep, get_runtime, require
from api.problem import HttpProblem, problem_responses
from api.routers.cameras import API_CAMERAS, CodePath, etag_of
from api.runtime import Runtime
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.camera.model import Camera, CameraStatus
from camera_registry.camera.present import to_read
from camera_registry.camera.query import get_camera
from camera_registry.camera.schema import CameraCreate, CameraRead, CameraUpdate
from camera_registry.camera.write import create_camera, set_status, update_camera
from camera_registry.clock import utcnow

router = APIRouter(
    prefix="/cameras", tags=["cameras"], responses=problem_responses(400, 401, 403, 422)
)
Writer = Annotated[Actor, Depends(require(Permission.CAMERA_WRITE))]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
IfMatch = Annotated[
    str | None, Header(description='ETag from GET, e.g. "3"; `*` matches any version.')
]
_ETAG_RE = re.compile(r'(?:W/)?"(\d{1,9})"')


class CameraWritten(CameraRead):
    """The camera as stored after the write, and what the write warns about."""

    warnings: list[str] = Field(default_factory=list, examples=[[]])


class StatusChange(BaseModel):
    """A move along the lifecycle: planned → active ↔ maintenance → decommissioned."""

    status: CameraStatus
    reason: str | None = Field(None, max_length=500, examples=["pole replaced"])


def _expected_version(
    session: Session, code: str, actor: Actor, if_match: str | None, *, required: bool
) -> int | None:
    if if_match is None:
        if required:
            raise HttpProblem(428, f"send If-Match with the ETag from GET {API_CAMERAS}/{code}")
        return None
    if if_match.strip() == "*":
        return None
    versions = [int(v) for v in _ETAG_RE.findall(if_match)]
    if len(versions) == 1:
        return versions[0]
    current = get_camera(session, code=code, actor=actor).version
    # No usable tag at all can match nothing: -1 makes the service answer 412.
    return current if current in versions else -1


def _written(
    session: Session, camera: Camera, actor: Actor, response: Response, warnings: list[str]
) -> CameraWritten:
    layer = AreaLayer.load(session, utcnow().date())
    read = to_read(camera, actor=actor, ward_name=layer.name_of(camera.ward_code))
    response.headers["ETag"] = etag_of(camera.version)
    return CameraWritten(**read.model_dump(), warnings=warnings)


@router.post(
    "",
    status_code=201,
    response_model=CameraWritten,
    responses=problem_responses(409),
)
def create_camera_record(
    body: CameraCreate,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Writer,
) -> CameraWritten:
    """Register a new camera (status planned unless given)."""
    result = create_camera(session, data=body, actor=actor, ctx=runtime.write_context())
    response.headers["Location"] = f"{API_CAMERAS}/{result.camera.code}"
    return _written(session, result.camera, actor, response, result.warnings)


@router.patch(
    "/{code}",
    response_model=CameraWritten,
    responses=problem_responses(404, 412, 428),
)
def update_camera_record(
    code: CodePath,
    body: CameraUpdate,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Writer,
    if_match: IfMatch = None,
) -> CameraWritten:
    """Change the fields sent (null clears an optional field); needs If-Match."""
    version = _expected_version(session, code, actor, if_match, required=True)
    result = update_camera(
        session,
        code=code,
        data=body,
        actor=actor,
        ctx=runtime.write_context(),
        if_version=version,
    )
    return _written(session, result.camera, actor, response, result.warnings)


@router.post(
    "/{code}/status",
    response_model=CameraWritten,
    responses=problem_responses(404, 412),
)
def change_camera_status(
    code: CodePath,
    body: StatusChange,
    response: Response,
    session: SessionDep,
    actor: Writer,
    if_match: IfMatch = None,
) -> CameraWritten:
    """Move a camera along its lifecycle; If-Match is honoured when sent."""
    version = _expected_version(session, code, actor, if_match, required=False)
    camera = set_status(
        session, code=code, status=body.status, actor=actor, reason=body.reason, if_version=version
    )
    return _written(session, camera, actor, response, [])


@router.delete(
    "/{code}",
    response_model=CameraWritten,
    responses=problem_responses(404, 412),
)
def retire_camera(
    code: CodePath,
    response: Response,
    session: SessionDep,
    actor: Writer,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    if_match: IfMatch = None,
) -> CameraWritten:
    """Retire a camera (status decommissioned); it stays in the registry and searchable."""
    version = _expected_version(session, code, actor, if_match, required=False)
    camera = set_status(
        session,
        code=code,
        status=CameraStatus.DECOMMISSIONED,
        actor=actor,
        reason=reason,
        if_version=version,
    )
    return _written(session, camera, actor, response, [])
