"""Helpers that tests start as real services (the GStreamer RTSP server)."""
