"""Camera write and query services on both databases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.model import CameraStatus
from camera_registry.camera.query import search_cameras
from camera_registry.camera.schema import CameraCreate, CameraUpdate
from camera_registry.camera.write import WriteContext, set_status, update_camera
from camera_registry.changelog.service import changes_of
from camera_registry.crypto import CredentialCipher
from camera_registry.errors import DuplicateCameraCode, InvalidTransition, StaleVersion
from tests.builders import make_camera


def test_credentials_in_url_are_split_and_encrypted(
    session: Session, write_ctx: WriteContext, cipher: CredentialCipher
) -> None:
    cam = make_camera(session, ctx=write_ctx, stream_url="rtsp://admin:s3cret@cam.invalid:554/h264")
    assert cam.stream_url == "rtsp://cam.invalid:554/h264"
    assert cam.credentials_token is not None
    assert "s3cret" not in cam.credentials_token
    assert cipher.decrypt(cam.credentials_token).password == "s3cret"
    history = changes_of(session, entity="camera", key=cam.code)
    assert "s3cret" not in repr([h.after for h in history])


def test_duplicate_code_refused(session: Session) -> None:
    make_camera(session, code="VT-0001")
    with pytest.raises(DuplicateCameraCode):
        make_camera(session, code="VT-0001")


def test_lifecycle_and_versions(session: Session, actor: Actor, write_ctx: WriteContext) -> None:
    cam = make_camera(session, code="VT-0002")
    with pytest.raises(InvalidTransition):
        set_status(session, code="VT-0002", status=CameraStatus.MAINTENANCE, actor=actor)
    set_status(session, code="VT-0002", status=CameraStatus.ACTIVE, actor=actor, if_version=1)
    with pytest.raises(StaleVersion):
        update_camera(
            session,
            code="VT-0002",
            data=CameraUpdate(name="x"),
            actor=actor,
            ctx=write_ctx,
            if_version=1,
        )
    set_status(session, code="VT-0002", status=CameraStatus.DECOMMISSIONED, actor=actor)
    with pytest.raises(InvalidTransition):
        set_status(session, code="VT-0002", status=CameraStatus.ACTIVE, actor=actor)
    assert cam.version == 3
    actions = [c.action for c in changes_of(session, entity="camera", key="VT-0002")]
    assert actions == ["create", "status:active", "status:decommissioned"]


def test_radius_orders_by_distance_and_text_is_accent_insensitive(
    session: Session, actor: Actor
) -> None:
    make_camera(session, code="FAR", name="Chợ Xóm Lưới", lat=10.36, lon=107.09)
    make_camera(session, code="NEAR", name="Phường 7", lat=10.3501, lon=107.0801)
    page = search_cameras(
        session, query=CameraFilter(near=(10.35, 107.08), radius_m=5000), actor=actor
    )
    assert [m.camera.code for m in page.items] == ["NEAR", "FAR"]
    assert page.items[0].distance_m is not None
    assert page.items[0].distance_m < 20
    found = search_cameras(session, query=CameraFilter(q="phuong 7"), actor=actor)
    assert [m.camera.code for m in found.items] == ["NEAR"]
    found = search_cameras(session, query=CameraFilter(q="cho xom luoi"), actor=actor)
    assert [m.camera.code for m in found.items] == ["FAR"]


def test_sees_point_uses_field_of_view(session: Session, actor: Actor) -> None:
    make_camera(session, code="EAST", lat=10.35, lon=107.08, heading_deg=90, fov_deg=60, range_m=80)
    make_camera(
        session, code="WEST", lat=10.35, lon=107.08, heading_deg=270, fov_deg=60, range_m=80
    )
    page = search_cameras(session, query=CameraFilter(sees=(10.35, 107.0805)), actor=actor)
    assert [m.camera.code for m in page.items] == ["EAST"]


def test_large_costs_fit_on_both_databases(session: Session) -> None:
    cam = make_camera(session, cost_vnd=9_500_000_000)
    session.flush()
    session.expire(cam)
    assert cam.cost_vnd == 9_500_000_000


def test_expected_stream_format_is_stored_and_change_logged(
    session: Session, actor: Actor, write_ctx: WriteContext
) -> None:
    cam = make_camera(session, expected_width=1920, expected_height=1080, expected_fps=25)
    assert (cam.expected_width, cam.expected_height, cam.expected_fps) == (1920, 1080, 25.0)
    update_camera(
        session,
        code=cam.code,
        data=CameraUpdate(expected_width=1280, expected_height=720, expected_fps=12.5),
        actor=actor,
        ctx=write_ctx,
    )
    assert (cam.expected_width, cam.expected_height, cam.expected_fps) == (1280, 720, 12.5)
    last = changes_of(session, entity="camera", key=cam.code)[-1]
    assert last.before is not None
    assert last.after is not None
    assert (last.before["expected_width"], last.after["expected_width"]) == (1920, 1280)
    assert (last.before["expected_fps"], last.after["expected_fps"]) == (25.0, 12.5)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"expected_width": 1920}, "together"),
        ({"expected_height": 1080}, "together"),
        ({"expected_width": 1920, "expected_height": None}, "both have a value or both be empty"),
        ({"expected_width": 15, "expected_height": 1080}, "greater than or equal to 16"),
        ({"expected_width": 1920, "expected_height": 16385}, "less than or equal to 16384"),
        ({"expected_fps": 0.4}, "greater than or equal to 0.5"),
        ({"expected_fps": 121}, "less than or equal to 120"),
        ({"expected_fps": float("nan")}, "less than or equal to 120"),
    ],
)
def test_expected_stream_format_is_checked(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CameraUpdate.model_validate(values)
    with pytest.raises(ValidationError, match=message):
        CameraCreate.model_validate(
            {"code": "C", "name": "n", "lat": 10.35, "lon": 107.08, **values}
        )


def test_expected_stream_format_clears_together() -> None:
    cleared = CameraUpdate(expected_width=None, expected_height=None, expected_fps=None)
    assert cleared.model_fields_set == {"expected_width", "expected_height", "expected_fps"}
