"""The interactive API documentation, served from the installed swagger-ui-bundle (no CDN)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path


def mount_docs(app: FastAPI, prefix: str) -> None:
    """Serve Swagger UI at `<prefix>/docs` with its scripts from this server."""
    assets = f"{prefix}/docs/assets"
    app.mount(assets, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        """Return the Swagger UI page."""
        return get_swagger_ui_html(
            openapi_url=f"{prefix}/openapi.json",
            title="camreg API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )
