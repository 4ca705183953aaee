"""Motion events, recorded footage and coverage: tables, schemas and search (no OpenCV, no PyAV)."""
