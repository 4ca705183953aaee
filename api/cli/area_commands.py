"""`camreg areas`: import ward boundaries (GeoJSON), list them, show one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape
from shapely.geometry import shape

from api.cli.context import state
from api.cli.output import domain_errors, emit_json, emit_table, fail, stderr, stdout, warn
from api.cli.transfer_commands import print_problems, read_limited
from camera_registry.area.model import AreaLevel
from camera_registry.area.service import import_areas, list_areas, read_area
from camera_registry.errors import InvalidArea

app = typer.Typer(help="Wards and other areas, with their validity periods.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print one JSON document on stdout.")
AT_OPT = typer.Option(None, "--at", help="Only areas valid on this date (YYYY-MM-DD).")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(escape(f"--at must be a date YYYY-MM-DD, got {value!r}"))


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="GeoJSON FeatureCollection."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; change nothing."),
    json_out: bool = JSON_OPT,
) -> None:
    """Import areas from GeoJSON, all or nothing, upserted by code and start date.

    Properties: code, name, level (ward by default), parent_code, valid_from, valid_to,
    replaced_by (codes of the units that took over the day after valid_to). Afterwards cameras
    without a ward get the current ward that contains them.
    """
    st = state(ctx)
    content = read_limited(ctx, file)
    with domain_errors(), st.unit() as session:
        try:
            report = import_areas(session, document=content, actor=st.actor, dry_run=dry_run)
        except InvalidArea as exc:
            if not exc.problems:
                raise
            print_problems(exc.problems, "feature")
            fail(f"area file rejected with {len(exc.problems)} problems; nothing was changed")
    for message in report.warnings:
        warn(escape(message))
    if json_out:
        emit_json(report)
        return
    stdout.print(
        f"areas: {report.created} created, {report.updated} updated, {report.unchanged} unchanged;"
        f" {report.successions} successions; {report.cameras_assigned} cameras given a ward"
        + (" (dry run: nothing was changed)" if dry_run else ""),
        highlight=False,
        soft_wrap=True,
    )


@app.command("list")
def list_command(
    ctx: typer.Context,
    at: str | None = AT_OPT,
    level: AreaLevel | None = typer.Option(None, help="Only this level."),
    json_out: bool = JSON_OPT,
) -> None:
    """List areas (every period, or those valid on --at), by code."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        areas = list_areas(session, on=_day(at), level=level)
    if json_out:
        emit_json([a.model_dump(mode="json", exclude={"geometry"}) for a in areas])
        return
    rows = [
        {
            **a.model_dump(),
            "replaced_by": ", ".join(a.replaced_by),
            "replaces": ", ".join(a.replaces),
        }
        for a in areas
    ]
    columns = ["code", "name", "level", "parent_code", "valid_from", "valid_to"]
    emit_table(rows, [*columns, "replaced_by", "replaces"])
    stderr.print(f"{len(areas)} areas")


@app.command("show")
def show_command(
    ctx: typer.Context,
    code: str,
    at: str | None = AT_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Show one area (the period valid today, or on --at) with its geometry."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        area = read_area(session, code=code, on=_day(at))
    if json_out:
        emit_json(area.model_dump(mode="json"))
        return
    for key, value in area.model_dump(exclude={"geometry"}).items():
        if value not in (None, [], ""):
            stdout.print(f"[bold]{key}[/]: {escape(str(value))}", highlight=False)
    if area.geometry:
        geometry = shape(area.geometry)
        west, south, east, north = geometry.bounds
        stdout.print(
            f"[bold]geometry[/]: {geometry.geom_type}, bounds {west:.5f},{south:.5f},"
            f"{east:.5f},{north:.5f} (lon/lat)",
            highlight=False,
        )
