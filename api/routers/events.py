"""Motion events: search by place and time, detail, thumbnail; a camera's coverage and clips."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.background import BackgroundTask

from api.deps import API_PREFIX, SessionDep, SettingsDep, require
from api.pagination import check_limit, set_next_link
from api.problem import problem_responses
from api.times import query_time
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.camera.schema import CODE_PATTERN
from camera_registry.errors import FieldProblem, InvalidInput, NotFound
from config import Settings
from ingest.events.schema import (
    CoverageRead,
    EventDetail,
    EventQuery,
    EventRead,
    FrameRegion,
    SearchResult,
)
from ingest.events.search import (
    camera_coverage,
    clip_footage,
    event_detail,
    event_thumbnail,
    search_events,
)
from ingest.media.clip import ClipSource, cut_clip

router = APIRouter(tags=["events"], responses=problem_responses(401, 403, 422))
EventReader = Annotated[Actor, Depends(require(Permission.EVENT_READ))]
ClipExporter = Annotated[Actor, Depends(require(Permission.CLIP_EXPORT))]
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, examples=["VT-0001"])]
EventIdPath = Annotated[str, Path(max_length=64)]
TIME_HELP = "ISO 8601; without an offset it is read in the display time zone."
From = Annotated[datetime, Query(alias="from", description=TIME_HELP)]
To = Annotated[datetime, Query(description=TIME_HELP)]


class EventSearch(BaseModel):
    """A search with a drawn polygon (`area`, GeoJSON lon/lat) or any other place; paged."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: datetime = Field(alias="from", description=TIME_HELP)
    to: datetime = Field(description=TIME_HELP)
    camera: list[str] = Field(default_factory=list, description="Camera codes.")
    ward: str | None = Field(None, max_length=32)
    at: date | None = Field(None, description="Day the ward layer is taken from.")
    area: dict[str, Any] | None = Field(None, description="GeoJSON Polygon (lon/lat).")
    bbox: tuple[float, float, float, float] | None = Field(None, description="W,S,E,N.")
    near: tuple[float, float] | None = Field(None, description="Latitude, longitude.")
    radius: float | None = Field(None, description="Metres around `near`.")
    min_score: float | None = None
    min_duration: float | None = Field(None, description="Seconds.")
    zone: str | None = None
    region: FrameRegion | None = None
    limit: int | None = Field(None, ge=1)
    cursor: str | None = Field(None, max_length=200)


_PARAM_OF_FIELD = {"start": "from", "end": "to", "codes": "camera", "radius_m": "radius"}


def _query(data: dict[str, Any], settings: Settings) -> EventQuery:
    """Return the EventQuery, reporting validation errors by parameter name."""
    data["start"] = query_time(data["start"], settings, "from")
    data["end"] = query_time(data["end"], settings, "to")
    data["limit"] = check_limit(data.get("limit"), settings.max_page_size)
    try:
        return EventQuery.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            name = ".".join([_PARAM_OF_FIELD.get(loc[0], loc[0]), *loc[1:]]) if loc else "query"
            if not loc and "end" in error["msg"]:
                name = "to"
            problems.append(FieldProblem(name, error["msg"].removeprefix("Value error, ")))
        detail = "; ".join(p.describe() for p in problems)
        raise InvalidInput(f"search rejected: {detail}", problems=problems) from exc


def _numbers(raw: str | None, count: int, name: str, hint: str) -> tuple[float, ...] | None:
    if raw is None:
        return None
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != count:
        message = f"give {hint} ({count} numbers)"
        raise InvalidInput(f"{name}: {message}", problems=[FieldProblem(name, message)])
    return values


def _with_links(result: SearchResult) -> SearchResult:
    events = [_linked(e) for e in result.events]
    return result.model_copy(update={"events": events})


def _linked(event: EventRead) -> EventRead:
    """Replace the stored thumbnail path by its URL and add the URL of the event's clip."""
    window = urlencode({"from": event.start.isoformat(), "to": event.end.isoformat()})
    return event.model_copy(
        update={
            "thumbnail": f"{API_PREFIX}/events/{event.id}/thumbnail" if event.thumbnail else None,
            "clip": f"{API_PREFIX}/cameras/{event.camera}/clip?{window}",
        }
    )


def _search(session: SessionDep, settings: Settings, actor: Actor, query: EventQuery) -> Any:
    result = search_events(
        session,
        query=query,
        actor=actor,
        max_window_hours=settings.search.max_search_window_hours,
    )
    return _with_links(result)


