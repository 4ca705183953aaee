"""Commands of the media side (`camreg ingest …`, `camreg worker`), plugged into the root CLI.

The root CLI lives in `api/cli`, which may not import the pipeline or the worker; it loads these
through the `camreg.commands` entry point instead (see pyproject.toml).
"""

from __future__ import annotations

import typer

from ingest.cli import health_commands, ingest_commands, worker_commands


def register(app: typer.Typer) -> None:
    """Add the media-side command groups to the root app."""
    # Each command module adds itself here with one line: `<module>.register(app)`.
    ingest_commands.register(app)
    worker_commands.register(app)
    health_commands.register(app)
