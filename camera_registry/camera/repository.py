"""SQL for cameras: prefilters by index-friendly conditions; exact geometry is done in Python."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Row, Select, and_, func, null, or_, select
from sqlalchemy.orm import Session

from camera_registry.actor import Scope
from camera_registry.camera.model import Camera, CameraStatus, CameraTag, Funding
from camera_registry.geo.distance import EARTH_RADIUS_M


@dataclass
class SqlCameraQuery:
    """The part of a camera filter that SQL answers."""

    codes: list[str] = field(default_factory=list)
    ward_codes: list[str] = field(default_factory=list)
    position_box: tuple[float, float, float, float] | None = None
    view_box: tuple[float, float, float, float] | None = None
    text_terms: list[str] = field(default_factory=list)
    status: list[CameraStatus] = field(default_factory=list)
    funding: list[Funding] = field(default_factory=list)
    consent: bool | None = None
    tags: list[str] = field(default_factory=list)
    scope: Scope = field(default_factory=Scope)


class CameraRepository:
    """Reads and writes cameras."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str) -> Camera | None:
        """Return the camera with this code."""
        return self.session.scalars(select(Camera).where(Camera.code == code)).first()

    def get_many(self, codes: Sequence[str]) -> dict[str, Camera]:
        """Return cameras by code for the given codes."""
        found: dict[str, Camera] = {}
        for start in range(0, len(codes), 500):
            chunk = list(codes[start : start + 500])
            for cam in self.session.scalars(select(Camera).where(Camera.code.in_(chunk))):
                found[cam.code] = cam
        return found

    def add(self, camera: Camera) -> None:
        """Add a new camera to the session."""
        self.session.add(camera)

    def _where(self, query: SqlCameraQuery) -> Select[Camera]:
        stmt = select(Camera)
        if query.codes:
            stmt = stmt.where(Camera.code.in_(query.codes))
        if query.ward_codes:
            stmt = stmt.where(Camera.ward_code.in_(query.ward_codes))
        if query.position_box:
            west, south, east, north = query.position_box
            stmt = stmt.where(Camera.lon.between(west, east), Camera.lat.between(south, north))
        if query.view_box:
            west, south, east, north = query.view_box
            stmt = stmt.where(
                Camera.min_lon <= east,
                Camera.max_lon >= west,
                Camera.min_lat <= north,
                Camera.max_lat >= south,
            )
        for term in query.text_terms:
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(Camera.search_text.like(f"%{escaped}%", escape="\\"))
        if query.status:
            stmt = stmt.where(Camera.status.in_(query.status))
        if query.funding:
            stmt = stmt.where(Camera.funding.in_(query.funding))
        if query.consent is not None:
            stmt = stmt.where(Camera.consent.is_(query.consent))
        for tag in query.tags:
            stmt = stmt.where(
                select(CameraTag.camera_id)
                .where(and_(CameraTag.camera_id == Camera.id, CameraTag.tag == tag))
                .exists()
            )
        if not query.scope.unrestricted:
            stmt = stmt.where(
                or_(
                    Camera.code.in_(sorted(query.scope.camera_codes)),
                    Camera.ward_code.in_(sorted(query.scope.ward_codes)),
                )
            )
        return stmt

    def find(
        self, query: SqlCameraQuery, *, after_code: str | None = None, limit: int | None = None
    ) -> Sequence[Camera]:
        """Return cameras matching the SQL part of a query, ordered by code."""
        stmt = self._where(query)
        if after_code is not None:
            stmt = stmt.where(Camera.code > after_code)
        stmt = stmt.order_by(Camera.code)
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    def find_located(
        self, query: SqlCameraQuery, *, with_view: bool
    ) -> Sequence[Row[int, str, str, float, float, str | None]]:
        """Return (id, code, name, lat, lon, fov_geojson) of matching cameras, ordered by code.

        Without `with_view` the (large) field-of-view text is not fetched and comes back None.
        """
        view = Camera.fov_geojson if with_view else null().label("fov_geojson")
        stmt = self._where(query).with_only_columns(
            Camera.id, Camera.code, Camera.name, Camera.lat, Camera.lon, view
        )
        return self.session.execute(stmt.order_by(Camera.code)).all()

    def nearest_located(
        self, query: SqlCameraQuery, *, lat: float, lon: float, with_view: bool, limit: int
    ) -> Sequence[Row[int, str, str, float, float, str | None, float]]:
        """Return light rows ordered by an equirectangular distance estimate (metres²), nearest
        first, with the estimate as the last column; the caller re-checks exactly."""
        metres_per_degree = math.radians(EARTH_RADIUS_M)
        dy = (Camera.lat - lat) * metres_per_degree
        dx = (Camera.lon - lon) * (metres_per_degree * math.cos(math.radians(lat)))
        estimate = (dy * dy + dx * dx).label("estimate")
        view = Camera.fov_geojson if with_view else null().label("fov_geojson")
        stmt = self._where(query).with_only_columns(
            Camera.id, Camera.code, Camera.name, Camera.lat, Camera.lon, view, estimate
        )
        return self.session.execute(stmt.order_by(estimate, Camera.code).limit(limit)).all()

    def by_ids(self, ids: Sequence[int]) -> dict[int, Camera]:
        """Return cameras by id."""
        found: dict[int, Camera] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            for cam in self.session.scalars(select(Camera).where(Camera.id.in_(chunk))):
                found[cam.id] = cam
        return found

    def count(self, query: SqlCameraQuery) -> int:
        """Return how many cameras match the SQL part of a query."""
        sub = self._where(query).with_only_columns(Camera.id).subquery()
        return int(self.session.scalar(select(func.count()).select_from(sub)) or 0)