@router.get("/events", response_model=SearchResult)
def list_events(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    actor: EventReader,
    start: From,
    to: To,
    camera: Annotated[list[str] | None, Query(description="Camera code (repeatable).")] = None,
    ward: Annotated[str | None, Query(max_length=32, description="Ward code.")] = None,
    at: Annotated[date | None, Query(description="Day the ward layer is taken from.")] = None,
    bbox: Annotated[str | None, Query(description="W,S,E,N in degrees.")] = None,
    near: Annotated[str | None, Query(description="LAT,LON; needs radius.")] = None,
    radius: Annotated[float | None, Query(description="Metres around `near`.")] = None,
    min_score: Annotated[float | None, Query(description="Lowest peak score, 0..1.")] = None,
    min_duration: Annotated[float | None, Query(description="Shortest event, seconds.")] = None,
    zone: Annotated[str | None, Query(max_length=64, description="Named zone.")] = None,
    region: Annotated[
        str | None, Query(description="x0,y0,x1,y1 of the picture, each 0..1 from the top left.")
    ] = None,
    limit: Annotated[int | None, Query(ge=1, description="Most events per page.")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    """Find motion events of the cameras whose view covers a place, within a time window."""
    rect = _numbers(region, 4, "region", "x0,y0,x1,y1")
    data: dict[str, Any] = {
        "start": start,
        "end": to,
        "codes": camera or [],
        "ward": ward,
        "at": at,
        "bbox": _numbers(bbox, 4, "bbox", "W,S,E,N"),
        "near": _numbers(near, 2, "near", "LAT,LON"),
        "radius_m": radius,
        "min_score": min_score,
        "min_duration_s": min_duration,
        "zone": zone,
        "region": {"rect": rect} if rect else None,
        "limit": limit,
        "cursor": cursor,
    }
    result = _search(session, settings, actor, _query(data, settings))
    set_next_link(request, response, result.next_cursor)
    return result


@router.post("/events/search", response_model=SearchResult)
def search_events_by_body(
    body: EventSearch, session: SessionDep, settings: SettingsDep, actor: EventReader
) -> Any:
    """Find motion events in a drawn polygon (`area`, GeoJSON lon/lat) or another place."""
    data: dict[str, Any] = {
        "start": body.from_,
        "end": body.to,
        "codes": body.camera,
        "ward": body.ward,
        "at": body.at,
        "area": body.area,
        "bbox": body.bbox,
        "near": body.near,
        "radius_m": body.radius,
        "min_score": body.min_score,
        "min_duration_s": body.min_duration,
        "zone": body.zone,
        "region": body.region,
        "limit": body.limit,
        "cursor": body.cursor,
    }
    return _search(session, settings, actor, _query(data, settings))


@router.get("/events/{event_id}", response_model=EventDetail, responses=problem_responses(404))
def read_event(event_id: EventIdPath, session: SessionDep, actor: EventReader) -> EventDetail:
    """Return one event with its per-second activity."""
    detail = event_detail(session, event_id=event_id, actor=actor)
    linked = _linked(detail)
    return detail.model_copy(update={"thumbnail": linked.thumbnail, "clip": linked.clip})


def _stored(path: str, settings: Settings) -> FilePath:
    """Return a stored file's path; relative paths lie in the data folder."""
    return settings.data_dir / path


@router.get(
    "/events/{event_id}/thumbnail",
    response_class=FileResponse,
    responses={
        **problem_responses(404),
        200: {"content": {"image/jpeg": {}}, "description": "A JPEG."},
    },
)
def read_event_thumbnail(
    event_id: EventIdPath, session: SessionDep, settings: SettingsDep, actor: EventReader
) -> FileResponse:
    """Return the event's thumbnail (JPEG)."""
    path = _stored(event_thumbnail(session, event_id=event_id, actor=actor), settings)
    if not path.is_file():
        raise NotFound(f"the thumbnail of event {event_id} is missing from storage")
    return FileResponse(path, media_type="image/jpeg")


@router.get(
    "/cameras/{code}/coverage", response_model=CoverageRead, responses=problem_responses(404)
)
def read_camera_coverage(
    code: CodePath,
    session: SessionDep,
    settings: SettingsDep,
    actor: EventReader,
    start: From,
    to: To,
) -> CoverageRead:
    """Return a camera's recorded spans, known gaps and unknown time within a window."""
    return camera_coverage(
        session,
        code=code,
        start=query_time(start, settings, "from"),
        end=query_time(to, settings, "to"),
        actor=actor,
        max_window_hours=settings.search.max_search_window_hours,
    )


@router.get(
    "/cameras/{code}/clip",
    response_class=FileResponse,
    responses={
        **problem_responses(404),
        200: {"content": {"video/mp4": {}}, "description": "An MP4 cut at keyframes."},
    },
)
def read_camera_clip(
    code: CodePath,
    session: SessionDep,
    settings: SettingsDep,
    actor: ClipExporter,
    start: From,
    to: To,
) -> FileResponse:
    """Return a clip of a camera's recordings (no re-encode); audited with the case number.

    The clip starts at the keyframe at or before `from`; its `creation_time` is the wall-clock
    time of its first frame. H.264 plays in the browser; other codecs download.
    """
    begin, end = query_time(start, settings, "from"), query_time(to, settings, "to")
    files = clip_footage(
        session,
        code=code,
        start=begin,
        end=end,
        actor=actor,
        max_window_hours=settings.search.max_search_window_hours,
    )
    sources = [ClipSource(_stored(f.path, settings), f.start, f.end) for f in files]
    folder = FilePath(tempfile.mkdtemp(prefix="camreg-clip-"))
    try:
        info = cut_clip(sources, begin, end, folder / "clip.mp4")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    name = f"{code}_{info.start.astimezone(settings.zone):%Y%m%dT%H%M%S}.mp4"
    return FileResponse(
        info.path,
        media_type=info.media_type,
        filename=name,
        content_disposition_type="inline" if info.inline else "attachment",
        headers={"X-Clip-Start": info.start.isoformat()},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
