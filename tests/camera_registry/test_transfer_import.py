"""Camera import: upsert by code, dry runs, warnings, credentials, audit, on both databases."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.actor import Actor, Scope
from camera_registry.area.service import import_areas
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import Camera, CameraStatus, Funding, OwnerKind
from camera_registry.camera.repository import CameraRepository
from camera_registry.camera.write import WriteContext
from camera_registry.changelog.service import changes_of
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import ImportRejected, PermissionDenied
from camera_registry.transfer.service import ImportReport, TransferFormat, import_cameras
from tests.builders import make_camera
from tests.camera_registry.test_transfer_support import (
    HEADER,
    csv_bytes,
    stored,
    two_wards,
    xlsx_bytes,
)


def _import(
    session: Session,
    content: bytes,
    actor: Actor,
    ctx: WriteContext,
    fmt: TransferFormat = TransferFormat.CSV,
    dry_run: bool = False,
) -> ImportReport:
    return import_cameras(session, content=content, fmt=fmt, actor=actor, ctx=ctx, dry_run=dry_run)


FULL = csv_bytes(
    "code,name,lat,lon,address,owner_kind,owner_name,owner_phone,consent,consent_since,"
    "funding,funder,installed_on,cost_vnd,heading_deg,fov_deg,range_m,status,tags,notes",
    'VT-0001,Ngã tư Ba Cu – Trưng Trắc,10.3461,107.0843,"12 Ba Cu, Phường Vũng Tàu",person,'
    "Nguyễn Văn An,0903123456,có,2024-01-02,social,Hội doanh nghiệp,2023-05-01,"
    "7500000,90,60,50,active,giao-lo;cho,Gần chợ",
    "VT-0002,Chợ Xóm Lưới,10.3552,107.0811,,business,Tiệm vàng Kim Phát,,no,,private,,,,,,,"
    "planned,,",
)


def test_create_then_update_only_the_cells_given(
    session_factory: sessionmaker[Session], actor: Actor, write_ctx: WriteContext
) -> None:
    with unit_of_work(session_factory) as session:
        report = _import(session, FULL, actor, write_ctx)
    assert report.created == ["VT-0001", "VT-0002"]
    assert (report.updated, report.unchanged, report.rows) == ([], [], 2)
    again = csv_bytes(
        "code,name,lat,lon,notes,status",
        "VT-0001,Ngã tư Ba Cu – Trưng Trắc,10.3461,107.0843,,maintenance",
        "VT-0002,Chợ Xóm Lưới,10.3552,107.0811,,",
    )
    with unit_of_work(session_factory) as session:
        report = _import(session, again, actor, write_ctx)
        assert report.updated == ["VT-0001"]
        assert report.unchanged == ["VT-0002"]
        first = CameraRepository(session).get("VT-0001")
        assert first is not None
        # Empty cells and absent columns leave the stored values as they were.
        assert first.notes == "Gần chợ"
        assert first.owner_name == "Nguyễn Văn An"
        assert first.tag_names == ["cho", "giao-lo"]
        assert first.status == CameraStatus.MAINTENANCE
        assert (first.consent, first.consent_since) == (True, date(2024, 1, 2))
        assert (first.funding, first.owner_kind) == (Funding.SOCIAL, OwnerKind.PERSON)
        assert first.cost_vnd == 7_500_000
        assert first.fov_geojson is not None
        assert first.version == 2
        actions = [c.action for c in changes_of(session, entity="camera", key="VT-0001")]
        assert actions == ["create", "update"]


def test_dry_run_reports_exactly_and_changes_nothing(
    session_factory: sessionmaker[Session], actor: Actor, write_ctx: WriteContext
) -> None:
    with unit_of_work(session_factory) as session:
        make_camera(session, code="VT-0001", name="Old name", lat=10.3461, lon=107.0843)
        make_camera(session, code="VT-0003", name="Same", lat=10.35, lon=107.08)
    before = stored(session_factory)
    content = csv_bytes(
        HEADER,
        "VT-0001,New name,10.3461,107.0843",
        "VT-0002,Brand new,10.35,107.09",
        "VT-0003,Same,10.35,107.08",
    )
    with unit_of_work(session_factory) as session:
        report = _import(session, content, actor, write_ctx, dry_run=True)
    assert report.dry_run
    assert (report.created, report.updated, report.unchanged) == (
        ["VT-0002"],
        ["VT-0001"],
        ["VT-0003"],
    )
    after = stored(session_factory)
    assert after.versions == before.versions
    assert after.changes == before.changes
    assert after.audit == before.audit + 1  # the dry run itself is audited
    with unit_of_work(session_factory) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry is not None
        assert entry.action == "camera.import"
        assert entry.details == {
            "format": "csv",
            "rows": 3,
            "created": 1,
            "updated": 1,
            "unchanged": 1,
            "dry_run": True,
        }


def test_sql_looking_text_is_stored_as_text(session: Session, actor: Actor) -> None:
    nasty = "'); DROP TABLE cameras;--"
    content = csv_bytes(HEADER + ",notes", f'VT-0001,"{nasty}",10.35,107.08,"{nasty}"')
    _import(session, content, actor, WriteContext(cipher=None))
    camera = CameraRepository(session).get("VT-0001")
    assert camera is not None
    assert (camera.name, camera.notes) == (nasty, nasty)
    assert len(session.scalars(select(Camera)).all()) == 1


def test_spreadsheet_habits_are_understood(session: Session, actor: Actor) -> None:
    # Semicolons between cells and decimal commas: a Vietnamese-locale Excel export.
    content = csv_bytes(
        "Code;Name;Lat;Lon;Consent;Installed_on;Cost_vnd;Tags;Live_access",
        'VT-0001;Cổng trường;10,3461;107,0843;Không;05/03/2023;1.500.000;"truong-hoc; cho";CÓ',
        bom=True,
    )
    _import(session, content, actor, WriteContext(cipher=None))
    camera = CameraRepository(session).get("VT-0001")
    assert camera is not None
    assert (camera.lat, camera.lon) == (10.3461, 107.0843)
    assert (camera.consent, camera.live_access) == (False, True)
    assert camera.installed_on == date(2023, 3, 5)
    assert camera.cost_vnd == 1_500_000
    assert camera.tag_names == ["cho", "truong-hoc"]


def test_xlsx_typed_cells(session: Session, actor: Actor) -> None:
    content = xlsx_bytes(
        [
            ["code", "name", "lat", "lon", "ward_code", "owner_phone", "installed_on", "consent"],
            ["VT-0001", "Hạ Long", 10.3461, 107.0843, 26506, 903123456, date(2022, 1, 31), True],
            [None, None, None, None, None, None, None, None],
            [1234, "Số", 10.35, 107.08, None, "0912 345 678", "2022-02-01", "no"],
        ]
    )
    report = _import(session, content, actor, WriteContext(cipher=None), TransferFormat.XLSX)
    assert report.created == ["VT-0001", "1234"]
    assert report.warnings == ["line 2: owner_phone 903123456 was a number; read as 0903123456"]
    first = CameraRepository(session).get("VT-0001")
    assert first is not None
    assert (first.ward_code, first.owner_phone) == ("26506", "0903123456")
    assert (first.installed_on, first.consent) == (date(2022, 1, 31), True)


def test_geojson_features(session: Session, actor: Actor) -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [107.0843, 10.3461]},
            "properties": {"code": "VT-0001", "name": "Bãi Trước", "tags": ["bai-bien", "x"]},
        }
    ]
    content = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    report = _import(session, content, actor, WriteContext(cipher=None), TransferFormat.GEOJSON)
    assert report.created == ["VT-0001"]
    camera = CameraRepository(session).get("VT-0001")
    assert camera is not None
    assert (camera.lat, camera.lon, camera.tag_names) == (10.3461, 107.0843, ["bai-bien", "x"])


def test_ward_that_disagrees_with_the_position_is_a_warning(session: Session, actor: Actor) -> None:
    import_areas(session, document=two_wards(), actor=actor)
    content = csv_bytes(
        HEADER + ",ward_code", "VT-0001,West,10.35,107.05,26526", "VT-0002,East,10.35,107.15,"
    )
    report = _import(session, content, actor, WriteContext(cipher=None))
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("line 2: camera VT-0001: ward 26526 given")
    derived = CameraRepository(session).get("VT-0002")
    assert derived is not None
    assert derived.ward_code == "26526"


def test_credentials_are_encrypted_and_a_repeat_is_no_change(
    session_factory: sessionmaker[Session], actor: Actor, cipher: CredentialCipher
) -> None:
    content = csv_bytes(
        HEADER + ",stream_url,stream_username,stream_password",
        "VT-0001,Cam,10.35,107.08,rtsp://cam-1.vt.invalid/main,admin,s3cret!",
    )
    with unit_of_work(session_factory) as session:
        _import(session, content, actor, WriteContext(cipher=cipher))
    with unit_of_work(session_factory) as session:
        report = _import(session, content, actor, WriteContext(cipher=cipher))
        assert report.unchanged == ["VT-0001"]
        camera = CameraRepository(session).get("VT-0001")
        assert camera is not None
        assert camera.credentials_token is not None
        assert cipher.decrypt(camera.credentials_token).password == "s3cret!"
        history = changes_of(session, entity="camera", key="VT-0001")
        assert "s3cret" not in repr([(h.before, h.after) for h in history])


def test_only_writers_may_import(session: Session) -> None:
    investigator = Actor(name="inv", role=Role.INVESTIGATOR)
    with pytest.raises(PermissionDenied):
        _import(session, FULL, investigator, WriteContext(cipher=None))


def test_error_while_writing_rejects_the_whole_file(
    session_factory: sessionmaker[Session],
) -> None:
    # The scope only allows VT-0001: the write of line 3 fails, so line 2 is not kept either.
    technician = Actor(
        name="tech", role=Role.TECHNICIAN, scope=Scope(camera_codes=frozenset({"A"}))
    )
    content = csv_bytes(HEADER, "A,Allowed,10.35,107.08", "B,Not allowed,10.35,107.081")
    before = stored(session_factory)
    with pytest.raises(ImportRejected) as caught, unit_of_work(session_factory) as session:
        _import(session, content, technician, WriteContext(cipher=None))
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "code")]
    assert "outside your scope" in caught.value.problems[0].message
    assert stored(session_factory) == before
