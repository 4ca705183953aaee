"""`camreg health status|report|history|reference`: read states and availability, set references.

Same conventions as the rest of the CLI: `--json` prints exactly one JSON document on stdout
(arrays for listings), messages go to stderr, times are shown in the display zone with their
offset, naive input times are read in the display zone, and a refusal exits 2 with a message
that says what to fix. The CLI acts as the local operator (`cli:<os user>`, admin).
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from camera_registry.actor import Actor, cli_actor
from camera_registry.camera.model import CameraStatus
from camera_registry.clock import parse_local_time, zoned
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import CamregError
from config import Settings, load_settings
from ingest.health.availability import MAX_REPORT_DAYS, availability
from ingest.health.reading import camera_timelines, list_checks, list_states, stored_file
from ingest.health.reference import clear_reference, set_reference
from ingest.health.schema import Availability, AvailabilityReport, CameraTimelines, CheckRead
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from ingest.runtime import IngestRuntime

stderr = Console(stderr=True)
stdout = Console()
_STYLE = {"online": "green", "degraded": "yellow", "offline": "red", "unknown": "dim"}
_CASE_RE = re.compile(r"^[A-Za-z0-9./_ -]{1,64}$")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")]
CameraOpt = Annotated[list[str] | None, typer.Option("--camera", help="Camera code (repeatable).")]
WardOpt = Annotated[str | None, typer.Option("--ward", help="Ward (or area) code.")]
StatusOpt = Annotated[
    list[CameraStatus] | None,
    typer.Option("--status", help="Registry status of the cameras (repeatable)."),
]
CaseOpt = Annotated[
    str | None, typer.Option("--case", help="Case number, recorded in the audit log.")
]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `camreg health` group."""
    app.command("status")(status_command)
    app.command("report")(report_command)
    app.command("history")(history_command)
    app.command("reference")(reference_command)


def _fail(message: str) -> NoReturn:
    escaped = message.replace("[", r"\[")
    stderr.print(f"[bold red]error:[/] {escaped}", highlight=False)
    raise typer.Exit(2)


@contextmanager
def _unit() -> Iterator[tuple[Settings, Session]]:
    """Load settings and open one unit of work; domain errors become exit 2 with their message."""
    try:
        settings = load_settings()
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        _fail(f"invalid settings ({details}); check CAMREG_* variables and the config file")
    runtime = IngestRuntime.from_settings(settings)
    try:
        with unit_of_work(runtime.session_factory) as session:
            yield settings, session
    except CamregError as exc:
        _fail(exc.message)
    finally:
        runtime.close()


def _actor(case: str | None) -> Actor:
    actor = cli_actor()
    if case is None:
        return actor
    if not _CASE_RE.match(case):
        _fail("--case: 1-64 letters, digits, spaces and . / _ -")
    return dataclasses.replace(actor, case_number=case)


def _time(value: str, option: str, zone: tzinfo) -> datetime:
    try:
        return parse_local_time(value, zone, option)
    except ValueError as exc:
        _fail(str(exc))


def _plain(model: BaseModel, zone: tzinfo) -> Any:
    # Dump with Python datetimes kept, so _zoned can show them in the display zone.
    return zoned(model.model_dump(mode="python"), zone)


