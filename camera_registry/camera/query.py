"""Find cameras: SQL prefilter (index-friendly), then exact geometry with shapely."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

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


class _Located(Protocol):
    lat: float
    lon: float
    fov_geojson: str | None


@dataclass
class _Exact:
    place: BaseGeometry | None
    near: tuple[float, float, float] | None
    sees: Point | None
    match: PlaceMatch

    @property
    def needed(self) -> bool:
        return self.place is not None or self.near is not None or self.sees is not None

    def distance(self, cam: _Located) -> float | None:
        if self.near is None:
            return None
        lat, lon, _ = self.near
        return haversine_m(lat, lon, cam.lat, cam.lon)

    def accepts(self, cam: _Located, distance: float | None) -> bool:
        if self.near is not None and distance is not None and distance > self.near[2]:
            return False
        if self.place is None and self.sees is None:
            return True
        view = from_geojson_text(cam.fov_geojson) if cam.fov_geojson else None
        if self.sees is not None and (view is None or not view.covers(self.sees)):
            return False
        if self.place is None:
            return True
        position = Point(cam.lon, cam.lat)
        footprint = view if (self.match == PlaceMatch.VIEW and view is not None) else position
        return bool(self.place.intersects(footprint))


@dataclass(frozen=True)
class _Key:
    id: int
    code: str
    name: str
    distance_m: float | None


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


def _matching_keys(session: Session, sql: SqlCameraQuery, exact: _Exact) -> list[_Key]:
    """Test candidates exactly on light rows; load full rows only for what is returned."""
    keys = []
    with_view = exact.place is not None or exact.sees is not None
    for row in CameraRepository(session).find_located(sql, with_view=with_view):
        distance = exact.distance(row)
        if exact.accepts(row, distance):
            keys.append(_Key(row.id, row.code, row.name, distance))
    if exact.near is not None:
        keys.sort(key=lambda k: (k.distance_m or 0.0, k.code))
    return keys


# Bound on how far the SQL distance estimate may stray from the haversine distance, relative,
# for radii up to 100 km at Vietnam's latitudes (the cosine is taken at the centre only).
_ESTIMATE_SLACK = 0.01


def _nearest_keys(session: Session, sql: SqlCameraQuery, exact: _Exact, need: int) -> list[_Key]:
    """Return at least the `need` nearest matches in exact order, letting SQL rank candidates.

    SQL orders by an estimate; after fetching the first `fetch` rows, any row not fetched is at
    least estimate/(1+slack) away, so the exact ranking is final up to that distance.
    """
    assert exact.near is not None
    lat, lon, _ = exact.near
    with_view = exact.place is not None or exact.sees is not None
    fetch = max(need * 2, 64)
    while True:
        rows = CameraRepository(session).nearest_located(
            sql, lat=lat, lon=lon, with_view=with_view, limit=fetch
        )
        keys = []
        for row in rows:
            distance = exact.distance(row)
            if exact.accepts(row, distance):
                keys.append(_Key(row.id, row.code, row.name, distance))
        keys.sort(key=lambda k: (k.distance_m or 0.0, k.code))
        if len(rows) < fetch:
            return keys
        safe = math.sqrt(rows[-1].estimate) / (1 + _ESTIMATE_SLACK)
        if safe > exact.near[2]:
            return keys  # every row not fetched lies beyond the radius
        settled = [k for k in keys if (k.distance_m or 0.0) < safe]
        if len(settled) >= need:
            return settled
        fetch *= 4


def _load(session: Session, keys: list[_Key]) -> list[CameraMatch]:
    rows = CameraRepository(session).by_ids([k.id for k in keys])
    return [CameraMatch(rows[k.id], k.distance_m) for k in keys]


def iter_cameras(session: Session, *, query: CameraFilter, actor: Actor) -> Iterator[CameraMatch]:
    """Yield every matching camera, ordered by code (or by distance with `near`)."""
    sql, exact = _resolve(session, query, actor)
    if exact.needed:
        keys = _matching_keys(session, sql, exact)
        for start in range(0, len(keys), _BATCH):
            yield from _load(session, keys[start : start + _BATCH])
        return
    repo, after = CameraRepository(session), None
    while True:
        batch = repo.find(sql, after_code=after, limit=_BATCH)
        yield from (CameraMatch(cam) for cam in batch)
        if len(batch) < _BATCH:
            return
        after = batch[-1].code


@dataclass(frozen=True)
class CameraRef:
    """What a search over other tables needs of a matching camera: no full row."""

    id: int
    code: str
    name: str


def camera_refs(session: Session, *, query: CameraFilter, actor: Actor) -> list[CameraRef]:
    """Return id, code and name of every matching camera, by code, without loading full rows."""
    sql, exact = _resolve(session, query, actor)
    if exact.needed:
        keys = sorted(_matching_keys(session, sql, exact), key=lambda k: k.code)
        return [CameraRef(k.id, k.code, k.name) for k in keys]
    rows = CameraRepository(session).find_located(sql, with_view=False)
    return [CameraRef(r.id, r.code, r.name) for r in rows]


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
    after_value, skip_value = position.get("after"), position.get("skip", 0)
    after = after_value if isinstance(after_value, str) else None
    skip = skip_value if isinstance(skip_value, int) and skip_value >= 0 else 0
    sql, exact = _resolve(session, query, actor)
    if not exact.needed:
        rows = CameraRepository(session).find(
            sql, after_code=after, limit=None if limit is None else limit + 1
        )
        items = [CameraMatch(cam) for cam in rows[:limit]]
        more = limit is not None and len(rows) > limit
        return CameraPage(items, _encode_cursor({"after": items[-1].camera.code}) if more else None)
    if exact.near is not None and limit is not None:
        # One row more than the page tells whether another page follows.
        keys = _nearest_keys(session, sql, exact, skip + limit + 1)
    else:
        keys = _matching_keys(session, sql, exact)
    if exact.near is not None:
        start = skip
    else:
        start = (
            0
            if after is None
            else next((i for i, k in enumerate(keys) if k.code > after), len(keys))
        )
    end = len(keys) if limit is None else start + limit
    page = _load(session, keys[start:end])
    if end >= len(keys):
        return CameraPage(page, None)
    if exact.near is not None:
        return CameraPage(page, _encode_cursor({"skip": end}))
    return CameraPage(page, _encode_cursor({"after": page[-1].camera.code}))


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
