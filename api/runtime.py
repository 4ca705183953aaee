"""What every entry point builds from settings: engine, session factory, credentials cipher."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.camera.write import WriteContext
from camera_registry.crypto import CredentialCipher, load_or_create_key
from camera_registry.db.engine import make_engine, make_session_factory
from config import Settings


@dataclass
class Runtime:
    """Database access and secrets for one process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    _cipher: CredentialCipher | None = field(default=None, init=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        """Build the engine and session factory (no connection is opened yet)."""
        engine = make_engine(settings.effective_database_url)
        return cls(settings=settings, engine=engine, session_factory=make_session_factory(engine))

    @property
    def cipher(self) -> CredentialCipher:
        """Return the credentials cipher, creating the key file on first use."""
        if self._cipher is None:
            key = load_or_create_key(
                self.settings.credentials_key.get_secret_value(), self.settings.effective_key_file
            )
            self._cipher = CredentialCipher(key)
        return self._cipher

    def write_context(self) -> WriteContext:
        """Return a fresh context for camera writes."""
        return WriteContext(cipher=self.cipher)

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()
