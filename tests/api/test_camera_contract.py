"""The CRUD contract of /cameras, for every role: what it may and may not do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.actor import cli_actor
from camera_registry.area.service import import_areas
from camera_registry.camera.model import Camera
from camera_registry.changelog.model import ChangeRecord
from camera_registry.db.unit_of_work import unit_of_work
from tests.api.conftest import Headers

URL = "/api/v1/cameras"
OWNER = {"owner_name": "Trần Thị Bình", "owner_phone": "0903123456"}


@dataclass(frozen=True)
class Rights:
    """What a role may do with cameras."""

    write: bool
    owner: bool
    history: bool


RIGHTS = {
    Role.ADMIN: Rights(write=True, owner=True, history=True),
    Role.TECHNICIAN: Rights(write=True, owner=True, history=True),
    Role.INVESTIGATOR: Rights(write=False, owner=True, history=True),
    Role.INTEGRATION: Rights(write=False, owner=False, history=False),
    Role.AUDITOR: Rights(write=False, owner=False, history=True),
}
ROLES = list(RIGHTS)


@pytest.fixture(params=ROLES, ids=[str(r) for r in ROLES])
def role(request: pytest.FixtureRequest) -> Role:
    """Each of the five roles in turn."""
    value: Role = request.param
    return value


@pytest.fixture
def as_role(role: Role, headers_for: Callable[..., Headers]) -> Headers:
    """Bearer headers of a key with the role under test."""
    return headers_for(role)


@pytest.fixture
def registered(cameras: Callable[..., list[Camera]]) -> str:
    """One camera with owner data; return its code."""
    cameras({"code": "VT-0001", "name": "Chợ Xóm Lưới", **OWNER})
    return "VT-0001"


def _count(session_factory: sessionmaker[Session], model: Any, *where: Any) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_list_and_read(client: TestClient, role: Role, as_role: Headers, registered: str) -> None:
    page = client.get(URL, headers=as_role, params={"include_personal": True})
    assert page.status_code == 200
    (item,) = page.json()["items"]
    one = client.get(f"{URL}/{registered}", headers=as_role)
    assert one.status_code == 200
    assert one.headers["ETag"] == '"1"'
    for body in (item, one.json()):
        assert body["code"] == registered
        if RIGHTS[role].owner:
            assert body["owner_phone"] == OWNER["owner_phone"]
        else:
            assert body["owner_phone"] is None
            assert body["owner_name"] is None
            assert body["personal_data_hidden"] is True
    plain = client.get(URL, headers=as_role).json()["items"][0]
    assert plain["owner_phone"] is None  # personal data only when asked for


def test_create(
    client: TestClient, role: Role, as_role: Headers, session_factory: sessionmaker[Session]
) -> None:
    body = {"code": "VT-0100", "name": "Bãi Sau", "lat": 10.3392, "lon": 107.0962, **OWNER}
    answer = client.post(URL, json=body, headers=as_role)
    if not RIGHTS[role].write:
        assert answer.status_code == 403
        assert _count(session_factory, Camera) == 0
        assert _count(session_factory, ChangeRecord, ChangeRecord.entity == "camera") == 0
        return
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"{URL}/VT-0100"
    assert answer.headers["ETag"] == '"1"'
    created = answer.json()
    assert (created["status"], created["warnings"], created["owner_phone"]) == (
        "planned",
        [],
        OWNER["owner_phone"],
    )
    again = client.post(URL, json=body, headers=as_role)
    assert again.status_code == 409


def test_update_and_retire(
    client: TestClient, role: Role, as_role: Headers, registered: str
) -> None:
    patched = client.patch(
        f"{URL}/{registered}", json={"name": "Chợ mới"}, headers={**as_role, "If-Match": '"1"'}
    )
    change = {"status": "active", "reason": "lắp xong"}
    status = client.post(f"{URL}/{registered}/status", json=change, headers=as_role)
    retired = client.delete(f"{URL}/{registered}", headers=as_role)
    if not RIGHTS[role].write:
        assert [patched.status_code, status.status_code, retired.status_code] == [403] * 3
        assert client.get(f"{URL}/{registered}", headers=as_role).json()["version"] == 1
        return
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.headers["ETag"]) == ("Chợ mới", '"2"')
    assert status.json()["status"] == "active"
    assert retired.status_code == 200
    assert retired.json()["status"] == "decommissioned"
    # A retired camera stays in the registry and can still be found.
    listed = client.get(URL, headers=as_role, params={"status": "decommissioned"}).json()
    assert [c["code"] for c in listed["items"]] == [registered]


def test_history(client: TestClient, role: Role, as_role: Headers, registered: str) -> None:
    answer = client.get(f"{URL}/{registered}/history", headers=as_role)
    if not RIGHTS[role].history:
        assert answer.status_code == 403
        return
    assert answer.status_code == 200
    (created,) = answer.json()
    assert (created["action"], created["actor"]) == ("create", "cli:" + created["actor"][4:])
    phone = created["after"]["owner_phone"]
    assert phone == (OWNER["owner_phone"] if RIGHTS[role].owner else "***")


def test_export(client: TestClient, role: Role, as_role: Headers, registered: str) -> None:
    answer = client.get(f"{URL}/export", headers=as_role, params={"format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert registered in answer.text
    assert (OWNER["owner_phone"] in answer.text) is RIGHTS[role].owner


def test_missing_camera_is_404_for_every_role(client: TestClient, as_role: Headers) -> None:
    answer = client.get(f"{URL}/NOPE", headers=as_role)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_writes_return_warnings(
    client: TestClient, admin: Headers, session_factory: sessionmaker[Session]
) -> None:
    ward = [[107.07, 10.33], [107.10, 10.33], [107.10, 10.36], [107.07, 10.33]]
    feature = {
        "type": "Feature",
        "properties": {"code": "26506", "name": "Phường Vũng Tàu"},
        "geometry": {"type": "Polygon", "coordinates": [ward]},
    }
    with unit_of_work(session_factory) as session:
        document = {"type": "FeatureCollection", "features": [feature]}
        import_areas(session, document=document, actor=cli_actor())
    body = {"code": "VT-0300", "name": "x", "lat": 10.335, "lon": 107.095, "ward_code": "26526"}
    answer = client.post(URL, json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    (warning,) = answer.json()["warnings"]
    assert "26526" in warning
    assert "26506" in warning


def test_expected_stream_format_through_the_api(
    client: TestClient, headers_for: Callable[..., Headers], registered: str
) -> None:
    tech = headers_for(Role.TECHNICIAN)
    size = {"expected_width": 2560, "expected_height": 1440, "expected_fps": 20}
    patched = client.patch(f"{URL}/{registered}", json=size, headers={**tech, "If-Match": '"1"'})
    assert patched.status_code == 200, patched.text
    read = client.get(f"{URL}/{registered}", headers=headers_for(Role.INTEGRATION)).json()
    assert (read["expected_width"], read["expected_height"], read["expected_fps"]) == (
        2560,
        1440,
        20.0,
    )
    half = client.patch(
        f"{URL}/{registered}", json={"expected_width": 1920}, headers={**tech, "If-Match": '"2"'}
    )
    assert half.status_code == 422
    assert "expected_width and expected_height together" in half.text
    slow = client.patch(
        f"{URL}/{registered}", json={"expected_fps": 0.1}, headers={**tech, "If-Match": '"2"'}
    )
    assert slow.status_code == 422
    assert "expected_fps" in slow.text
    assert client.get(f"{URL}/{registered}", headers=tech).json()["version"] == 2
