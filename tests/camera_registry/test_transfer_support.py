"""Support for the transfer and area tests (no tests here): file builders, stored state."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import Camera
from camera_registry.changelog.model import ChangeRecord
from camera_registry.db.unit_of_work import unit_of_work

HEADER = "code,name,lat,lon"


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    """Return CSV lines joined as a UTF-8 file."""
    text = "\r\n".join(lines) + "\r\n"
    return text.encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    """Return a workbook whose first sheet holds the rows (row 1 the header)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_rows(content: bytes) -> list[tuple[Any, ...]]:
    """Return the cell values of a workbook's first sheet."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


@dataclass(frozen=True)
class Stored:
    """What the registry holds: camera versions and the sizes of both logs."""

    versions: dict[str, int]
    changes: int
    audit: int


def stored(factory: sessionmaker[Session]) -> Stored:
    """Read the registry's state in a fresh unit of work."""
    with unit_of_work(factory) as session:
        rows = session.execute(select(Camera.code, Camera.version)).all()
        versions = {row.code: row.version for row in rows}
        changes = session.scalar(select(func.count()).select_from(ChangeRecord)) or 0
        audit = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return Stored(versions, changes, audit)


def square(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """Return a GeoJSON Polygon for a lon/lat box."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def two_wards() -> dict[str, Any]:
    """Return an area file with two current wards side by side around central Vũng Tàu."""
    west = {"code": "26506", "name": "Phường Vũng Tàu", "valid_from": "2025-07-01"}
    east = {"code": "26526", "name": "Phường Tam Thắng", "valid_from": "2025-07-01"}
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": west, "geometry": square(107.0, 10.3, 107.09, 10.4)},
            {"type": "Feature", "properties": east, "geometry": square(107.09, 10.3, 107.2, 10.4)},
        ],
    }
