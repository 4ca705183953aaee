"""ETag/If-Match, cursor pagination (plain and radius order), scoped keys, GeoJSON, search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from camera_registry.account.role import Role
from camera_registry.camera.model import Camera
from tests.api.conftest import Headers

URL = "/api/v1/cameras"
WARD_A, WARD_B = "26506", "26526"


def test_if_match_rules(client: TestClient, admin: Headers, cameras: Callable[..., Any]) -> None:
    cameras({"code": "VT-0001"})
    url = f"{URL}/VT-0001"
    missing = client.patch(url, json={"name": "a"}, headers=admin)
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["detail"]
    etag = client.get(url, headers=admin).headers["ETag"]
    first = client.patch(url, json={"name": "a"}, headers={**admin, "If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"name": "b"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url, headers=admin).json()["name"] == "a"
    weak = client.patch(url, json={"name": "c"}, headers={**admin, "If-Match": 'W/"2"'})
    assert weak.status_code == 200
    several = client.patch(url, json={"name": "d"}, headers={**admin, "If-Match": '"1", "3"'})
    assert several.status_code == 200
    anything = client.patch(url, json={"name": "e"}, headers={**admin, "If-Match": "*"})
    assert anything.status_code == 200
    garbage = client.patch(url, json={"name": "f"}, headers={**admin, "If-Match": "nonsense"})
    assert garbage.status_code == 412
    retire_stale = client.delete(url, headers={**admin, "If-Match": '"1"'})
    assert retire_stale.status_code == 412


def _walk(client: TestClient, headers: Headers, params: dict[str, Any]) -> list[str]:
    codes: list[str] = []
    cursor = None
    for _ in range(50):
        answer = client.get(URL, headers=headers, params={**params, "cursor": cursor or ""})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        codes += [c["code"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            assert "Link" not in answer.headers
            return codes
        assert answer.headers["Link"].endswith('rel="next"')
        assert f"cursor={cursor}" in answer.headers["Link"]
    raise AssertionError("pagination did not end")


@pytest.fixture
def grid(cameras: Callable[..., list[Camera]]) -> list[Camera]:
    """23 cameras on a small grid around central Vũng Tàu."""
    return cameras(
        *(
            {
                "code": f"G-{n:03d}",
                "lat": 10.346 + (n % 5) * 0.001,
                "lon": 107.084 + (n // 5) * 0.001,
            }
            for n in range(23)
        )
    )


def test_pages_cover_everything_once_in_code_order(
    client: TestClient, admin: Headers, grid: list[Camera]
) -> None:
    codes = _walk(client, admin, {"limit": 4})
    assert codes == sorted(c.code for c in grid)


def test_radius_pages_cover_everything_once_by_distance(
    client: TestClient, admin: Headers, grid: list[Camera]
) -> None:
    params = {"limit": 5, "near": "10.346,107.084", "radius": 5000}
    codes = _walk(client, admin, params)
    assert sorted(codes) == sorted(c.code for c in grid)
    assert len(codes) == len(set(codes))
    every = client.get(URL, headers=admin, params={**params, "limit": 50}).json()["items"]
    distances = [c["distance_m"] for c in every]
    assert distances == sorted(distances)
    assert [c["code"] for c in every] == codes


def test_page_size_and_cursor_are_checked(client: TestClient, admin: Headers) -> None:
    too_big = client.get(URL, headers=admin, params={"limit": 51})
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "limit"
    damaged = client.get(URL, headers=admin, params={"cursor": "!!not-a-cursor!!"})
    assert damaged.status_code == 422


def test_scoped_keys_see_only_their_cameras(
    client: TestClient,
    admin: Headers,
    headers_for: Callable[..., Headers],
    cameras: Callable[..., Any],
) -> None:
    cameras(
        {"code": "IN-WARD", "ward_code": WARD_A},
        {"code": "OUT-1", "ward_code": WARD_B},
        {"code": "PICKED", "ward_code": WARD_B},
    )
    scoped = headers_for(Role.INTEGRATION, wards=[WARD_A], cameras=["PICKED"])
    listed = client.get(URL, headers=scoped).json()["items"]
    assert [c["code"] for c in listed] == ["IN-WARD", "PICKED"]
    assert client.get(f"{URL}/IN-WARD", headers=scoped).status_code == 200
    assert client.get(f"{URL}/OUT-1", headers=scoped).status_code == 404
    assert client.get(f"{URL}/OUT-1", headers=admin).status_code == 200
    found = client.post(f"{URL}/search", json={"q": "test camera"}, headers=scoped).json()
    assert [c["code"] for c in found["items"]] == ["IN-WARD", "PICKED"]
    exported = client.get(f"{URL}/export", headers=scoped, params={"format": "csv"}).text
    assert "IN-WARD" in exported
    assert "PICKED" in exported
    assert "OUT-1" not in exported
    me = client.get("/api/v1/auth/me", headers=scoped).json()
    assert me["scope"] == {"wards": [WARD_A], "cameras": ["PICKED"]}


def test_scoped_writer_cannot_touch_other_cameras(
    client: TestClient, headers_for: Callable[..., Headers], cameras: Callable[..., Any]
) -> None:
    cameras({"code": "OUT-1", "ward_code": WARD_B})
    scoped = headers_for(Role.TECHNICIAN, wards=[WARD_A])
    answer = client.patch(f"{URL}/OUT-1", json={"name": "x"}, headers={**scoped, "If-Match": '"1"'})
    assert answer.status_code == 404
    outside = {"code": "NEW-1", "name": "x", "lat": 10.35, "lon": 107.08, "ward_code": WARD_B}
    assert client.post(URL, json=outside, headers=scoped).status_code == 403


def test_polygon_search_and_geojson(
    client: TestClient, admin: Headers, cameras: Callable[..., Any]
) -> None:
    cameras(
        {
            "code": "INSIDE",
            "lat": 10.35,
            "lon": 107.08,
            "heading_deg": 90,
            "fov_deg": 60,
            "range_m": 50,
        },
        {"code": "OUTSIDE", "lat": 10.40, "lon": 107.15},
    )
    square = [[107.07, 10.34], [107.09, 10.34], [107.09, 10.36], [107.07, 10.36], [107.07, 10.34]]
    area = {"type": "Polygon", "coordinates": [square]}
    found = client.post(f"{URL}/search", json={"area": area}, headers=admin)
    assert found.status_code == 200, found.text
    assert [c["code"] for c in found.json()["items"]] == ["INSIDE"]
    geo = client.post(f"{URL}/search?format=geojson", json={"area": area}, headers=admin)
    assert geo.headers["content-type"] == "application/geo+json"
    (feature,) = geo.json()["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [107.08, 10.35]}
    views = client.get(URL, headers=admin, params={"format": "geojson", "geometry": "fov"}).json()
    assert [f["id"] for f in views["features"]] == ["INSIDE"]
    assert views["features"][0]["geometry"]["type"] == "Polygon"
    bad = client.post(
        f"{URL}/search", json={"area": {"type": "Polygon", "coordinates": [[]]}}, headers=admin
    )
    assert bad.status_code == 422
    swapped = client.get(URL, headers=admin, params={"near": "107.08,10.35", "radius": 10})
    assert swapped.status_code == 422
    assert swapped.json()["errors"][0]["field"] == "query.near"


def test_unknown_ward_filter_is_a_bad_input(client: TestClient, admin: Headers) -> None:
    answer = client.get(URL, headers=admin, params={"ward": "NO-SUCH-WARD"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "ward"
