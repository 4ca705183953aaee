"""`camreg health …`: run checks, read states and availability, manage alert webhooks."""

from __future__ import annotations

import typer

from ingest.cli import health_alert_commands, health_check_commands, health_read_commands

app = typer.Typer(
    help="Camera health: checks, states, availability, reference pictures and alerts.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    """Add `camreg health` to the root app."""
    health_check_commands.register(app)
    health_read_commands.register(app)
    health_alert_commands.register(app)
    root.add_typer(app, name="health")
