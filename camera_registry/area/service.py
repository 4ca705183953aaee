"""Area rules: import from GeoJSON, look up by code and date, successions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.area.model import Area, AreaLevel, AreaSuccession
from camera_registry.area.official import official_ward_name
from camera_registry.area.repository import AreaRepository
from camera_registry.area.schema import AreaImportReport, AreaRead
from camera_registry.camera.schema import CODE_PATTERN
from camera_registry.changelog.service import record_change
from camera_registry.clock import utcnow
from camera_registry.errors import AreaNotFound, InvalidArea, Problems
from camera_registry.geo.polygon import from_geojson_text, parse_polygon, to_geojson
from camera_registry.text import fold, normalise_spaces

_CODE_RE = __import__("re").compile(CODE_PATTERN)


def _date(value: Any, field_name: str, number: int, problems: Problems) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.add(field_name, f"{value!r} is not a date (YYYY-MM-DD)", number)
        return None


def _parse_feature(
    feature: Any, number: int, problems: Problems
) -> tuple[dict[str, Any], BaseGeometry] | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.add("type", "not a GeoJSON Feature", number)
        return None
    props = feature.get("properties") or {}
    code = str(props.get("code") or "").strip()
    if not _CODE_RE.match(code):
        problems.add("code", f"{code!r} is not a code (1–32 letters, digits, - or _)", number)
    name = normalise_spaces(str(props.get("name") or official_ward_name(code) or ""))
    if not name:
        problems.add("name", "missing", number)
    try:
        level = AreaLevel(str(props.get("level") or "ward"))
    except ValueError:
        problems.add("level", f"must be one of {', '.join(m.value for m in AreaLevel)}", number)
        level = AreaLevel.CUSTOM
    valid_from = _date(props.get("valid_from"), "valid_from", number, problems)
    valid_to = _date(props.get("valid_to"), "valid_to", number, problems)
    if valid_from and valid_to and valid_to < valid_from:
        problems.add("valid_to", "ends before valid_from", number)
    replaced_by = props.get("replaced_by") or []
    if not isinstance(replaced_by, list):
        replaced_by = [replaced_by]
    if replaced_by and not valid_to:
        problems.add("replaced_by", "an area that was replaced needs valid_to", number)
    try:
        shape = parse_polygon(feature.get("geometry"), what="geometry")
    except InvalidArea as exc:
        problems.add("geometry", exc.message, number)
        return None
    fields = {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": (str(props["parent_code"]) if props.get("parent_code") else None),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "source": str(props.get("source"))[:200] if props.get("source") else None,
        "replaced_by": [str(c) for c in replaced_by],
    }
    return fields, shape


def import_areas(
    session: Session, *, document: Any, actor: Actor, dry_run: bool = False
) -> AreaImportReport:
    """Upsert areas (by code and start date) from a GeoJSON FeatureCollection, all or nothing."""
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise InvalidArea(f"area file is not JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidArea("area file must be a GeoJSON FeatureCollection")
    problems = Problems()
    parsed = [
        _parse_feature(f, i, problems) for i, f in enumerate(document.get("features") or [], 1)
    ]
    seen: set[tuple[str, date | None]] = set()
    for number, item in enumerate(parsed, 1):
        if item and (item[0]["code"], item[0]["valid_from"]) in seen:
            problems.add("code", f"{item[0]['code']} appears twice for the same period", number)
        if item:
            seen.add((item[0]["code"], item[0]["valid_from"]))
    problems.raise_if_any(InvalidArea, "area file rejected, nothing imported")
    report = AreaImportReport(dry_run=dry_run)
    repo = AreaRepository(session)
    now = utcnow()
    for item in parsed:
        assert item is not None
        fields, shape = item
        replaced_by = fields.pop("replaced_by")
        official = official_ward_name(fields["code"])
        current = fields["valid_to"] is None or fields["valid_to"] >= now.date()
        if (
            fields["level"] == AreaLevel.WARD
            and current
            and official
            and official != fields["name"]
        ):
            report.warnings.append(
                f"area {fields['code']}: name {fields['name']!r} differs from the official "
                f"{official!r}"
            )
        west, south, east, north = shape.bounds
        values = {
            **fields,
            "geometry_geojson": json.dumps(to_geojson(shape)),
            "min_lon": west,
            "min_lat": south,
            "max_lon": east,
            "max_lat": north,
            "search_text": fold(f"{fields['code']} {fields['name']}"),
        }
        existing = repo.by_code_and_start(fields["code"], fields["valid_from"])
        if existing is None:
            report.created += 1
            if not dry_run:
                session.add(Area(**values, created_at=now, updated_at=now))
                record_change(
                    session,
                    actor=actor,
                    entity="area",
                    key=fields["code"],
                    action="create",
                    before=None,
                    after=_area_snapshot(values),
                )
        elif any(getattr(existing, k) != v for k, v in values.items()):
            report.updated += 1
            if not dry_run:
                before = _area_snapshot({k: getattr(existing, k) for k in values})
                for k, v in values.items():
                    setattr(existing, k, v)
                existing.updated_at = now
                record_change(
                    session,
                    actor=actor,
                    entity="area",
                    key=fields["code"],
                    action="update",
                    before=before,
                    after=_area_snapshot(values),
                )
        else:
            report.unchanged += 1
        for new_code in replaced_by:
            effective = fields["valid_to"] + timedelta(days=1)
            if not repo.succession_exists(fields["code"], new_code, effective):
                report.successions += 1
                if not dry_run:
                    session.add(
                        AreaSuccession(
                            old_code=fields["code"], new_code=new_code, effective_on=effective
                        )
                    )
    session.flush()
    return report


def _area_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    keep = ("code", "name", "level", "parent_code", "valid_from", "valid_to", "source")
    return {k: (str(values[k]) if values.get(k) is not None else None) for k in keep}


def find_area(session: Session, *, code: str, on: date | None = None) -> Area:
    """Return the area with this code valid on a day (default today)."""
    day = on or utcnow().date()
    periods = AreaRepository(session).by_code(code)
    for area in periods:
        if (area.valid_from is None or area.valid_from <= day) and (
            area.valid_to is None or area.valid_to >= day
        ):
            return area
    if periods and on is None:
        # A unit that no longer exists: asked without a date, use its last period.
        return periods[0]
    when = f" on {day.isoformat()}" if on else ""
    raise AreaNotFound(f"no area with code {code!r}{when}; `camreg areas list` shows the codes")


def area_shape(area: Area) -> BaseGeometry:
    """Return an area's polygon."""
    return from_geojson_text(area.geometry_geojson)


