"""Parse and validate GeoJSON polygons with shapely."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from shapely import geometry as sg
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from camera_registry.errors import InvalidArea

# Vietnam's territory with its islands lies well inside this box (lon/lat).
VIETNAM_BOX = (102.0, 8.0, 117.5, 23.5)


def inside_vietnam(lat: float, lon: float) -> bool:
    """Return True when a point lies inside the box around Vietnam."""
    west, south, east, north = VIETNAM_BOX
    return south <= lat <= north and west <= lon <= east


def parse_polygon(data: Any, *, what: str = "polygon") -> BaseGeometry:
    """Return a valid (Multi)Polygon from GeoJSON (geometry, Feature or JSON text)."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidArea(f"{what} is not JSON: {exc.msg} at position {exc.pos}") from exc
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise InvalidArea(f"{what}: give one polygon, not {len(features)} features")
        data = features[0].get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidArea(f"{what} must be a GeoJSON Polygon or MultiPolygon")
    try:
        shape = sg.shape(data)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise InvalidArea(f"{what} has malformed coordinates: {exc}") from exc
    return check_polygon(shape, what=what)


def check_polygon(shape: BaseGeometry, *, what: str = "polygon") -> BaseGeometry:
    """Return the shape when it is a valid, non-empty polygon in lon/lat inside Vietnam."""
    if shape.is_empty:
        raise InvalidArea(f"{what} is empty")
    if not shape.is_valid:
        raise InvalidArea(f"{what} is not valid ({explain_validity(shape)}); fix the ring")
    west, south, east, north = shape.bounds
    if not (inside_vietnam(south, west) and inside_vietnam(north, east)):
        raise InvalidArea(
            f"{what} lies outside Vietnam (bounds {west:.4f},{south:.4f},{east:.4f},{north:.4f});"
            " GeoJSON is lon/lat: are the coordinates swapped?"
        )
    return shape


def to_geojson(shape: BaseGeometry) -> dict[str, Any]:
    """Return the shape as a GeoJSON geometry dict."""
    return sg.mapping(shape)  # type: ignore[no-any-return]


@lru_cache(maxsize=8192)
def from_geojson_text(text: str) -> BaseGeometry:
    """Return a shape from stored GeoJSON text (already validated when stored).

    Cached by the text itself: spatial queries test the same fields of view again and again,
    and parsing dominates their cost; shapely geometries are immutable, so sharing is safe.
    """
    return sg.shape(json.loads(text))
