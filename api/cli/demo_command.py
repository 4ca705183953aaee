"""`camreg demo`: migrate, import the samples, create a demo admin, serve the map."""

from __future__ import annotations

import secrets
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from sqlalchemy import select

from api.cli.context import CliState, state
from api.cli.output import domain_errors, emit_json, fail, stderr
from camera_registry.account.model import User
from camera_registry.account.role import Role
from camera_registry.account.schema import UserCreate, UserUpdate
from camera_registry.account.service import add_user, update_user
from camera_registry.area.service import import_areas
from camera_registry.camera.ward_assignment import assign_missing_wards
from camera_registry.db.migrate import upgrade
from camera_registry.transfer.service import TransferFormat, import_cameras

DEMO_USER = "admin"


def _import_samples(st: CliState, samples: Path) -> dict[str, int]:
    areas_file, cameras_file = samples / "areas.geojson", samples / "cameras.csv"
    for needed in (areas_file, cameras_file):
        if not needed.is_file():
            fail(f"sample file {needed} is missing; run from the repository root or pass --samples")
    with domain_errors(), st.unit() as session:
        areas = import_areas(session, document=areas_file.read_bytes(), actor=st.actor)
        assign_missing_wards(session, actor=st.actor)
        report = import_cameras(
            session,
            content=cameras_file.read_bytes(),
            fmt=TransferFormat.CSV,
            actor=st.actor,
            ctx=st.runtime.write_context(),
        )
    return {
        "areas_created": areas.created,
        "cameras_created": len(report.created),
        "cameras_updated": len(report.updated),
        "cameras_unchanged": len(report.unchanged),
    }


def _demo_steps(st: CliState, samples: Path) -> list[dict[str, Any]]:
    """Run every `camreg.demo_steps` entry point (the media side plugs in its footage here)."""
    # Loaded by entry point: this layer may not import the pipeline (an import-linter contract).
    results = []
    for entry in sorted(entry_points(group="camreg.demo_steps"), key=lambda e: e.name):
        with domain_errors():
            summary = entry.load()(st.settings, samples)
        results.append({"step": entry.name, **dict(summary)})
    return results


def _step_lines(steps: list[dict[str, Any]]) -> str:
    lines = []
    for step in steps:
        if "states" in step:
            states = ", ".join(f"{n} {state}" for state, n in step["states"].items())
            lines.append(f"  {step['step']}: {step.get('checked', 0)} cameras checked: {states}")
            continue
        cameras = ", ".join(step.get("cameras") or [])
        line = f"  {step['step']}: {step.get('events', 0)} events on {cameras or 'no camera'}"
        window = step.get("window")
        if window:
            line += (
                f"\n    search near {step.get('near')} within {step.get('radius_m')} m"
                f"\n    from {window['from']} to {window['to']}"
            )
        for failure in step.get("failures") or []:
            line += f"\n    [yellow]not indexed:[/] {escape(str(failure))}"
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def _demo_admin(st: CliState) -> str:
    """Create the demo admin, or give it a fresh password when it exists already."""
    password = secrets.token_urlsafe(12)
    min_length = st.settings.auth.min_password_length
    with domain_errors(), st.unit() as session:
        exists = session.scalar(select(User.id).where(User.username == DEMO_USER)) is not None
        if exists:
            update_user(
                session,
                username=DEMO_USER,
                data=UserUpdate(password=password, disabled=False),
                actor=st.actor,
                min_password_length=min_length,
            )
        else:
            add_user(
                session,
                data=UserCreate(
                    username=DEMO_USER,
                    display_name="Quản trị demo",
                    role=Role.ADMIN,
                    password=password,
                ),
                actor=st.actor,
                min_password_length=min_length,
            )
    return password


def demo_command(
    ctx: typer.Context,
    samples: Path = typer.Option(Path("samples"), help="Folder with areas.geojson, cameras.csv."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web page afterwards."),
    host: str | None = typer.Option(None, help="Address to listen on (default from settings)."),
    port: int | None = typer.Option(None, help="Port (default from settings)."),
    json_out: bool = typer.Option(False, "--json", help="Print the set-up summary as JSON."),
) -> None:
    """Set up a working registry from the samples and serve it on http://127.0.0.1:8000."""
    st = state(ctx)
    upgrade(st.runtime.engine)
    summary = _import_samples(st, samples)
    steps = _demo_steps(st, samples)
    password = _demo_admin(st)
    listen_host = host or st.settings.http.host
    listen_port = port or st.settings.http.port
    url = f"http://{listen_host}:{listen_port}/"
    result = {
        **summary,
        "steps": steps,
        "url": url,
        "username": DEMO_USER,
        "password": password,
        "database": st.settings.effective_database_url,
    }
    if json_out:
        emit_json(result)
    else:
        stderr.print(
            f"\n[bold green]camreg demo is ready[/]\n"
            f"  database: {result['database']}\n"
            f"  cameras:  {summary['cameras_created']} new, {summary['cameras_updated']} updated, "
            f"{summary['cameras_unchanged']} unchanged\n"
            f"{_step_lines(steps)}"
            f"  open [bold]{url}[/] and log in as [bold]{DEMO_USER}[/] "
            f"with password [bold]{password}[/]\n"
            f"  (the password is new each time `make demo` runs; Ctrl+C stops the server)\n",
            highlight=False,
        )
    if serve:
        from api.cli.serve_commands import serve_app

        serve_app(st.settings, host=listen_host, port=listen_port)


def register(app: typer.Typer) -> None:
    """Add `camreg demo` to the root app."""
    app.command("demo")(demo_command)
