"""Frame sources for files (PyAV); streams come later."""

from ingest.source.errors import MediaError
from ingest.source.file_source import FileSource

__all__ = ["FileSource", "MediaError"]
