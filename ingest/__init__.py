"""The media side: sources, motion detection, recording, health probes (later issues)."""
