"""Mount the web page on the FastAPI app: shell, configuration, own and vendored static files."""

from __future__ import annotations

import os
from pathlib import Path

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from api.web.config import content_security_policy, web_config
from config import Settings

STATIC_DIR = Path(__file__).with_name("static")
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
MARKERCLUSTER_DIR = Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)

_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class _StaticFiles(StaticFiles):
    """Static files that are never sniffed and are revalidated (the page has no build step)."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """Return the file with security and cache headers."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_COMMON_HEADERS)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_web(app: FastAPI, settings: Settings) -> None:
    """Serve the page at `/`, its settings at `/web-config.json`, its files under `/static`."""
    policy = content_security_policy(settings)
    page_headers = {
        **_COMMON_HEADERS,
        "Content-Security-Policy": policy,
        "Cache-Control": "no-cache",
    }
    config = web_config(settings)

    async def index() -> FileResponse:
        """Return the page shell."""
        return FileResponse(STATIC_DIR / "index.html", headers=page_headers, media_type="text/html")

    async def read_web_config() -> JSONResponse:
        """Return what the page needs from settings."""
        return JSONResponse(config, headers={**_COMMON_HEADERS, "Cache-Control": "no-cache"})

    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/web-config.json", read_web_config, methods=["GET"], include_in_schema=False)
    app.mount("/static/vendor/leaflet", _StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    app.mount(
        "/static/vendor/markercluster",
        _StaticFiles(directory=MARKERCLUSTER_DIR),
        name="markercluster",
    )
    app.mount("/static", _StaticFiles(directory=STATIC_DIR), name="static")