def list_areas(
    session: Session, *, on: date | None = None, level: AreaLevel | None = None
) -> list[AreaRead]:
    """Return the areas valid on a day (all periods when no day is given)."""
    repo = AreaRepository(session)
    rows = repo.valid_at(on, level) if on else repo.all()
    if level and not on:
        rows = [a for a in rows if a.level == level]
    successions = repo.successions()
    return [_to_read(a, successions) for a in rows]


def read_area(session: Session, *, code: str, on: date | None = None) -> AreaRead:
    """Return one area with its geometry."""
    area = find_area(session, code=code, on=on)
    read = _to_read(area, AreaRepository(session).successions())
    read.geometry = json.loads(area.geometry_geojson)
    return read


def _to_read(area: Area, successions: Any) -> AreaRead:
    official = official_ward_name(area.code)
    return AreaRead(
        code=area.code,
        name=area.name,
        level=area.level,
        parent_code=area.parent_code,
        valid_from=area.valid_from,
        valid_to=area.valid_to,
        official=official is not None and official == area.name,
        replaced_by=sorted(
            s.new_code
            for s in successions
            if s.old_code == area.code
            and area.valid_to is not None
            and s.effective_on == area.valid_to + timedelta(days=1)
        ),
        replaces=sorted(
            s.old_code
            for s in successions
            if s.new_code == area.code
            and (area.valid_from is None or s.effective_on == area.valid_from)
        ),
    )
