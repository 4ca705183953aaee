"""Root of the `camreg` command line; each command group lives in its own module."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import typer
from sqlalchemy.exc import DBAPIError

from api.cli import (
    account_commands,
    area_commands,
    audit_commands,
    camera_commands,
    config_commands,
    db_commands,
    demo_command,
    events_commands,
    serve_commands,
    transfer_commands,
)

app = typer.Typer(
    name="camreg",
    help="Camera network registry and motion-event indexer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(db_commands.app, name="db")
app.add_typer(config_commands.app, name="config")
app.add_typer(camera_commands.app, name="cameras")
transfer_commands.register(camera_commands.app)
app.add_typer(area_commands.app, name="areas")
app.add_typer(account_commands.users_app, name="users")
app.add_typer(account_commands.keys_app, name="keys")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(events_commands.app, name="events")
serve_commands.register(app)
demo_command.register(app)


def _plugged_in_commands() -> None:
    # Commands of the media side arrive through an entry point, so this layer never imports
    # the pipeline or the worker directly (an import-linter contract).
    for entry in entry_points(group="camreg.commands"):
        entry.load()(app)


_plugged_in_commands()


def _missing_schema(exc: DBAPIError) -> bool:
    """Return True when the database lacks a camreg table (never migrated, or migrated long ago)."""
    text = str(exc.orig).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def run() -> None:
    """Entry point of the `camreg` script."""
    try:
        app()
    except DBAPIError as exc:
        if not _missing_schema(exc):
            raise
        # Not a crash to debug: the database is older than this version of camreg.
        sys.stderr.write(
            "error: the database has no camreg tables or misses newer ones; "
            "run `camreg db upgrade` (it keeps existing data)\n"
        )
        raise SystemExit(2) from None