def _emit(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _when(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S%z") if value else ""


def _when_minute(value: datetime | None, zone: tzinfo) -> str:
    # Date and "HH:MM+0700" wrap onto two lines of a narrow column without losing the offset.
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M%z") if value else ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes:02d}m" if days else f"{hours}h {minutes:02d}m"


def status_command(
    state: Annotated[
        list[HealthState] | None, typer.Option("--state", help="Only this state (repeatable).")
    ] = None,
    reason: Annotated[
        list[Reason] | None, typer.Option("--reason", help="Cameras with this reason (repeatable).")
    ] = None,
    ward: WardOpt = None,
    camera: CameraOpt = None,
    status: StatusOpt = None,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show each camera's current state, problems first (the longest lasting first)."""
    actor = _actor(case)
    with _unit() as (settings, session):
        listing = list_states(
            session,
            actor=actor,
            health=settings.health,
            codes=camera or [],
            ward=ward,
            status=status or [],
            states=state or [],
            reasons=reason or [],
        )
    zone = settings.zone
    if as_json:
        _emit([_plain(item, zone) for item in listing.items])
        return
    table = Table(title=f"Camera health at {_when(listing.at, zone)}")
    for column in ("camera", "state", "reasons", "since", "for", "last check", "latency ms"):
        table.add_column(column, overflow="fold")  # never cut a time's offset
    for item in listing.items:
        style = _STYLE[item.state.value]
        table.add_row(
            item.camera,
            f"[{style}]{item.state.value}[/]",
            ", ".join(r.value for r in item.reasons),
            _when_minute(item.since, zone),
            _duration(item.duration_s),
            _when_minute(item.last_check_at, zone),
            "" if item.latency_ms is None else f"{item.latency_ms:.0f}",
        )
    stdout.print(table)
    counts = ", ".join(f"{k.value} {v}" for k, v in listing.counts.items())
    stderr.print(f"{len(listing.items)} cameras shown; in scope: {counts}", highlight=False)


def _share_row(label: str, row: Availability) -> list[str]:
    share = row.share
    return [
        label,
        str(row.cameras),
        *(f"{100 * share[s]:.1f}%" for s in HealthState),
        str(row.incidents),
        _duration(row.longest_outage_s),
        f"{100 * row.recorded_share:.1f}%",
    ]


def _report_table(report: AvailabilityReport, zone: tzinfo) -> None:
    title = f"Availability {_when(report.start, zone)} → {_when(report.end, zone)}"
    table = Table(title=title)
    for column in ("", "cameras", *(s.value for s in HealthState)):
        table.add_column(column, overflow="fold")  # never cut a time's offset
    for column in ("incidents", "longest outage", "recorded"):
        table.add_column(column, overflow="fold")  # never cut a time's offset
    for cam in report.cameras:
        table.add_row(*_share_row(cam.camera, cam))
    table.add_section()
    for ward in report.wards:
        table.add_row(*_share_row(f"ward {ward.ward or '(none)'}", ward))
    table.add_section()
    table.add_row(*_share_row("city", report.city))
    stdout.print(table)


def _intervals_table(timelines: CameraTimelines, zone: tzinfo) -> None:
    table = Table(title="States over the window")
    for column in ("camera", "state", "reasons", "from", "to", "for"):
        table.add_column(column, overflow="fold")  # never cut a time's offset
    for timeline in timelines.cameras:
        for iv in timeline.intervals:
            style = _STYLE[iv.state.value]
            table.add_row(
                timeline.camera,
                f"[{style}]{iv.state.value}[/]",
                ", ".join(r.value for r in iv.reasons),
                _when(iv.start, zone),
                "now" if iv.ongoing else _when(iv.end, zone),
                _duration((iv.end - iv.start).total_seconds()),
            )
        table.add_section()
    stdout.print(table)


def report_command(
    start: Annotated[
        str, typer.Option("--from", help="Window start, ISO 8601 (naive = display zone).")
    ],
    end: Annotated[str, typer.Option("--to", help="Window end, ISO 8601 (naive = display zone).")],
    ward: WardOpt = None,
    camera: CameraOpt = None,
    status: StatusOpt = None,
    intervals: Annotated[
        bool,
        typer.Option(
            "--intervals",
            help="Also list each camera's states over the window, stretch by stretch.",
        ),
    ] = False,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show time online, degraded, offline and unknown per camera, ward and city, with footage."""
    actor = _actor(case)
    timelines: CameraTimelines | None = None
    with _unit() as (settings, session):
        zone = settings.zone
        report = availability(
            session,
            actor=actor,
            health=settings.health,
            start=_time(start, "--from", zone),
            end=_time(end, "--to", zone),
            codes=camera or [],
            ward=ward,
            status=status or [],
        )
        codes = [row.camera for row in report.cameras]
        if intervals and codes:
            # The local operator asked for these cameras: no per-request cap, the report's window.
            timelines = camera_timelines(
                session,
                codes=codes,
                actor=actor,
                health=settings.health,
                start=report.start,
                end=report.end,
                max_cameras=len(codes),
                max_days=MAX_REPORT_DAYS,
            )
    if as_json:
        document = _plain(report, zone)
        if intervals:
            document["intervals"] = (
                [_plain(t, zone) for t in timelines.cameras] if timelines else []
            )
        _emit(document)
        return
    _report_table(report, zone)
    if timelines is not None:
        _intervals_table(timelines, zone)


def _check_data(check: CheckRead, settings: Settings) -> Any:
    data = _plain(check, settings.zone)
    if check.snapshot:
        data["snapshot"] = str(stored_file(settings.data_dir, check.snapshot))
    return data


def history_command(
    code: Annotated[str, typer.Argument(help="Camera code.")],
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Most checks, newest first.")] = 50,
    tier: Annotated[CheckTier | None, typer.Option(help="Only checks of this tier.")] = None,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a camera's latest check results (not debounced), newest first."""
    actor = _actor(case)
    with _unit() as (settings, session):
        page = list_checks(session, code=code, actor=actor, limit=limit, tier=tier)
        rows = [_check_data(c, settings) for c in page.items]
    if as_json:
        _emit(rows)
        return
    table = Table(title=f"Checks of {code}, newest first")
    for column in ("id", "checked", "tier", "state", "reasons", "latency ms", "message"):
        table.add_column(column, overflow="fold")  # never cut a time's offset
    for check in page.items:
        style = _STYLE[check.state.value]
        table.add_row(
            str(check.id),
            _when(check.checked_at, settings.zone),
            check.tier.value,
            f"[{style}]{check.state.value}[/]",
            ", ".join(r.value for r in check.reasons),
            "" if check.latency_ms is None else f"{check.latency_ms:.0f}",
            check.message or "",
        )
    stdout.print(table)


def reference_command(
    code: Annotated[str, typer.Argument(help="Camera code.")],
    check: Annotated[
        int | None,
        typer.Option(
            "--check", min=1, help="Picture check whose snapshot to use (default latest)."
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the reference picture.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set a camera's reference picture from a snapshot (default the latest), or clear it."""
    if clear and check is not None:
        _fail("give either --check ID or --clear, not both")
    actor = cli_actor()
    with _unit() as (settings, session):
        if clear:
            read = clear_reference(session, code=code, actor=actor, data_dir=settings.data_dir)
        else:
            read = set_reference(
                session, code=code, actor=actor, data_dir=settings.data_dir, check_id=check
            )
    if as_json:
        _emit(_plain(read, settings.zone))
        return
    if read.has_reference:
        source = f" from check {read.check_id}" if read.check_id else ""
        stderr.print(f"reference picture of {code} set{source}: {read.path}", highlight=False)
    else:
        stderr.print(f"reference picture of {code} cleared", highlight=False)
