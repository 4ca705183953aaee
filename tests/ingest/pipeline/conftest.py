"""An ingest runtime on the test database with a throw-away data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config import load_settings
from ingest.runtime import IngestRuntime


@pytest.fixture
def runtime(
    database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> Iterator[IngestRuntime]:
    """A runtime whose tables are emptied after the test (through `session_factory`)."""
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "var")
    rt = IngestRuntime.from_settings(settings)
    yield rt
    rt.close()
