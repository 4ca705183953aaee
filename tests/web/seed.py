"""Browser-test data: wards (current and pre-2025), cameras, one user per role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.account.schema import UserCreate
from camera_registry.account.service import add_user
from camera_registry.actor import cli_actor
from camera_registry.area.service import import_areas
from camera_registry.camera.model import CameraStatus
from camera_registry.camera.schema import CameraCreate
from camera_registry.camera.write import WriteContext, create_camera

PASSWORD = "correct-horse-42"
USERS = {
    "admin": Role.ADMIN,
    "tech": Role.TECHNICIAN,
    "inv": Role.INVESTIGATOR,
    "audit": Role.AUDITOR,
}
DISPLAY_NAMES = {
    "admin": "Quản trị",
    "tech": "Trần Kỹ Thuật",
    "inv": "Lê Điều Tra",
    "audit": "Phạm Kiểm Tra",
}
XSS_NAME = "<img src=x onerror=alert(1)>"
SQL_ADDRESS = "'; DROP TABLE cameras; --"
OWNER_NAME = "Nguyễn Thị Hoa"
# VT-0001 looks east (heading 90°, 60° wide, 120 m): this point, 60 m east of it, is in view.
SEEN_POINT = (10.3461, 107.08465)


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _ward(code: str, name: str, box: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": "ward", **props},
        "geometry": box,
    }


AREAS = {
    "type": "FeatureCollection",
    "features": [
        _ward(
            "26506", "Phường Vũng Tàu", _box(107.06, 10.32, 107.095, 10.36), valid_from="2025-07-01"
        ),
        _ward(
            "26526",
            "Phường Tam Thắng",
            _box(107.06, 10.36, 107.095, 10.40),
            valid_from="2025-07-01",
        ),
        # Before 1 July 2025: code 26506 was Phường 1 (codes are reused), 26509 Phường 2.
        _ward(
            "26506",
            "Phường 1",
            _box(107.065, 10.335, 107.08, 10.35),
            valid_to="2025-06-30",
            replaced_by=["26506"],
        ),
        _ward(
            "26509",
            "Phường 2",
            _box(107.08, 10.335, 107.095, 10.35),
            valid_to="2025-06-30",
            replaced_by=["26506"],
        ),
    ],
}


def _cameras() -> list[dict[str, Any]]:
    named: list[dict[str, Any]] = [
        {
            "code": "VT-0001",
            "name": "Ngã tư Ba Cu",
            "lat": 10.3461,
            "lon": 107.0843,
            "address": "12 Ba Cu, Phường Vũng Tàu",
            "status": CameraStatus.ACTIVE,
            "owner_kind": "business",
            "owner_name": OWNER_NAME,
            "owner_phone": "+84 90 123 4567",
            "consent": True,
            "funding": "social",
            "funder": "Hội doanh nghiệp phường",
            "heading_deg": 90,
            "fov_deg": 60,
            "range_m": 120,
            "make": "Hikvision",
            "stream_url": "rtsp://cam.invalid/main",
            "tags": ["giao-lo", "truong-hoc"],
        },
        {
            "code": "VT-0002",
            "name": "Chợ Xóm Lưới",
            "lat": 10.3505,
            "lon": 107.0762,
            "status": CameraStatus.MAINTENANCE,
            "funding": "social",
            "consent": False,
            "heading_deg": 200,
            "fov_deg": 80,
            "range_m": 60,
        },
        {
            "code": "VT-0003",
            "name": XSS_NAME,
            "lat": 10.3420,
            "lon": 107.0801,
            "address": SQL_ADDRESS,
            "funding": "private",
        },
        {
            "code": "VT-0004",
            "name": "Bãi Sau",
            "lat": 10.3455,
            "lon": 107.0905,
            "status": CameraStatus.DECOMMISSIONED,
            "funding": "state",
        },
    ]
    statuses = [
        CameraStatus.ACTIVE,
        CameraStatus.ACTIVE,
        CameraStatus.MAINTENANCE,
        CameraStatus.PLANNED,
    ]
    grid = [
        {
            "code": f"VT-{n:04d}",
            "name": f"Hẻm số {n}",
            "lat": 10.337 + (n % 6) * 0.0035,
            "lon": 107.072 + (n // 6) * 0.0035,
            "status": statuses[n % 4],
            "funding": "social",
        }
        for n in range(10, 40)
    ]
    return named + grid


def seed(session: Session, ctx: WriteContext) -> None:
    """Fill an empty database with the wards, cameras and users the browser tests use."""
    actor = cli_actor()
    import_areas(session, document=AREAS, actor=actor)
    for data in _cameras():
        create_camera(session, data=CameraCreate(**data), actor=actor, ctx=ctx)
    for username, role in USERS.items():
        add_user(
            session,
            data=UserCreate(
                username=username,
                display_name=DISPLAY_NAMES[username],
                role=role,
                password=SecretStr(PASSWORD),
            ),
            actor=actor,
            min_password_length=10,
        )


SeedFunction = Callable[[Session, WriteContext], None]
