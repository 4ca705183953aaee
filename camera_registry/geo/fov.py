"""Field of view: a sector from heading, angle and range, as a lon/lat polygon."""

from __future__ import annotations

from shapely.geometry import Polygon

from camera_registry.geo.distance import destination

MAX_RANGE_M = 2_000.0


def fov_sector(
    lat: float, lon: float, heading_deg: float, fov_deg: float, range_m: float, *, steps: int = 16
) -> Polygon:
    """Return the sector a camera sees: apex at the camera, opening `fov_deg` around `heading`."""
    if fov_deg >= 360:
        ring = [
            destination(lat, lon, i * 360.0 / (steps * 2), range_m)[::-1] for i in range(steps * 2)
        ]
        return Polygon(ring)
    start = heading_deg - fov_deg / 2
    arc = [
        destination(lat, lon, start + fov_deg * i / steps, range_m)[::-1] for i in range(steps + 1)
    ]
    return Polygon([(lon, lat), *arc, (lon, lat)])
