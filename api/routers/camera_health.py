"""Camera health over HTTP: current states, check history, snapshots, availability, references."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import API_PREFIX, SessionDep, SettingsDep, require
from api.pagination import PAGE_SIZE_HELP, check_limit, set_next_link
from api.problem import problem_responses
from api.routers.camera_filter import GEOJSON_MEDIA_TYPE, GEOJSON_SCHEMA, unknown_ward
from api.times import query_time
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.camera.model import CameraStatus
from camera_registry.camera.schema import CODE_PATTERN
from camera_registry.errors import AreaNotFound
from config import Settings
from ingest.health.availability import availability
from ingest.health.reading import (
    MAX_BATCH_CAMERAS,
    camera_detail,
    camera_intervals,
    camera_timelines,
    list_checks,
    list_states,
    snapshot_file,
)
from ingest.health.reference import clear_reference, reference_file, set_reference
from ingest.health.schema import (
    AvailabilityReport,
    CameraHealthDetail,
    CameraTimeline,
    CameraTimelines,
    CheckPage,
    CheckRead,
    HealthListing,
    ReferenceRead,
)
from ingest.health.vocabulary import CheckTier, HealthState, Reason

router = APIRouter(tags=["health"], responses=problem_responses(401, 403, 422))
HealthReader = Annotated[Actor, Depends(require(Permission.HEALTH_READ))]
HealthManager = Annotated[Actor, Depends(require(Permission.HEALTH_MANAGE))]
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, examples=["VT-0001"])]
TIME_HELP = "ISO 8601; without an offset it is read in the display time zone."
CameraCodes = Annotated[list[str] | None, Query(description="Camera code (repeatable).")]
Ward = Annotated[str | None, Query(max_length=32, description="Ward code.")]
Statuses = Annotated[
    list[CameraStatus] | None, Query(description="Registry status of the camera (repeatable).")
]
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Current states (JSON), or a GeoJSON FeatureCollection of points with"
        " `format=geojson` or `Accept: application/geo+json`.",
        "content": {GEOJSON_MEDIA_TYPE: {"schema": GEOJSON_SCHEMA}},
    }
}


class ReferenceRequest(BaseModel):
    """Which snapshot becomes the reference picture (default: the camera's latest)."""

    model_config = ConfigDict(extra="forbid")

    check_id: int | None = Field(
        None, ge=1, le=2**62, description="A picture check of this camera."
    )


def _maybe_query_time(value: datetime | None, settings: Settings, name: str) -> datetime | None:
    return None if value is None else query_time(value, settings, name)


def _snapshot_url(check_id: int) -> str:
    return f"{API_PREFIX}/health/snapshots/{check_id}"


def _linked(check: CheckRead) -> CheckRead:
    """Replace the stored snapshot path by its URL."""
    url = _snapshot_url(check.id) if check.snapshot else None
    return check.model_copy(update={"snapshot": url})


def health_geojson(listing: HealthListing) -> dict[str, Any]:
    """Return current states as a FeatureCollection of camera points (lon/lat), with counts."""
    features = [
        {
            "type": "Feature",
            "id": item.camera,
            "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
            "properties": item.model_dump(mode="json", exclude={"lat", "lon"}),
        }
        for item in listing.items
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "counts": {str(k): v for k, v in listing.counts.items()},
        "at": listing.at.isoformat(),
    }


@router.get("/health/cameras", response_model=HealthListing, responses=LIST_RESPONSES)
def list_camera_states(
    session: SessionDep,
    settings: SettingsDep,
    actor: HealthReader,
    state: Annotated[list[HealthState] | None, Query(description="State (repeatable).")] = None,
    reason: Annotated[
        list[Reason] | None, Query(description="Cameras with any of these reasons (repeatable).")
    ] = None,
    ward: Ward = None,
    camera: CameraCodes = None,
    status: Statuses = None,
    output: Annotated[Literal["json", "geojson"] | None, Query(alias="format")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> HealthListing | JSONResponse:
    """Return every camera's current state, problems first (the longest lasting first)."""
    try:
        listing = list_states(
            session,
            actor=actor,
            health=settings.health,
            codes=camera or [],
            ward=ward,
            status=status or [],
            states=state or [],
            reasons=reason or [],
        )
    except AreaNotFound as exc:
        raise unknown_ward(exc) from exc
    wants_geo = output == "geojson" or (
        output is None and GEOJSON_MEDIA_TYPE in (accept or "").lower()
    )
    if wants_geo:
        return JSONResponse(health_geojson(listing), media_type=GEOJSON_MEDIA_TYPE)
    return listing


@router.get(
    "/cameras/{code}/health",
    response_model=CameraHealthDetail,
    responses=problem_responses(404),
)
def read_camera_health(
    code: CodePath, session: SessionDep, settings: SettingsDep, actor: HealthReader
) -> CameraHealthDetail:
    """Return a camera's current state, its latest checks and its states over the last day."""
    detail = camera_detail(session, code=code, actor=actor, health=settings.health)
    return detail.model_copy(update={"checks": [_linked(c) for c in detail.checks]})


@router.get(
    "/cameras/{code}/health/checks",
    response_model=CheckPage,
    responses={
        **problem_responses(404),
        200: {"headers": {"Link": {"description": 'URL of the next page, rel="next"'}}},
    },
)
def read_camera_checks(
    request: Request,
    response: Response,
    code: CodePath,
    session: SessionDep,
    settings: SettingsDep,
    actor: HealthReader,
    tier: Annotated[CheckTier | None, Query(description="Only checks of this tier.")] = None,
    start: Annotated[datetime | None, Query(alias="from", description=TIME_HELP)] = None,
    to: Annotated[datetime | None, Query(description=TIME_HELP)] = None,
    limit: Annotated[int | None, Query(ge=1, description=PAGE_SIZE_HELP)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CheckPage:
    """Return a camera's fresh (not debounced) check results, newest first."""
    page = list_checks(
        session,
        code=code,
        actor=actor,
        limit=check_limit(limit, settings.max_page_size),
        tier=tier,
        start=_maybe_query_time(start, settings, "from"),
        end=_maybe_query_time(to, settings, "to"),
        cursor=cursor,
    )
    set_next_link(request, response, page.next_cursor)
    return page.model_copy(update={"items": [_linked(c) for c in page.items]})


@router.get(
    "/cameras/{code}/health/intervals",
    response_model=CameraTimeline,
    responses=problem_responses(404),
)
def read_camera_intervals(
    code: CodePath,
    session: SessionDep,
    settings: SettingsDep,
    actor: HealthReader,
    start: Annotated[datetime, Query(alias="from", description=TIME_HELP)],
    to: Annotated[datetime, Query(description=TIME_HELP)],
) -> CameraTimeline:
    """Return a camera's states within a window; time no record covers is `unknown`."""
    return camera_intervals(
        session,
        code=code,
        actor=actor,
        health=settings.health,
        start=query_time(start, settings, "from"),
        end=query_time(to, settings, "to"),
    )


@router.get(
    "/health/intervals",
    response_model=CameraTimelines,
    responses=problem_responses(404),
)
def read_intervals_of_cameras(
    session: SessionDep,
    settings: SettingsDep,
    actor: HealthReader,
    start: Annotated[datetime, Query(alias="from", description=TIME_HELP)],
    to: Annotated[datetime, Query(description=TIME_HELP)],
    camera: Annotated[
        list[str],
        Query(
            description=f"Camera code (repeatable, at most {MAX_BATCH_CAMERAS}).",
            examples=[["VT-0001", "VT-0002"]],
        ),
    ],
) -> CameraTimelines:
    """Return several cameras' states over one window (up to 31 days), in the order asked for."""
    return camera_timelines(
        session,
        codes=camera,
        actor=actor,
        health=settings.health,
        start=query_time(start, settings, "from"),
        end=query_time(to, settings, "to"),
    )


@router.get(
    "/health/snapshots/{check_id}",
    response_class=FileResponse,
    responses={
        **problem_responses(404),
        200: {"content": {"image/jpeg": {}}, "description": "A JPEG."},
    },
)
def read_snapshot(
    check_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    settings: SettingsDep,
    actor: HealthReader,
) -> FileResponse:
    """Return the snapshot a picture check kept (JPEG)."""
    path = snapshot_file(session, check_id=check_id, actor=actor, data_dir=settings.data_dir)
    return FileResponse(path, media_type="image/jpeg")


@router.get("/health/availability", response_model=AvailabilityReport)
def read_availability(
    session: SessionDep,
    settings: SettingsDep,
    actor: HealthReader,
    start: Annotated[datetime, Query(alias="from", description=TIME_HELP)],
    to: Annotated[datetime, Query(description=TIME_HELP)],
    ward: Ward = None,
    camera: CameraCodes = None,
    status: Statuses = None,
) -> AvailabilityReport:
    """Return time online, degraded, offline and unknown per camera, ward and city, with footage."""
    try:
        return availability(
            session,
            actor=actor,
            health=settings.health,
            start=query_time(start, settings, "from"),
            end=query_time(to, settings, "to"),
            codes=camera or [],
            ward=ward,
            status=status or [],
        )
    except AreaNotFound as exc:
        raise unknown_ward(exc) from exc


@router.get(
    "/cameras/{code}/health/reference",
    response_class=FileResponse,
    responses={
        **problem_responses(404),
        200: {"content": {"image/jpeg": {}}, "description": "A JPEG."},
    },
)
def read_reference(
    code: CodePath, session: SessionDep, settings: SettingsDep, actor: HealthReader
) -> FileResponse:
    """Return the camera's reference picture (JPEG)."""
    path = reference_file(session, code=code, actor=actor, data_dir=settings.data_dir)
    return FileResponse(path, media_type="image/jpeg")


@router.put(
    "/cameras/{code}/health/reference",
    response_model=ReferenceRead,
    responses=problem_responses(404),
)
def put_reference(
    code: CodePath,
    session: SessionDep,
    settings: SettingsDep,
    actor: HealthManager,
    body: ReferenceRequest | None = None,
) -> ReferenceRead:
    """Make a snapshot (default: the latest) the camera's reference picture."""
    return set_reference(
        session,
        code=code,
        actor=actor,
        data_dir=settings.data_dir,
        check_id=body.check_id if body else None,
    )


@router.delete(
    "/cameras/{code}/health/reference",
    response_model=ReferenceRead,
    responses=problem_responses(404),
)
def delete_reference(
    code: CodePath, session: SessionDep, settings: SettingsDep, actor: HealthManager
) -> ReferenceRead:
    """Remove the camera's reference picture (tamper and move checks stop until a new one)."""
    return clear_reference(session, code=code, actor=actor, data_dir=settings.data_dir)
