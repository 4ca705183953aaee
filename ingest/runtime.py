"""What ingest entry points build from settings: engine, session factory, data folders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.engine import make_engine, make_session_factory
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings


@dataclass
class IngestRuntime:
    """Database access and storage folders for one ingest process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestRuntime:
        """Build the engine and session factory (no connection is opened yet)."""
        engine = make_engine(settings.effective_database_url)
        return cls(settings=settings, engine=engine, session_factory=make_session_factory(engine))

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """Open one unit of work."""
        with unit_of_work(self.session_factory) as session:
            yield session

    @property
    def footage_dir(self) -> Path:
        """Return where copied originals are kept."""
        return self.settings.data_dir / "footage"

    @property
    def thumbnail_dir(self) -> Path:
        """Return where event thumbnails are written."""
        return self.settings.data_dir / "thumbnails"

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()
