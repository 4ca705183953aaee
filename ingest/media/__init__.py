"""Media the API may serve: clips cut from recordings by remuxing (PyAV, no OpenCV)."""
