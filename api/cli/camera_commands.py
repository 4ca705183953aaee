"""`camreg cameras`: list, show, add, update, retire, history (import/export in transfer)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from api.cli.context import state
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
from camera_registry.camera.filter import CameraFilter, PlaceMatch
from camera_registry.camera.model import CameraStatus, Funding
from camera_registry.camera.reading import camera_history, list_cameras, show_camera
from camera_registry.camera.schema import CameraCreate, CameraUpdate
from camera_registry.camera.write import create_camera, set_status, update_camera

app = typer.Typer(help="Register and find cameras.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print one JSON document on stdout.")
_RESOLUTION = re.compile(r"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")
RESOLUTION_HELP = "Main stream size WIDTHxHEIGHT in pixels, e.g. 1920x1080 (health checks compare)."
FPS_HELP = "Main stream frames per second, e.g. 25 (health checks compare)."


def validation_message(exc: ValidationError) -> str:
    """Return a pydantic validation error as one line per field."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )


def build_filter(
    *,
    ward: str | None = None,
    at: str | None = None,
    near: str | None = None,
    radius: float | None = None,
    bbox: str | None = None,
    area: Path | None = None,
    q: str | None = None,
    status: list[str] | None = None,
    funding: list[str] | None = None,
    consent: bool | None = None,
    tag: list[str] | None = None,
    sees: str | None = None,
    match: PlaceMatch = PlaceMatch.POSITION,
    code: list[str] | None = None,
) -> CameraFilter:
    """Turn command-line options into a CameraFilter, failing with a clear message."""
    data: dict[str, Any] = {"q": q, "ward": ward, "consent": consent, "match": match}
    if at:
        data["at"] = parse_day(at, "--at")
    if near:
        data["near"] = parse_pair(near, "--near LAT,LON")
        if radius is None:
            fail("--near needs --radius METRES")
        data["radius_m"] = radius
    elif radius is not None:
        fail("--radius needs --near LAT,LON")
    if sees:
        data["sees"] = parse_pair(sees, "--sees LAT,LON")
    if bbox:
        data["bbox"] = parse_bbox(bbox)
    if area:
        data["area"] = read_geojson(area)
    data["status"] = status or []
    data["funding"] = funding or []
    data["tags"] = tag or []
    data["codes"] = code or []
    try:
        return CameraFilter(**data)
    except ValidationError as exc:
        fail(validation_message(exc))


@app.command("list")
def list_command(
    ctx: typer.Context,
    ward: str | None = typer.Option(None, help="Ward (or area) code."),
    at: str | None = typer.Option(None, help="Take the ward layer valid on this date."),
    near: str | None = typer.Option(None, help="LAT,LON (latitude first)."),
    radius: float | None = typer.Option(None, help="Metres around --near."),
    bbox: str | None = typer.Option(None, help="W,S,E,N in degrees."),
    area: Path | None = typer.Option(None, help="GeoJSON file with a polygon.", exists=True),
    q: str | None = typer.Option(None, help="Free text, accents optional."),
    status: list[CameraStatus] | None = typer.Option(None, help="Lifecycle status (repeatable)."),
    funding: list[Funding] | None = typer.Option(None, help="Funding (repeatable)."),
    consent: bool | None = typer.Option(None, "--consent/--no-consent", help="Owner's consent."),
    tag: list[str] | None = typer.Option(None, help="Tag (repeatable; all must match)."),
    sees: str | None = typer.Option(None, help="LAT,LON that the field of view must cover."),
    match: PlaceMatch = typer.Option(PlaceMatch.POSITION, help="Match places by position or view."),
    limit: int | None = typer.Option(None, min=1, help="At most this many cameras."),
    with_owner: bool = typer.Option(False, "--with-owner", help="Include owners' personal data."),
    json_out: bool = JSON_OPT,
) -> None:
    """List cameras matching every filter given (by code; by distance with --near)."""
    query = build_filter(
        ward=ward,
        at=at,
        near=near,
        radius=radius,
        bbox=bbox,
        area=area,
        q=q,
        status=[s.value for s in status or []],
        funding=[f.value for f in funding or []],
        consent=consent,
        tag=tag,
        sees=sees,
        match=match,
    )
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        listing = list_cameras(
            session, query=query, actor=st.actor, limit=limit, include_personal=with_owner
        )
    if json_out:
        emit_json([item.model_dump(mode="json", exclude_none=True) for item in listing.items])
        return
    columns = ["code", "name", "status", "ward_name", "lat", "lon"]
    if near:
        columns.append("distance_m")
    emit_table([i.model_dump() for i in listing.items], columns)
    stderr.print(f"{len(listing.items)} cameras")


