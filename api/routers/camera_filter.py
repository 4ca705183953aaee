"""Camera filters from query parameters or a JSON body, and cameras as GeoJSON."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal, Self

from fastapi import Query
from pydantic import Field, ValidationError, field_validator, model_validator

from camera_registry.camera.filter import CameraFilter, PlaceMatch
from camera_registry.camera.model import CameraStatus, Funding
from camera_registry.camera.schema import CameraRead
from camera_registry.errors import AreaNotFound, FieldProblem, InvalidArea, InvalidInput
from camera_registry.geo.polygon import parse_polygon

# Query parameter names where they differ from CameraFilter's field names.
_PARAM_OF_FIELD = {"radius_m": "radius", "tags": "tag", "codes": "code"}
GEOJSON_MEDIA_TYPE = "application/geo+json"
GEOJSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string"},
                    "geometry": {"type": "object"},
                    "properties": {"type": "object"},
                },
            },
        },
        "next_cursor": {"type": ["string", "null"]},
    },
}
OutputFormat = Literal["json", "geojson"]
GeometryKind = Literal["point", "fov"]


def check_lat_lon(lat: float, lon: float, name: str) -> None:
    """Raise ValueError unless a latitude/longitude pair is finite and on the globe."""
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"{name}: latitude -90..90 and longitude -180..180, latitude first")


def _pair(value: str, name: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        raise ValueError(f"{name}: give LAT,LON (two numbers, latitude first)") from None
    check_lat_lon(lat, lon, name)
    return lat, lon


def _bbox(value: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        raise ValueError("bbox: give W,S,E,N (four numbers)") from None
    check_lat_lon(south, west, "bbox")
    check_lat_lon(north, east, "bbox")
    return west, south, east, north


def build_filter(data: dict[str, Any], *, where: str) -> CameraFilter:
    """Return a CameraFilter, turning its validation errors into field problems."""
    try:
        return CameraFilter(**data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            name = _PARAM_OF_FIELD.get(loc[0], loc[0]) if loc else ""
            field = ".".join([where, name, *loc[1:]]) if name else where
            problems.append(FieldProblem(field, error["msg"].removeprefix("Value error, ")))
        raise InvalidInput(
            "filter rejected: " + "; ".join(p.describe() for p in problems), problems=problems
        ) from exc


def unknown_ward(exc: AreaNotFound) -> InvalidInput:
    """Return the error for a filter naming a ward that does not exist (a bad input, not 404)."""
    return InvalidInput(exc.message, problems=[FieldProblem("ward", exc.message)])


def camera_filter(
    ward: Annotated[str | None, Query(max_length=32, description="Ward code.")] = None,
    at: Annotated[date | None, Query(description="Day the ward layer is taken from.")] = None,
    bbox: Annotated[
        str | None, Query(description="W,S,E,N in degrees.", examples=["107.07,10.34,107.10,10.37"])
    ] = None,
    near: Annotated[
        str | None, Query(description="LAT,LON; needs radius.", examples=["10.3461,107.0843"])
    ] = None,
    radius: Annotated[float | None, Query(gt=0, le=100_000, description="Metres.")] = None,
    sees: Annotated[str | None, Query(description="LAT,LON the field of view must cover.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Free text, accents optional.")] = (
        None
    ),
    status: Annotated[list[CameraStatus] | None, Query(description="Repeatable.")] = None,
    funding: Annotated[list[Funding] | None, Query(description="Repeatable.")] = None,
    consent: Annotated[bool | None, Query(description="Owner's consent.")] = None,
    tag: Annotated[list[str] | None, Query(description="Repeatable; all must match.")] = None,
    code: Annotated[list[str] | None, Query(description="Only these codes (repeatable).")] = None,
    match: Annotated[PlaceMatch, Query(description="Match places by position or view.")] = (
        PlaceMatch.POSITION
    ),
) -> CameraFilter:
    """Return the filter described by the query parameters."""
    data: dict[str, Any] = {
        "ward": ward,
        "at": at,
        "q": q,
        "radius_m": radius,
        "status": status or [],
        "funding": funding or [],
        "consent": consent,
        "tags": tag or [],
        "codes": code or [],
        "match": match,
    }
    data.update(_places(near=near, sees=sees, bbox=bbox))
    return build_filter(data, where="query")


def _places(*, near: str | None, sees: str | None, bbox: str | None) -> dict[str, Any]:
    """Parse the coordinate parameters, reporting every malformed one."""
    data: dict[str, Any] = {}
    problems = []
    for name, raw in (("near", near), ("sees", sees), ("bbox", bbox)):
        if raw is None:
            continue
        try:
            data[name] = _bbox(raw) if name == "bbox" else _pair(raw, name)
        except ValueError as exc:
            problems.append(FieldProblem(f"query.{name}", str(exc)))
    if problems:
        raise InvalidInput(
            "filter rejected: " + "; ".join(p.describe() for p in problems), problems=problems
        )
    return data


class CameraSearch(CameraFilter):
    """A search with a polygon (GeoJSON, lon/lat) and any other filter; paged like GET."""

    limit: int | None = Field(None, ge=1, description="Page size (default 100).")
    cursor: str | None = Field(None, max_length=2000, description="next_cursor of the last page.")
    include_personal: bool = Field(False, description="Owners' personal data, where allowed.")

    @field_validator("area")
    @classmethod
    def _polygon(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            parse_polygon(value, what="area")
        except InvalidArea as exc:
            raise ValueError(exc.message) from exc
        except Exception as exc:
            # shapely raises assorted errors on malformed coordinate arrays.
            raise ValueError("area has malformed coordinates") from exc
        return value

    @model_validator(mode="after")
    def _coordinates(self) -> Self:
        for name, pair in (("near", self.near), ("sees", self.sees)):
            if pair is not None:
                check_lat_lon(pair[0], pair[1], name)
        if self.bbox is not None:
            west, south, east, north = self.bbox
            check_lat_lon(south, west, "bbox")
            check_lat_lon(north, east, "bbox")
        return self

    def to_filter(self) -> CameraFilter:
        """Return the filter part."""
        return CameraFilter(
            **self.model_dump(exclude={"limit", "cursor", "include_personal"}, exclude_unset=True)
        )


def cameras_geojson(
    items: list[CameraRead], geometry: GeometryKind, next_cursor: str | None
) -> dict[str, Any]:
    """Return cameras as a FeatureCollection of points, or of field-of-view polygons."""
    features = []
    for cam in items:
        if geometry == "fov":
            if cam.fov_polygon is None:
                continue  # a camera without a known view has no polygon to draw
            shape = cam.fov_polygon
        else:
            shape = {"type": "Point", "coordinates": [cam.lon, cam.lat]}
        properties = cam.model_dump(mode="json", exclude={"fov_polygon"})
        features.append(
            {"type": "Feature", "id": cam.code, "geometry": shape, "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features, "next_cursor": next_cursor}
