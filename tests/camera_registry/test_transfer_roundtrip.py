"""Property: export → import into an empty registry → export gives the same registry."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import Actor, cli_actor
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.model import Camera, CameraStatus, CameraTag, Funding, OwnerKind
from camera_registry.camera.present import to_read
from camera_registry.camera.query import iter_cameras
from camera_registry.camera.schema import CameraCreate
from camera_registry.camera.write import WriteContext, create_camera
from camera_registry.changelog.model import ChangeRecord
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.transfer.service import TransferFormat, export_cameras, import_cameras
from tests.camera_registry.test_transfer_support import xlsx_rows

VIETNAMESE = "ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐƯƠ"
# Letters, diacritics, and characters that CSV quoting and formula escaping must survive.
ALPHABET = "abcXYZ019 " + VIETNAMESE + ",;'\"=+-@–\n\t#"
TEXT = st.text(ALPHABET, min_size=1, max_size=30).filter(lambda s: s.strip() != "")
TAG = st.text("abcđơ-_019", min_size=1, max_size=12)
CODE = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)


def _scaled(low: int, high: int, scale: int) -> st.SearchStrategy[float]:
    # Decimal fractions as people type them; XLSX keeps 15 significant digits, like Excel.
    return st.integers(low, high).map(lambda n: n / scale)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def cameras(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Draw a few cameras with random valid values in every importable field."""
    codes = draw(st.lists(CODE, min_size=1, max_size=4, unique=True))
    out: list[dict[str, Any]] = []
    for code in codes:
        lat = draw(_scaled(10_300_000, 10_480_000, 1_000_000))
        lon = draw(_scaled(107_040_000, 107_200_000, 1_000_000))
        fov: dict[str, Any] | None = None
        if draw(st.booleans()):
            d = draw(_scaled(1, 900, 1_000_000))
            ring = [[lon, lat], [lon + d, lat], [lon, lat + d], [lon, lat]]
            fov = {"type": "Polygon", "coordinates": [ring]}
        size = draw(_optional(st.tuples(st.integers(16, 16384), st.integers(16, 16384))))
        out.append(
            {
                "code": code,
                "name": draw(TEXT),
                "lat": lat,
                "lon": lon,
                "address": draw(_optional(TEXT)),
                "ward_code": draw(st.sampled_from([None, "26506", "26545"])),
                "owner_kind": draw(_optional(st.sampled_from(list(OwnerKind)))),
                "owner_name": draw(_optional(TEXT)),
                "owner_phone": draw(_optional(st.from_regex(r"0[35789][0-9]{8}", fullmatch=True))),
                "owner_email": draw(_optional(st.from_regex(r"[a-z]{1,8}@vt\.vn", fullmatch=True))),
                "consent": draw(_optional(st.booleans())),
                "consent_since": draw(_optional(st.dates())),
                "live_access": draw(_optional(st.booleans())),
                "funding": draw(_optional(st.sampled_from(list(Funding)))),
                "funder": draw(_optional(TEXT)),
                "programme": draw(_optional(TEXT)),
                "installed_on": draw(_optional(st.dates())),
                "cost_vnd": draw(_optional(st.integers(0, 2_000_000_000))),
                "make": draw(_optional(TEXT)),
                "model": draw(_optional(TEXT)),
                "serial": draw(_optional(TEXT)),
                "stream_url": f"rtsp://cam-{len(out)}.vt.invalid:554/main",
                "sub_stream_url": draw(_optional(st.just("rtsp://sub.vt.invalid/x?a=1&b=2"))),
                "stream_username": draw(_optional(st.just("admin"))),
                "stream_password": "p@ss;word,",
                "expected_width": size[0] if size else None,
                "expected_height": size[1] if size else None,
                "expected_fps": draw(_optional(_scaled(5, 1200, 10))),
                "heading_deg": draw(_optional(_scaled(0, 3599, 10))),
                "fov_deg": draw(_optional(_scaled(1, 3600, 10))),
                "range_m": draw(_optional(_scaled(1, 20000, 10))),
                "fov_polygon": fov,
                "status": draw(st.sampled_from(list(CameraStatus))),
                "tags": draw(st.lists(TAG, max_size=3)),
                "notes": draw(_optional(TEXT)),
            }
        )
    return out


def _empty(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        for model in (CameraTag, Camera, ChangeRecord, AuditEntry):
            session.execute(delete(model))


def _export(factory: sessionmaker[Session], fmt: TransferFormat) -> tuple[bytes, list[Any]]:
    actor = cli_actor()
    with unit_of_work(factory) as session:
        content = export_cameras(session, query=CameraFilter(), actor=actor, fmt=fmt)
        reads = [
            to_read(m.camera, actor=actor).model_dump(
                exclude={"version", "created_at", "updated_at", "has_credentials"}
            )
            for m in iter_cameras(session, query=CameraFilter(), actor=actor)
        ]
    return content, reads


@pytest.mark.parametrize("fmt", list(TransferFormat))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(registry=cameras())
def test_export_import_export_is_stable(
    session_factory: sessionmaker[Session],
    actor: Actor,
    cipher: CredentialCipher,
    fmt: TransferFormat,
    registry: list[dict[str, Any]],
) -> None:
    _empty(session_factory)
    with unit_of_work(session_factory) as session:
        ctx = WriteContext(cipher=cipher)
        for values in registry:
            create_camera(session, data=CameraCreate(**values), actor=actor, ctx=ctx)
    first, first_reads = _export(session_factory, fmt)
    _empty(session_factory)
    with unit_of_work(session_factory) as session:
        report = import_cameras(
            session, content=first, fmt=fmt, actor=actor, ctx=WriteContext(cipher=cipher)
        )
    assert sorted(report.created) == sorted(v["code"] for v in registry)
    second, second_reads = _export(session_factory, fmt)
    assert second_reads == first_reads
    if fmt == TransferFormat.XLSX:
        # Workbooks carry their creation time, so compare the cells.
        assert xlsx_rows(second) == xlsx_rows(first)
    else:
        assert second == first
