"""API documentation served without a CDN; ward outlines carry their periods and successions."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import cli_actor
from camera_registry.area.service import import_areas
from camera_registry.db.unit_of_work import unit_of_work
from tests.api.conftest import Headers


def _square(west: float, south: float, east: float, north: float) -> dict[str, object]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_docs_page_loads_its_scripts_from_this_server(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(src.startswith("/api/v1/docs/assets/") for src in sources)
    for src in sources:
        assert client.get(src).status_code == 200


def test_outlines_carry_level_period_and_successors(
    client: TestClient, admin: Headers, session_factory: sessionmaker[Session]
) -> None:
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": _square(107.0, 10.3, 107.1, 10.4),
                "properties": {
                    "code": "OLD",
                    "name": "Phường 1",
                    "valid_to": "2025-06-30",
                    "replaced_by": ["NEW"],
                },
            },
            {
                "type": "Feature",
                "geometry": _square(107.0, 10.3, 107.1, 10.4),
                "properties": {"code": "NEW", "name": "Phường Mới", "valid_from": "2025-07-01"},
            },
        ],
    }
    with unit_of_work(session_factory) as session:
        import_areas(session, document=document, actor=cli_actor())
    old = client.get(
        "/api/v1/areas", params={"format": "geojson", "at": "2025-06-30"}, headers=admin
    ).json()
    props = old["features"][0]["properties"]
    assert props["code"] == "OLD"
    assert props["level"] == "ward"
    assert props["valid_to"] == "2025-06-30"
    assert props["replaced_by"] == ["NEW"]
    new = client.get("/api/v1/areas.geojson", headers=admin).json()
    assert new["features"][0]["properties"]["replaces"] == ["OLD"]
    assert new["features"][0]["properties"]["valid_from"] == "2025-07-01"


def test_clearing_a_position_is_refused(client: TestClient, admin: Headers) -> None:
    created = client.post(
        "/api/v1/cameras",
        headers=admin,
        json={"code": "POS-1", "name": "x", "lat": 10.35, "lon": 107.08},
    )
    assert created.status_code == 201
    answer = client.patch(
        "/api/v1/cameras/POS-1",
        headers={**admin, "If-Match": '"1"'},
        json={"lat": None, "lon": None},
    )
    assert answer.status_code == 422
    assert "cannot be cleared" in answer.text
