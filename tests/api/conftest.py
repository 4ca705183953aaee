"""API fixtures: the app on the migrated test database, keys and users per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from camera_registry.account.apikey import create_api_key
from camera_registry.account.role import Role
from camera_registry.account.schema import ApiKeyCreate, ScopeData, UserCreate
from camera_registry.account.service import add_user
from camera_registry.actor import cli_actor
from camera_registry.camera.model import Camera
from camera_registry.camera.write import WriteContext
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings, load_settings
from tests.builders import make_camera

PASSWORD = "correct horse battery"
Headers = dict[str, str]


@pytest.fixture
def credentials_key() -> str:
    """A throw-away key for stream credentials."""
    return Fernet.generate_key().decode()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, credentials_key: str) -> Settings:
    """Settings on the test database; cookies without Secure so the test client sends them."""
    return load_settings(
        database_url=database_url,
        data_dir=tmp_path,
        credentials_key=credentials_key,
        max_page_size=50,
        http={"cookie_secure": False, "max_upload_bytes": 50_000},
        auth={"max_failed_logins": 3, "lockout_minutes": 15, "min_password_length": 10},
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    """The application (its tables are emptied after the test by session_factory)."""
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client that runs the app's lifespan."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def write_context(credentials_key: str) -> WriteContext:
    """A write context with the app's credentials key."""
    return WriteContext(cipher=CredentialCipher(credentials_key.encode()))


@pytest.fixture
def issue_key(session_factory: sessionmaker[Session]) -> Callable[..., str]:
    """Create an API key with a role (and optional scope); return the bearer key."""

    def issue(
        role: Role, *, wards: list[str] | None = None, cameras: list[str] | None = None
    ) -> str:
        scope = ScopeData(wards=wards or [], cameras=cameras or [])
        with unit_of_work(session_factory) as session:
            data = ApiKeyCreate(name=f"{role} key", role=role, scope=scope)
            return create_api_key(session, data=data, actor=cli_actor()).key

    return issue


@pytest.fixture
def headers_for(issue_key: Callable[..., str]) -> Callable[..., Headers]:
    """Return bearer headers for a new key with a role (and optional scope)."""

    def headers(role: Role, **scope: Any) -> Headers:
        return {"Authorization": f"Bearer {issue_key(role, **scope)}"}

    return headers


@pytest.fixture
def admin(headers_for: Callable[..., Headers]) -> Headers:
    """Bearer headers of an admin key."""
    return headers_for(Role.ADMIN)


@pytest.fixture
def add_person(session_factory: sessionmaker[Session]) -> Callable[..., None]:
    """Create a user who logs in with PASSWORD."""

    def add(username: str, role: Role = Role.INVESTIGATOR) -> None:
        with unit_of_work(session_factory) as session:
            data = UserCreate(username=username, role=role, password=SecretStr(PASSWORD))
            add_user(session, data=data, actor=cli_actor(), min_password_length=10)

    return add


@pytest.fixture
def cameras(
    session_factory: sessionmaker[Session], write_context: WriteContext
) -> Callable[..., list[Camera]]:
    """Create cameras with the given field overrides; return them."""

    def create(*overrides: dict[str, Any]) -> list[Camera]:
        with unit_of_work(session_factory) as session:
            return [make_camera(session, ctx=write_context, **o) for o in overrides]

    return create


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of the schema-driven fuzz test (deselect with -m 'not schemathesis')."""
    config.addinivalue_line(
        "markers", "schemathesis: property-based checks from the OpenAPI schema (SQLite only)"
    )
