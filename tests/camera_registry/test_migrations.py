"""The Alembic migrations produce exactly the tables the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from camera_registry.db.migrate import current_revision, head_revision
from camera_registry.db.models import Base


def test_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
