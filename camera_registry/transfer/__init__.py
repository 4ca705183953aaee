"""Bulk import and export of cameras (CSV, XLSX, GeoJSON); the API is in `service`."""
