"""Camera and area uploads: size limit, permission first, dry run, all or nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.area.model import Area
from camera_registry.camera.model import Camera
from tests.api.conftest import Headers

IMPORT = "/api/v1/cameras/import"
CSV = (
    "code,name,lat,lon,owner_phone\n"
    "VT-0001,Chợ Xóm Lưới,10.3501,107.0801,0903123456\n"
    "VT-0002,Bãi Sau,10.3392,107.0962,\n"
).encode()
WARD = {
    "type": "Feature",
    "properties": {"code": "26506", "name": "Phường Vũng Tàu", "level": "ward"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[107.07, 10.33], [107.10, 10.33], [107.10, 10.36], [107.07, 10.33]]],
    },
}


def _cameras(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Camera)) or 0)


def test_import_dry_run_then_for_real(
    client: TestClient, admin: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = {"file": ("cameras.csv", CSV, "text/csv")}
    dry = client.post(IMPORT, params={"dry_run": True}, files=files, headers=admin)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["dry_run"], dry.json()["created"]) == (True, ["VT-0001", "VT-0002"])
    assert _cameras(session_factory) == 0
    real = client.post(IMPORT, files=files, headers=admin)
    assert real.json()["created"] == ["VT-0001", "VT-0002"]
    assert _cameras(session_factory) == 2


def test_rejected_import_lists_rows_and_writes_nothing(
    client: TestClient, admin: Headers, session_factory: sessionmaker[Session]
) -> None:
    bad = CSV + b"VT-0003,Lat swapped,107.08,10.35,\n"
    answer = client.post(IMPORT, files={"file": ("c.csv", bad, "text/csv")}, headers=admin)
    assert answer.status_code == 422
    assert any(e.get("line") == 4 for e in answer.json()["errors"])
    assert _cameras(session_factory) == 0


def test_oversized_upload_is_413_and_writes_nothing(
    client: TestClient, admin: Headers, session_factory: sessionmaker[Session]
) -> None:
    rows = b"".join(f"VT-{n:04d},Camera {n},10.35,107.08,\n".encode() for n in range(3, 3000))
    big = CSV + rows
    assert len(big) > 50_000
    answer = client.post(IMPORT, files={"file": ("c.csv", big, "text/csv")}, headers=admin)
    assert answer.status_code == 413
    assert _cameras(session_factory) == 0

    def chunks() -> Iterator[bytes]:
        # No Content-Length: the server must count while reading and stop.
        boundary = b"--b\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\n'
        yield from (big[i : i + 4096] for i in range(0, len(big), 4096))
        yield b"\r\n--b--\r\n"

    streamed = client.post(
        IMPORT,
        content=chunks(),
        headers={**admin, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert _cameras(session_factory) == 0


def test_permission_is_checked_before_the_upload_is_read(
    client: TestClient, headers_for: Callable[..., Headers]
) -> None:
    investigator = headers_for(Role.INVESTIGATOR)
    files = {"file": ("cameras.csv", CSV, "text/csv")}
    assert client.post(IMPORT, files=files, headers=investigator).status_code == 403
    assert client.post(IMPORT, files=files).status_code == 401


def test_upload_needs_the_file_field_and_a_known_format(client: TestClient, admin: Headers) -> None:
    missing = client.post(IMPORT, data={"other": "x"}, headers=admin)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "file"
    unknown = client.post(IMPORT, files={"file": ("c.txt", CSV, "text/plain")}, headers=admin)
    assert unknown.status_code == 422
    named = client.post(
        IMPORT, params={"format": "csv"}, files={"file": ("c.txt", CSV)}, headers=admin
    )
    assert named.status_code == 200


def test_area_import_for_admins_then_outlines(
    client: TestClient,
    admin: Headers,
    headers_for: Callable[..., Headers],
    session_factory: sessionmaker[Session],
) -> None:
    document = json.dumps({"type": "FeatureCollection", "features": [WARD]}).encode()
    files = {"file": ("wards.geojson", document, "application/geo+json")}
    technician = headers_for(Role.TECHNICIAN)
    assert client.post("/api/v1/areas/import", files=files, headers=technician).status_code == 403
    dry = client.post("/api/v1/areas/import?dry_run=true", files=files, headers=admin)
    assert dry.status_code == 200, dry.text
    assert dry.json()["created"] == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Area)) == 0
    assert client.post("/api/v1/areas/import", files=files, headers=admin).json()["created"] == 1
    listed = client.get("/api/v1/areas", headers=technician).json()
    assert [(a["code"], a["name"]) for a in listed] == [("26506", "Phường Vũng Tàu")]
    one = client.get("/api/v1/areas/26506", headers=technician).json()
    assert one["geometry"]["type"] == "Polygon"
    for url in ("/api/v1/areas.geojson", "/api/v1/areas?format=geojson"):
        outlines = client.get(url, headers=technician)
        assert outlines.headers["content-type"] == "application/geo+json"
        assert [f["id"] for f in outlines.json()["features"]] == ["26506"]
    assert client.get("/api/v1/areas/99999", headers=technician).status_code == 404
