"""Wards and other areas with validity dates; GeoJSON outlines for the map; area import."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep, Upload, require, upload_body_doc, upload_of
from api.problem import problem_responses
from api.routers.camera_filter import GEOJSON_MEDIA_TYPE, GEOJSON_SCHEMA, OutputFormat
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.area.model import AreaLevel
from camera_registry.area.schema import AreaImportReport, AreaRead
from camera_registry.area.service import import_areas, list_areas, read_area
from camera_registry.camera.schema import CODE_PATTERN
from camera_registry.clock import utcnow
from camera_registry.geo.polygon import to_geojson

router = APIRouter(tags=["areas"], responses=problem_responses(401, 403, 422))
Reader = Annotated[Actor, Depends(require(Permission.AREA_READ))]
AtQuery = Annotated[date | None, Query(description="Day the areas must be valid on.")]
GEOJSON_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Areas, or a GeoJSON FeatureCollection of their outlines.",
        "content": {GEOJSON_MEDIA_TYPE: {"schema": GEOJSON_SCHEMA}},
    }
}


def _outlines(session: Session, at: date | None, level: AreaLevel | None) -> JSONResponse:
    day = at or utcnow().date()
    layer = AreaLayer.load(session, day, level or AreaLevel.WARD)
    records = {a.code: a for a in list_areas(session, on=day, level=level or AreaLevel.WARD)}
    features = [
        {
            "type": "Feature",
            "id": area.code,
            "geometry": to_geojson(area.shape),
            "properties": records[area.code].model_dump(mode="json", exclude={"geometry"}),
        }
        for area in layer.areas
    ]
    body = {"type": "FeatureCollection", "features": features, "valid_on": day.isoformat()}
    return JSONResponse(body, media_type=GEOJSON_MEDIA_TYPE)


@router.get("/areas", response_model=list[AreaRead], responses=GEOJSON_RESPONSES)
def list_area_records(
    session: SessionDep,
    actor: Reader,
    at: AtQuery = None,
    level: Annotated[AreaLevel | None, Query(description="Only this level.")] = None,
    output: Annotated[OutputFormat, Query(alias="format")] = "json",
) -> list[AreaRead] | JSONResponse:
    """List areas valid on a day (every period without `at`); `format=geojson` for outlines."""
    if output == "geojson":
        return _outlines(session, at, level)
    return list_areas(session, on=at, level=level)


@router.get(
    "/areas.geojson",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON_MEDIA_TYPE: {"schema": GEOJSON_SCHEMA}}}},
)
def read_area_outlines(
    session: SessionDep,
    actor: Reader,
    at: AtQuery = None,
    level: Annotated[AreaLevel | None, Query(description="Default: wards.")] = None,
) -> JSONResponse:
    """Return the outlines valid on a day (default today) as a GeoJSON FeatureCollection."""
    return _outlines(session, at, level)


@router.get("/areas/{code}", response_model=AreaRead, responses=problem_responses(404))
def read_area_record(
    code: Annotated[str, Path(pattern=CODE_PATTERN, examples=["26506"])],
    session: SessionDep,
    actor: Reader,
    at: AtQuery = None,
) -> AreaRead:
    """Return one area with its outline (GeoJSON, lon/lat) and its successions."""
    return read_area(session, code=code, on=at)


@router.post(
    "/areas/import",
    response_model=AreaImportReport,
    responses=problem_responses(400, 413),
    openapi_extra=upload_body_doc("A GeoJSON FeatureCollection of areas."),
)
def import_area_file(
    session: SessionDep,
    upload: Annotated[Upload, Depends(upload_of(Permission.AREA_WRITE))],
    dry_run: Annotated[bool, Query(description="Check and report, write nothing.")] = False,
) -> AreaImportReport:
    """Upsert areas by code and start date from GeoJSON, all or nothing."""
    return import_areas(session, document=upload.content, actor=upload.actor, dry_run=dry_run)
