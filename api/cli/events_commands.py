"""`camreg events`: search motion events and show coverage for a place and a time window."""

from __future__ import annotations

import dataclasses
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from api.auth import case_number_of
from api.cli.camera_commands import JSON_OPT, validation_message
from api.cli.context import CliState, state
from api.cli.output import (
    domain_errors,
    emit_json,
    emit_table,
    fail,
    parse_bbox,
    parse_day,
    parse_pair,
    read_geojson,
    stderr,
    warn,
)
from camera_registry.clock import parse_local_time, zoned
from ingest.events.schema import CoverageRead, EventQuery, EventRead
from ingest.events.search import coverage, search_events

app = typer.Typer(help="Search motion events and the footage coverage of places.")

# Most events one command prints: the window limit keeps real searches far below it.
CLI_EVENT_LIMIT = 10_000
CAMERA_OPT = typer.Option(None, "--camera", help="Camera code (repeatable).")
WARD_OPT = typer.Option(None, help="Ward (or area) code.")
AT_OPT = typer.Option(None, help="Take the ward layer valid on this date (YYYY-MM-DD).")
AREA_OPT = typer.Option(None, help="GeoJSON file with a polygon (lon/lat).", exists=True)
BBOX_OPT = typer.Option(None, help="W,S,E,N in degrees.")
NEAR_OPT = typer.Option(None, help="LAT,LON (latitude first); needs --radius.")
RADIUS_OPT = typer.Option(None, help="Metres around --near.")
FROM_OPT = typer.Option(..., "--from", help="Window start, ISO 8601 (naive = display zone).")
TO_OPT = typer.Option(..., "--to", help="Window end, ISO 8601 (naive = display zone).")
CASE_OPT = typer.Option(None, "--case", help="Case number, recorded in the audit log.")


def _time(value: str, option: str, zone: tzinfo) -> datetime:
    try:
        return parse_local_time(value, zone, option)
    except ValueError as exc:
        fail(str(exc))


def _place(
    *,
    ward: str | None,
    at: str | None,
    area: Path | None,
    bbox: str | None,
    near: str | None,
    radius: float | None,
) -> dict[str, Any]:
    """Parse the place options into EventQuery fields, failing with a clear message."""
    data: dict[str, Any] = {"ward": ward}
    if at:
        data["at"] = parse_day(at, "--at")
    if (near is None) != (radius is None):
        fail("--near LAT,LON and --radius METRES go together")
    if near:
        data["near"] = parse_pair(near, "--near LAT,LON")
        data["radius_m"] = radius
    if bbox:
        data["bbox"] = parse_bbox(bbox)
    if area:
        data["area"] = read_geojson(area)
    return data


def _query(st: CliState, data: dict[str, Any], start: str, end: str) -> EventQuery:
    zone = st.settings.zone
    data.update(start=_time(start, "--from", zone), end=_time(end, "--to", zone))
    try:
        return EventQuery.model_validate(data)
    except ValidationError as exc:
        fail(validation_message(exc))


def _with_case(st: CliState, case: str | None) -> None:
    with domain_errors():
        number = case_number_of(None, case)
    st.actor = dataclasses.replace(st.actor, case_number=number)


def _event_data(event: EventRead, st: CliState) -> dict[str, Any]:
    data = event.model_dump(exclude={"clip"})
    if event.thumbnail:
        data["thumbnail"] = str((st.settings.data_dir / event.thumbnail).resolve())
    return dict(zoned(data, st.settings.zone))


def _coverage_data(read: CoverageRead, st: CliState) -> dict[str, Any]:
    return dict(zoned(read.model_dump(), st.settings.zone))


@app.command("search")
def search_command(
    ctx: typer.Context,
    camera: list[str] | None = CAMERA_OPT,
    ward: str | None = WARD_OPT,
    at: str | None = AT_OPT,
    area: Path | None = AREA_OPT,
    bbox: str | None = BBOX_OPT,
    near: str | None = NEAR_OPT,
    radius: float | None = RADIUS_OPT,
    start: str = FROM_OPT,
    end: str = TO_OPT,
    min_score: float | None = typer.Option(None, help="Lowest peak score, 0..1."),
    min_duration: float | None = typer.Option(None, help="Shortest event in seconds."),
    zone: str | None = typer.Option(None, help="Named zone the event touched."),
    region: str | None = typer.Option(None, help="x0,y0,x1,y1 of the picture (0..1)."),
    limit: int = typer.Option(CLI_EVENT_LIMIT, min=1, max=CLI_EVENT_LIMIT, help="Most events."),
    case: str | None = CASE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Print the motion events of cameras whose view covers a place, in time order."""
    st = state(ctx)
    data = _place(ward=ward, at=at, area=area, bbox=bbox, near=near, radius=radius)
    data.update(codes=camera or [], min_score=min_score, min_duration_s=min_duration, zone=zone)
    data["limit"] = limit
    if region:
        try:
            data["region"] = {"rect": tuple(float(x) for x in region.split(","))}
        except ValueError:
            fail(f"--region must be x0,y0,x1,y1 (four numbers 0..1), got {region!r}")
    query = _query(st, data, start, end)
    _with_case(st, case)
    with domain_errors(), st.unit() as session:
        result = search_events(
            session,
            query=query,
            actor=st.actor,
            max_window_hours=st.settings.search.max_search_window_hours,
        )
    if result.next_cursor:
        warn(f"more than {limit} events; narrow the place or the window")
    events = [_event_data(e, st) for e in result.events]
    if json_out:
        emit_json(events)
        return
    emit_table(events, ["start", "end", "camera", "score", "duration_s", "zones", "id"])
    stderr.print(f"{len(events)} events from {len(result.cameras)} cameras")


@app.command("coverage")
def coverage_command(
    ctx: typer.Context,
    camera: list[str] | None = CAMERA_OPT,
    ward: str | None = WARD_OPT,
    at: str | None = AT_OPT,
    area: Path | None = AREA_OPT,
    bbox: str | None = BBOX_OPT,
    near: str | None = NEAR_OPT,
    radius: float | None = RADIUS_OPT,
    start: str = FROM_OPT,
    end: str = TO_OPT,
    case: str | None = CASE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Print the cameras covering a place and what footage each has in the window."""
    st = state(ctx)
    data = _place(ward=ward, at=at, area=area, bbox=bbox, near=near, radius=radius)
    data["codes"] = camera or []
    query = _query(st, data, start, end)
    _with_case(st, case)
    with domain_errors(), st.unit() as session:
        reads = coverage(
            session,
            query=query,
            actor=st.actor,
            max_window_hours=st.settings.search.max_search_window_hours,
        )
    rows = [_coverage_data(r, st) for r in reads]
    if json_out:
        emit_json(rows)
        return
    for row in rows:
        row["covered"] = f"{row['covered_fraction']:.0%}"
        row["spans"] = "; ".join(
            f"{s['kind']} {s['start'][11:16]}–{s['end'][11:16]}" for s in row["spans"]
        )
    emit_table(rows, ["camera", "name", "covered", "spans"])
    stderr.print(f"{len(rows)} cameras")
