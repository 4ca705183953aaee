"""How the page is served: security headers, settings for the page, vendored map libraries."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.web.config import content_security_policy, tile_origin
from api.web.routes import mount_web
from config import Settings, load_settings


class _Client:
    """Requests straight to the ASGI app (no server, no database)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        """GET a path."""

        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
                return await client.get(path)

        # Its own thread: Playwright's sync API may hold an event loop on this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, fetch()).result()


def _client(tmp_path: Path, **overrides: object) -> _Client:
    settings = load_settings(data_dir=tmp_path, **overrides)
    app = FastAPI()
    mount_web(app, settings)
    return _Client(app)


def test_page_has_a_strict_policy_and_no_inline_script(tmp_path: Path) -> None:
    response = _client(tmp_path).get("/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "img-src 'self' data:;" in policy
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.text
    assert "<script>" not in body
    assert "http://" not in body
    assert "https://" not in body
    assert 'lang="vi"' in body


def test_web_config_gives_language_zone_and_map(tmp_path: Path) -> None:
    client = _client(tmp_path, map={"tile_url": "", "zoom": 14})
    config = client.get("/web-config.json").json()
    assert config["language"] == "vi"
    assert config["time_zone"] == "Asia/Ho_Chi_Minh"
    assert config["map"]["tile_url"] == ""
    assert config["map"]["zoom"] == 14
    assert config["map"]["center"] == [10.36, 107.09]


def test_vendored_leaflet_and_markercluster_are_served(tmp_path: Path) -> None:
    client = _client(tmp_path)
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/markercluster/leaflet.markercluster.js",
        "/static/vendor/markercluster/MarkerCluster.Default.css",
        "/static/js/main.js",
        "/static/i18n/vi.js",
        "/static/css/app.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "javascript" in client.get("/static/js/main.js").headers["content-type"]
    assert client.get("/static/%2e%2e/routes.py").status_code == 404
    assert client.get("/static/vendor/leaflet/%2e%2e/%2e%2e/__init__.py").status_code == 404


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("", None),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8080/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ],
)
def test_tile_origin(url: str, origin: str | None) -> None:
    assert tile_origin(url) == origin


def test_configured_tiles_are_allowed_as_images(tmp_path: Path) -> None:
    settings: Settings = load_settings(
        data_dir=tmp_path, map={"tile_url": "https://{s}.tile.example.org/{z}/{x}/{y}.png"}
    )
    assert "img-src 'self' data: https://*.tile.example.org;" in content_security_policy(settings)
