"""Motion detection (OpenCV) and the segmenter that turns samples into events."""
