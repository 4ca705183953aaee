"""Geometry: distances, fields of view, polygons (GeoJSON is lon/lat)."""
