"""`camreg db`: schema migrations."""

from __future__ import annotations

import typer

from api.cli.context import state
from api.cli.output import emit_json, stderr
from camera_registry.db.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Migrate the database to the newest schema."""
    runtime = state(ctx).runtime
    before = current_revision(runtime.engine)
    upgrade(runtime.engine)
    after = current_revision(runtime.engine)
    if json_out:
        emit_json({"from": before, "to": after})
    else:
        stderr.print(f"database at revision {after} (was {before or 'empty'})")


@app.command("status")
def status_command(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Show the database revision and whether it is up to date."""
    runtime = state(ctx).runtime
    current, head = current_revision(runtime.engine), head_revision()
    if json_out:
        emit_json({"current": current, "head": head, "up_to_date": current == head})
    else:
        stderr.print(f"current {current or 'empty'}, newest {head}")
