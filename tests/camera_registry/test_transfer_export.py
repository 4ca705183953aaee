"""Camera export: columns, personal data and its audit, credentials never, formula safety."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.actor import Actor
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.model import CameraStatus
from camera_registry.camera.repository import CameraRepository
from camera_registry.camera.write import WriteContext
from camera_registry.errors import PermissionDenied
from camera_registry.transfer.columns import EXPORT_COLUMNS
from camera_registry.transfer.service import TransferFormat, export_cameras, import_cameras
from tests.builders import make_camera
from tests.camera_registry.test_transfer_support import xlsx_rows

FORMULA = '=HYPERLINK("http://evil.invalid","x")'


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _audit(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


@pytest.fixture
def registry(session: Session, write_ctx: WriteContext) -> Session:
    """Two cameras: one with an owner, credentials and a sector, one plain and planned."""
    make_camera(
        session,
        ctx=write_ctx,
        code="VT-0001",
        name="Tiệm vàng Kim Phát",
        owner_name="Trần Thị Bích",
        owner_phone="0903123456",
        stream_url="rtsp://admin:s3cret@cam-1.vt.invalid:554/main",
        heading_deg=90,
        fov_deg=60,
        range_m=50,
        status=CameraStatus.ACTIVE,
        tags=["cho", "giao-lo"],
    )
    make_camera(session, code="VT-0002", name=FORMULA, notes="-5 độ")
    return session


def test_csv_has_the_importable_columns_and_no_credentials(registry: Session, actor: Actor) -> None:
    content = export_cameras(registry, query=CameraFilter(), actor=actor, fmt=TransferFormat.CSV)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = _rows(content)
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [r["code"] for r in rows] == ["VT-0001", "VT-0002"]
    assert rows[0]["stream_url"] == "rtsp://cam-1.vt.invalid:554/main"
    assert rows[0]["tags"] == "cho;giao-lo"
    # A sector is derived from heading, angle and range; only explicit polygons are exported.
    assert rows[0]["fov_polygon"] == ""
    for fmt in TransferFormat:
        data = export_cameras(registry, query=CameraFilter(), actor=actor, fmt=fmt)
        assert b"s3cret" not in data
        assert b"stream_password" not in data


def test_personal_data_only_for_those_who_may_read_it(registry: Session, actor: Actor) -> None:
    integration = Actor(name="case-system", role=Role.INTEGRATION)
    content = export_cameras(
        registry, query=CameraFilter(), actor=integration, fmt=TransferFormat.GEOJSON
    )
    properties = json.loads(content)["features"][0]["properties"]
    assert "owner_name" not in properties
    assert "Trần Thị Bích" not in content.decode()
    assert [e.action for e in _audit(registry)] == ["camera.export"]
    content = export_cameras(registry, query=CameraFilter(), actor=actor, fmt=TransferFormat.CSV)
    assert _rows(content)[0]["owner_name"] == "Trần Thị Bích"
    entries = _audit(registry)
    assert [e.action for e in entries] == [
        "camera.export",
        "camera.export",
        "camera.personal_data.read",
    ]
    assert entries[1].details == {
        "format": "csv",
        "filter": {},
        "count": 2,
        "personal_data": True,
    }
    assert entries[2].details == {"cameras": ["VT-0001"], "via": "export"}


def test_filters_apply(registry: Session, actor: Actor) -> None:
    query = CameraFilter(status=[CameraStatus.PLANNED])
    content = export_cameras(registry, query=query, actor=actor, fmt=TransferFormat.CSV)
    assert [r["code"] for r in _rows(content)] == ["VT-0002"]
    assert _audit(registry)[-1].details["filter"] == {"status": ["planned"]}


def test_text_that_looks_like_a_formula_stays_text(
    registry: Session, actor: Actor, write_ctx: WriteContext
) -> None:
    content = export_cameras(registry, query=CameraFilter(), actor=actor, fmt=TransferFormat.CSV)
    second = _rows(content)[1]
    assert second["name"] == "'" + FORMULA
    assert second["notes"] == "'-5 độ"
    workbook = export_cameras(registry, query=CameraFilter(), actor=actor, fmt=TransferFormat.XLSX)
    header, _, row = xlsx_rows(workbook)
    assert row[header.index("name")] == FORMULA  # a string cell, not a formula
    # Import removes the apostrophe again.
    content = content.replace(b"VT-0002", b"VT-0003")
    import_cameras(registry, content=content, fmt=TransferFormat.CSV, actor=actor, ctx=write_ctx)
    copy = CameraRepository(registry).get("VT-0003")
    assert copy is not None
    assert (copy.name, copy.notes) == (FORMULA, "-5 độ")


def test_only_readers_may_export(session: Session) -> None:
    class NoRead(Actor):
        def can(self, permission: str) -> bool:
            return False

    with pytest.raises(PermissionDenied):
        export_cameras(
            session, query=CameraFilter(), actor=NoRead("x", Role.AUDITOR), fmt=TransferFormat.CSV
        )
