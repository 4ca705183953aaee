"""`camreg config`: the effective settings."""

from __future__ import annotations

import typer

from api.cli.context import state
from api.cli.output import emit_json, stdout
from config import masked_settings

app = typer.Typer(help="Settings.", no_args_is_help=True)


@app.command("show")
def show_command(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Print the effective settings (file, then CAMREG_* environment) with secrets masked."""
    data = masked_settings(state(ctx).settings)
    if json_out:
        emit_json(data)
        return
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                stdout.print(f"{key}.{sub} = {subvalue!r}", highlight=False)
        else:
            stdout.print(f"{key} = {value!r}", highlight=False)
