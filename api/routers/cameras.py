"""Find and read cameras: list with filters, polygon search, one camera, its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import API_PREFIX, SessionDep, SettingsDep, require
from api.pagination import PAGE_SIZE_HELP, Page, check_limit, set_next_link
from api.problem import problem_responses
from api.routers.camera_filter import (
    GEOJSON_MEDIA_TYPE,
    GEOJSON_SCHEMA,
    CameraSearch,
    GeometryKind,
    OutputFormat,
    camera_filter,
    cameras_geojson,
    unknown_ward,
)
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.reading import (
    CameraListing,
    camera_history,
    list_cameras,
    show_camera,
)
from camera_registry.camera.schema import CODE_PATTERN, CameraRead
from camera_registry.errors import AreaNotFound

router = APIRouter(
    prefix="/cameras", tags=["cameras"], responses=problem_responses(400, 401, 403, 422)
)
API_CAMERAS = f"{API_PREFIX}/cameras"
Reader = Annotated[Actor, Depends(require(Permission.CAMERA_READ))]
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, examples=["VT-0001"])]
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of cameras (JSON), or a GeoJSON FeatureCollection with"
        " `format=geojson`.",
        "content": {GEOJSON_MEDIA_TYPE: {"schema": GEOJSON_SCHEMA}},
        "headers": {"Link": {"description": 'URL of the next page, rel="next"'}},
    }
}


class ChangeEntry(BaseModel):
    """One change to a camera: who, when, from where, before and after."""

    at: datetime
    actor: str
    role: str
    request_id: str
    source: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def etag_of(version: int) -> str:
    """Return the ETag of a camera version."""
    return f'"{version}"'


def _listing(
    session: SessionDep,
    *,
    query: CameraFilter,
    actor: Actor,
    limit: int,
    cursor: str | None,
    include_personal: bool,
) -> CameraListing:
    try:
        return list_cameras(
            session,
            query=query,
            actor=actor,
            limit=limit,
            cursor=cursor,
            include_personal=include_personal,
        )
    except AreaNotFound as exc:
        raise unknown_ward(exc) from exc


def _answer(
    request: Request,
    response: Response,
    listing: CameraListing,
    output: OutputFormat,
    geometry: GeometryKind,
) -> Page[CameraRead] | JSONResponse:
    if output == "geojson":
        body = cameras_geojson(listing.items, geometry, listing.next_cursor)
        geo = JSONResponse(body, media_type=GEOJSON_MEDIA_TYPE)
        set_next_link(request, geo, listing.next_cursor)
        return geo
    set_next_link(request, response, listing.next_cursor)
    return Page[CameraRead](items=listing.items, next_cursor=listing.next_cursor)


@router.get("", response_model=Page[CameraRead], responses=LIST_RESPONSES)
def list_cameras_page(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    actor: Reader,
    query: Annotated[CameraFilter, Depends(camera_filter)],
    limit: Annotated[int | None, Query(ge=1, description=PAGE_SIZE_HELP)] = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    include_personal: Annotated[
        bool, Query(description="Owners' personal data, for roles that may see it.")
    ] = False,
    output: Annotated[OutputFormat, Query(alias="format")] = "json",
    geometry: Annotated[GeometryKind, Query(description="GeoJSON: points or views.")] = "point",
) -> Page[CameraRead] | JSONResponse:
    """List cameras matching every filter given (by code, or by distance with `near`)."""
    listing = _listing(
        session,
        query=query,
        actor=actor,
        limit=check_limit(limit, settings.max_page_size),
        cursor=cursor,
        include_personal=include_personal,
    )
    return _answer(request, response, listing, output, geometry)


@router.post("/search", response_model=Page[CameraRead], responses=LIST_RESPONSES)
def search_cameras(
    body: CameraSearch,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    actor: Reader,
    output: Annotated[OutputFormat, Query(alias="format")] = "json",
    geometry: Annotated[GeometryKind, Query(description="GeoJSON: points or views.")] = "point",
) -> Page[CameraRead] | JSONResponse:
    """Search cameras inside a drawn polygon (`area`, GeoJSON lon/lat) and other filters."""
    listing = _listing(
        session,
        query=body.to_filter(),
        actor=actor,
        limit=check_limit(body.limit, settings.max_page_size),
        cursor=body.cursor,
        include_personal=body.include_personal,
    )
    return _answer(request, response, listing, output, geometry)


@router.get(
    "/{code}",
    response_model=CameraRead,
    responses={**problem_responses(404), 200: {"headers": {"ETag": {"description": "Version"}}}},
)
def read_camera(
    code: CodePath, response: Response, session: SessionDep, actor: Reader
) -> CameraRead:
    """Return one camera; owners' data only for roles that may see it (and audited)."""
    camera = show_camera(session, code=code, actor=actor)
    response.headers["ETag"] = etag_of(camera.version)
    return camera


@router.get("/{code}/history", response_model=list[ChangeEntry], responses=problem_responses(404))
def list_camera_changes(
    code: CodePath,
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.HISTORY_READ))],
) -> list[ChangeEntry]:
    """Return every change to a camera, oldest first (owners' data masked unless allowed)."""
    return [ChangeEntry(**record) for record in camera_history(session, code=code, actor=actor)]
