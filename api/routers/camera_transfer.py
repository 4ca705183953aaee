"""Bulk import (all or nothing, with a dry run) and export of cameras: CSV, XLSX, GeoJSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from api.deps import SessionDep, Upload, get_runtime, require, upload_body_doc, upload_of
from api.problem import problem_responses
from api.routers.camera_filter import camera_filter, unknown_ward
from api.runtime import Runtime
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.camera.filter import CameraFilter
from camera_registry.clock import utcnow
from camera_registry.errors import AreaNotFound
from camera_registry.transfer.service import (
    ImportReport,
    TransferFormat,
    detect_format,
    export_cameras,
    import_cameras,
)

router = APIRouter(prefix="/cameras", tags=["cameras"], responses=problem_responses(401, 403, 422))
MEDIA_TYPES = {
    TransferFormat.CSV: "text/csv; charset=utf-8",
    TransferFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    TransferFormat.GEOJSON: "application/geo+json",
}
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment.",
        "content": {
            MEDIA_TYPES[TransferFormat.CSV]: {"schema": {"type": "string"}},
            MEDIA_TYPES[TransferFormat.XLSX]: {"schema": {"type": "string", "format": "binary"}},
            MEDIA_TYPES[TransferFormat.GEOJSON]: {"schema": {"type": "object"}},
        },
    }
}


@router.get("/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_camera_file(
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.CAMERA_READ))],
    query: Annotated[CameraFilter, Depends(camera_filter)],
    fmt: Annotated[TransferFormat, Query(alias="format")] = TransferFormat.CSV,
) -> Response:
    """Export the cameras matching the filters as a file that import reads back."""
    try:
        content = export_cameras(session, query=query, actor=actor, fmt=fmt)
    except AreaNotFound as exc:
        raise unknown_ward(exc) from exc
    name = f"camreg-cameras-{utcnow():%Y%m%d}.{fmt.value}"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/import",
    response_model=ImportReport,
    responses=problem_responses(400, 413),
    openapi_extra=upload_body_doc("A .csv, .xlsx or .geojson file of cameras."),
)
def import_camera_file(
    session: SessionDep,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    upload: Annotated[Upload, Depends(upload_of(Permission.CAMERA_WRITE))],
    dry_run: Annotated[bool, Query(description="Check and report, write nothing.")] = False,
    fmt: Annotated[
        TransferFormat | None, Query(alias="format", description="Default: from the file name.")
    ] = None,
) -> ImportReport:
    """Upsert cameras by code from a file, all or nothing; the report lists every row at fault."""
    return import_cameras(
        session,
        content=upload.content,
        fmt=fmt or detect_format(upload.filename),
        actor=upload.actor,
        ctx=runtime.write_context(),
        dry_run=dry_run,
    )
