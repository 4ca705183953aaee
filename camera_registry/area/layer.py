"""An in-memory layer of the areas valid on one day, for point-in-polygon lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from camera_registry.area.model import AreaLevel
from camera_registry.area.repository import AreaRepository
from camera_registry.geo.polygon import from_geojson_text


@dataclass(frozen=True)
class LayerArea:
    """One area of the layer."""

    code: str
    name: str
    shape: BaseGeometry


class AreaLayer:
    """The wards valid on a day, indexed for fast point lookups."""

    def __init__(self, areas: list[LayerArea]) -> None:
        self.areas = areas
        self.by_code = {a.code: a for a in areas}
        self._tree = STRtree([a.shape for a in areas]) if areas else None

    @classmethod
    def load(cls, session: Session, day: date, level: AreaLevel = AreaLevel.WARD) -> AreaLayer:
        """Load the areas of one level valid on a day."""
        rows = AreaRepository(session).valid_at(day, level)
        return cls([LayerArea(a.code, a.name, from_geojson_text(a.geometry_geojson)) for a in rows])

    def containing(self, lat: float, lon: float) -> LayerArea | None:
        """Return the area that contains the point (the smallest when several overlap)."""
        if self._tree is None:
            return None
        point = Point(lon, lat)
        hits = [self.areas[int(i)] for i in self._tree.query(point, predicate="intersects")]
        if not hits:
            return None
        return min(hits, key=lambda a: a.shape.area)

    def name_of(self, code: str | None) -> str | None:
        """Return the name of a code in this layer."""
        if code is None:
            return None
        area = self.by_code.get(code)
        return area.name if area else None
