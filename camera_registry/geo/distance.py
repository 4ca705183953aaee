"""Great-circle distances on a sphere of radius 6,371,008.8 m."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the haversine distance in metres between two lat/lon points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """Return the (lat, lon) reached from a point along a bearing after a distance."""
    delta = distance_m / EARTH_RADIUS_M
    theta = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(
        math.sin(p1) * math.cos(delta) + math.cos(p1) * math.sin(delta) * math.cos(theta)
    )
    l2 = l1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(p1),
        math.cos(delta) - math.sin(p1) * math.sin(p2),
    )
    return math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180


def radius_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """Return a (west, south, east, north) box that contains every point within the radius."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, dlat / coslat)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat
