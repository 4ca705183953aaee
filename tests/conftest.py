"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, migrated by Alembic."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import Actor, cli_actor
from camera_registry.camera.write import WriteContext
from camera_registry.crypto import CredentialCipher
from camera_registry.db.base import Base
from camera_registry.db.engine import make_engine, make_session_factory
from camera_registry.db.migrate import upgrade
from camera_registry.db.unit_of_work import unit_of_work
from ingest import db_models as _ingest_tables  # noqa: F401 - so every table is emptied

PG_ADMIN_URL = os.environ.get(
    "CAMREG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


def _pg_database(tmp_name: str) -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{tmp_name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not usable: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{tmp_name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{tmp_name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database URL, once per backend and test session."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "camreg.db"
        url = f"sqlite:///{path.as_posix()}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"camreg_test_{worker}_{uuid.uuid4().hex[:8]}"
    for url in _pg_database(name):
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The engine of the session's database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _clear(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names from metadata


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory on an empty database; every table is emptied after the test."""
    yield make_session_factory(engine)
    _clear(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for the test body, committed at the end."""
    with unit_of_work(session_factory) as s:
        yield s


@pytest.fixture
def actor() -> Actor:
    """The local operator (admin)."""
    return cli_actor()


@pytest.fixture
def cipher() -> CredentialCipher:
    """A credentials cipher with a throw-away key."""
    return CredentialCipher(Fernet.generate_key())


@pytest.fixture
def write_ctx(cipher: CredentialCipher) -> WriteContext:
    """What camera writes need."""
    return WriteContext(cipher=cipher)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark PostgreSQL-parametrised tests so `-m 'not postgres'` can skip them locally."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