@app.command("show")
def show_command(ctx: typer.Context, code: str, json_out: bool = JSON_OPT) -> None:
    """Show one camera (owner personal data included; the read is audited)."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        read = show_camera(session, code=code, actor=st.actor)
    if json_out:
        emit_json(read.model_dump(mode="json"))
        return
    for key, value in read.model_dump(exclude={"fov_polygon"}).items():
        if value not in (None, [], ""):
            stderr.print(f"[bold]{key}[/]: {value}", highlight=False)


def _field_values(pairs: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            fail(f"--set takes FIELD=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        key = key.strip()
        if key == "tags":
            values[key] = [t for t in value.split(";") if t.strip()]
        elif key == "fov_polygon":
            try:
                values[key] = json.loads(value) if value else None
            except json.JSONDecodeError:
                fail("fov_polygon must be GeoJSON")
        else:
            values[key] = value if value != "" else None
    return values


def parse_resolution(text: str) -> tuple[int | None, int | None]:
    """Turn WIDTHxHEIGHT (e.g. 1920x1080) into pixels; an empty text clears the size."""
    if not text.strip():
        return None, None
    match = _RESOLUTION.match(text)
    if match is None:
        fail(f"--resolution takes WIDTHxHEIGHT in pixels, e.g. 1920x1080; got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _stream_format(resolution: str | None, fps: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if resolution is not None:
        values["expected_width"], values["expected_height"] = parse_resolution(resolution)
    if fps is not None:
        values["expected_fps"] = fps.strip() or None
    return values


def _common(
    name: str | None,
    lat: float | None,
    lon: float | None,
    ward: str | None,
    status: CameraStatus | None,
    tag: list[str] | None,
    stream_url: str | None,
    stream_username: str | None,
    stream_password: str | None,
    sets: list[str] | None,
) -> dict[str, Any]:
    values = _field_values(sets or [])
    for key, value in (
        ("name", name),
        ("lat", lat),
        ("lon", lon),
        ("ward_code", ward),
        ("stream_url", stream_url),
        ("stream_username", stream_username),
        ("stream_password", stream_password),
    ):
        if value is not None:
            values[key] = value
    if status is not None:
        values["status"] = status.value
    if tag:
        values["tags"] = tag
    if stream_username and stream_password is None:
        values["stream_password"] = typer.prompt("stream password", hide_input=True)
    return values


SET_HELP = "FIELD=VALUE for any other field (repeatable), e.g. owner_phone=0903123456."


@app.command("add")
def add_command(
    ctx: typer.Context,
    code: str = typer.Option(..., help="Camera code, e.g. VT-0001."),
    name: str = typer.Option(..., help="Name shown on the map."),
    lat: float = typer.Option(..., help="Latitude (WGS84)."),
    lon: float = typer.Option(..., help="Longitude (WGS84)."),
    ward: str | None = typer.Option(None, help="Ward code; derived from the position if absent."),
    status: CameraStatus | None = typer.Option(None, help="Initial status (default planned)."),
    tag: list[str] | None = typer.Option(None, help="Tag (repeatable)."),
    stream_url: str | None = typer.Option(None, help="Main stream URL."),
    stream_username: str | None = typer.Option(None, help="Stream user (stored encrypted)."),
    stream_password: str | None = typer.Option(None, help="Stream password (prompted if absent)."),
    resolution: str | None = typer.Option(None, help=RESOLUTION_HELP),
    fps: str | None = typer.Option(None, help=FPS_HELP),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    json_out: bool = JSON_OPT,
) -> None:
    """Register a new camera."""
    values = _common(
        name, lat, lon, ward, status, tag, stream_url, stream_username, stream_password, sets
    )
    values.update(_stream_format(resolution, fps))
    try:
        data = CameraCreate(code=code, **values)
    except ValidationError as exc:
        fail(validation_message(exc))
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        result = create_camera(session, data=data, actor=st.actor, ctx=st.runtime.write_context())
        read = show_camera(session, code=code, actor=st.actor)
    for message in result.warnings:
        warn(message)
    if json_out:
        emit_json(read.model_dump(mode="json"))
    else:
        stderr.print(f"camera {code} registered ({read.status}, ward {read.ward_code or '?'})")


@app.command("update")
def update_command(
    ctx: typer.Context,
    code: str,
    name: str | None = typer.Option(None, help="New name."),
    lat: float | None = typer.Option(None, help="New latitude (with --lon)."),
    lon: float | None = typer.Option(None, help="New longitude (with --lat)."),
    ward: str | None = typer.Option(None, help="Ward code."),
    status: CameraStatus | None = typer.Option(None, help="New lifecycle status."),
    tag: list[str] | None = typer.Option(None, help="Replace the tags (repeatable)."),
    stream_url: str | None = typer.Option(None, help="Main stream URL."),
    stream_username: str | None = typer.Option(None, help="Stream user (stored encrypted)."),
    stream_password: str | None = typer.Option(None, help="Stream password."),
    resolution: str | None = typer.Option(None, help=RESOLUTION_HELP + " Empty clears."),
    fps: str | None = typer.Option(None, help=FPS_HELP + " Empty clears."),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP + " Empty VALUE clears."),
    if_version: int | None = typer.Option(
        None, help="Refuse if the camera is not at this version."
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """Change some fields of a camera."""
    values = _common(
        name, lat, lon, ward, status, tag, stream_url, stream_username, stream_password, sets
    )
    values.update(_stream_format(resolution, fps))
    if not values:
        fail("nothing to change: give at least one option or --set FIELD=VALUE")
    try:
        data = CameraUpdate(**values)
    except ValidationError as exc:
        fail(validation_message(exc))
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        result = update_camera(
            session,
            code=code,
            data=data,
            actor=st.actor,
            ctx=st.runtime.write_context(),
            if_version=if_version,
        )
        read = show_camera(session, code=code, actor=st.actor)
    for message in result.warnings:
        warn(message)
    if json_out:
        emit_json(read.model_dump(mode="json"))
    else:
        stderr.print(f"camera {code} updated (version {read.version})")


@app.command("retire")
def retire_command(
    ctx: typer.Context,
    code: str,
    reason: str | None = typer.Option(None, help="Why it is decommissioned."),
    json_out: bool = JSON_OPT,
) -> None:
    """Decommission a camera (it stays queryable)."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        set_status(
            session, code=code, status=CameraStatus.DECOMMISSIONED, actor=st.actor, reason=reason
        )
        read = show_camera(session, code=code, actor=st.actor)
    if json_out:
        emit_json(read.model_dump(mode="json"))
    else:
        stderr.print(f"camera {code} decommissioned")


@app.command("history")
def history_command(ctx: typer.Context, code: str, json_out: bool = JSON_OPT) -> None:
    """Show every change to a camera: who, when, request id, before and after."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        records = camera_history(session, code=code, actor=st.actor)
    if json_out:
        emit_json(list(records))
        return
    from camera_registry.changelog.service import diff

    rows = []
    for rec in records:
        changed = diff(rec["before"], rec["after"])
        summary = ", ".join(f"{k}: {v[0]!r} → {v[1]!r}" for k, v in list(changed.items())[:6])
        rows.append(
            {
                **rec,
                "at": rec["at"].astimezone(st.settings.zone).isoformat(timespec="seconds"),
                "changes": summary if rec["before"] else "created",
            }
        )
    emit_table(rows, ["at", "actor", "action", "changes"])
