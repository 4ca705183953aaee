"""Find cameras: SQL prefilter (index-friendly), then exact geometry with shapely."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from shapely import prepared
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.area.service import area_shape, find_area
from camera_registry.camera.filter import CameraFilter, PlaceMatch
from camera_registry.camera.model import Camera
from camera_registry.camera.repository import CameraRepository, SqlCameraQuery
from camera_registry.errors import CameraNotFound, InvalidInput
from camera_registry.geo.distance import haversine_m, radius_box
from camera_registry.geo.polygon import from_geojson_text, parse_polygon
from camera_registry.text import fold

_BATCH = 2000


@dataclass(frozen=True)
class CameraMatch:
    """A camera found by a query, with its distance for radius queries."""

    camera: Camera
    distance_m: float | None = None


@dataclass
class CameraPage:
    """One page of matches and the cursor of the next page (None at the end)."""

    items: list[CameraMatch]
    next_cursor: str | None


@dataclass
class _Exact:
    place: BaseGeometry | None
    near: tuple[float, float, float] | None
    sees: Point | None
    match: PlaceMatch

    def distance(self, cam: Camera) -> float | None:
        if self.near is None:
            return None
        lat, lon, _ = self.near
        return haversine_m(lat, lon, cam.lat, cam.lon)

    def accepts(self, cam: Camera, distance: float | None) -> bool:
        if self.near is not None and distance is not None and distance > self.near[2]:
            return False
        footprint: BaseGeometry | None = None
        if self.place is not None or self.sees is not None:
            view = from_geojson_text(cam.fov_geojson) if cam.fov_geojson else None
            position = Point(cam.lon, cam.lat)
            footprint = view if (self.match == PlaceMatch.VIEW and view is not None) else position
            if self.sees is not None and (view is None or not view.covers(self.sees)):
                return False
        if self.place is not None and footprint is not None:
            return bool(prepared.prep(self.place).intersects(footprint))
        return True


def _resolve(session: Session, query: CameraFilter, actor: Actor) -> tuple[SqlCameraQuery, _Exact]:
    sql = SqlCameraQuery(
        codes=list(query.codes),
        text_terms=fold(query.q).split() if query.q else [],
        status=list(query.status),
        funding=list(query.funding),
        consent=query.consent,
        tags=list(query.tags),
        scope=actor.scope,
    )
    place: BaseGeometry | None = None
    if query.area is not None:
        place = parse_polygon(query.area, what="area")
    if query.ward:
        area = find_area(session, code=query.ward, on=query.at)
        today_ward = query.at is None and area.valid_to is None
        if today_ward and query.match == PlaceMatch.POSITION:
            sql.ward_codes = [area.code]
        else:
            shape = area_shape(area)
            place = shape if place is None else place.intersection(shape)
    if query.bbox is not None:
        if query.match == PlaceMatch.POSITION:
            sql.position_box = query.bbox
        else:
            bbox_shape = box(*query.bbox)
            place = bbox_shape if place is None else place.intersection(bbox_shape)
    if place is not None:
        if place.is_empty:
            raise InvalidInput("the ward, area and bbox given do not overlap")
        target = "view_box" if query.match == PlaceMatch.VIEW else "position_box"
        setattr(sql, target, _intersect_box(getattr(sql, target), place.bounds))
    near = None
    if query.near is not None and query.radius_m is not None:
        lat, lon = query.near
        near = (lat, lon, query.radius_m)
        sql.position_box = _intersect_box(sql.position_box, radius_box(lat, lon, query.radius_m))
    sees = None
    if query.sees is not None:
        lat, lon = query.sees
        sees = Point(lon, lat)
        sql.view_box = _intersect_box(sql.view_box, (lon, lat, lon, lat))
    return sql, _Exact(place=place, near=near, sees=sees, match=query.match)


def _intersect_box(
    current: tuple[float, float, float, float] | None, new: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    if current is None:
        return (float(new[0]), float(new[1]), float(new[2]), float(new[3]))
    return (
        max(current[0], new[0]),
        max(current[1], new[1]),
        min(current[2], new[2]),
        min(current[3], new[3]),
    )


def _encode_cursor(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, object]:
    """Return the content of a cursor; raise InvalidInput for a damaged one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError
        return data
    except ValueError as exc:
        raise InvalidInput("cursor is damaged; start again without one") from exc


def iter_cameras(
    session: Session, *, query: CameraFilter, actor: Actor, after_code: str | None = None
) -> Iterator[CameraMatch]:
    """Yield every matching camera, ordered by code (or by distance with `near`)."""
    sql, exact = _resolve(session, query, actor)
    repo = CameraRepository(session)
    if exact.near is not None:
        matches = []
        for cam in repo.find(sql):
            d = exact.distance(cam)
            if exact.accepts(cam, d):
                matches.append(CameraMatch(cam, d))
        matches.sort(key=lambda m: (m.distance_m or 0.0, m.camera.code))
        yield from matches
        return
    after = after_code
    while True:
        batch = repo.find(sql, after_code=after, limit=_BATCH)
        for cam in batch:
            if exact.accepts(cam, None):
                yield CameraMatch(cam)
        if len(batch) < _BATCH:
            return
        after = batch[-1].code


def search_cameras(
    session: Session,
    *,
    query: CameraFilter,
    actor: Actor,
    limit: int | None = None,
    cursor: str | None = None,
) -> CameraPage:
    """Return one page of matching cameras (all of them when `limit` is None)."""
    position = decode_cursor(cursor) if cursor else {}
    after_value = position.get("after")
    after_code = after_value if isinstance(after_value, str) else None
    skip = int(position.get("skip", 0)) if query.near is not None else 0  # type: ignore[call-overload]
    items: list[CameraMatch] = []
    source = iter_cameras(
        session, query=query, actor=actor, after_code=None if query.near else after_code
    )
    for index, match in enumerate(source):
        if index < skip:
            continue
        if limit is not None and len(items) == limit:
            if query.near is not None:
                return CameraPage(items, _encode_cursor({"skip": skip + limit}))
            return CameraPage(items, _encode_cursor({"after": items[-1].camera.code}))
        items.append(match)
    return CameraPage(items, None)


def get_camera(session: Session, *, code: str, actor: Actor) -> Camera:
    """Return one camera the actor may see."""
    camera = CameraRepository(session).get(code)
    if camera is None or not actor.scope.allows(code, camera.ward_code):
        raise CameraNotFound(f"no camera {code}; `camreg cameras list --q` helps find codes")
    return camera


def ward_on(session: Session, camera: Camera, day: date) -> str | None:
    """Return the code of the ward that contained the camera's position on a day."""
    return (
        hit.code
        if (hit := AreaLayer.load(session, day).containing(camera.lat, camera.lon))
        else None
    )
