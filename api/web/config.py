"""What the page needs to know from settings, and the Content-Security-Policy that guards it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from config import Settings


def tile_origin(tile_url: str) -> str | None:
    """Return the CSP source of a tile URL template, or None when tiles come from this server."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc
    if "{" in host:
        # A template such as {s}.tile.example.org: allow every subdomain of the fixed part.
        labels = host.split(".")
        fixed = [label for label in labels if "{" not in label]
        host = "*." + ".".join(fixed) if fixed else "*"
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: Settings) -> str:
    """Return a strict policy: only this server's scripts and styles, tiles from their host."""
    images = ["'self'", "data:"]
    origin = tile_origin(settings.map.tile_url)
    if origin:
        images.append(origin)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": " ".join(images),
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def web_config(settings: Settings) -> dict[str, Any]:
    """Return the settings the page reads at start: language, map, time zone."""
    return {
        "language": settings.language,
        "time_zone": settings.display_timezone,
        "api_base": "/api/v1",
        "map": {
            "center": [settings.map.center_lat, settings.map.center_lon],
            "zoom": settings.map.zoom,
            "tile_url": settings.map.tile_url,
            "tile_attribution": settings.map.tile_attribution,
        },
        "max_upload_bytes": settings.http.max_upload_bytes,
        "max_page_size": settings.max_page_size,
    }
