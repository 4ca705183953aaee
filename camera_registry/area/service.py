"""Area rules: import from GeoJSON, look up by code and date, successions.

An area import is all or nothing. It upserts by (code, valid_from), because official codes are
reused by later units (26506 was Phường 1 until 2025-06-30 and is Phường Vũng Tàu since). After
the areas are written, cameras without a ward get the current ward containing them. A dry run
does every write inside a SAVEPOINT and rolls it back, so its report is exact.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from shapely import STRtree
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.area.model import Area, AreaLevel, AreaSuccession
from camera_registry.area.official import official_ward_name
from camera_registry.area.repository import AreaRepository
from camera_registry.area.schema import AreaImportReport, AreaRead
from camera_registry.audit.service import append_audit
from camera_registry.camera.schema import CODE_PATTERN
from camera_registry.camera.ward_assignment import assign_missing_wards
from camera_registry.changelog.service import record_change
from camera_registry.clock import utcnow
from camera_registry.errors import AreaNotFound, InvalidArea, PermissionDenied, Problems
from camera_registry.geo.polygon import from_geojson_text, parse_polygon, to_geojson
from camera_registry.text import fold, normalise_spaces

_CODE_RE = re.compile(CODE_PATTERN)
# Overlaps smaller than this share of the smaller area are drawing slivers, not errors.
_OVERLAP_TOLERANCE = 0.001


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


Parsed = tuple[dict[str, Any], BaseGeometry]


def _load_document(document: Any) -> dict[str, Any]:
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise InvalidArea(f"area file is not JSON: {exc.msg} (line {exc.lineno})") from exc
        except UnicodeDecodeError as exc:
            raise InvalidArea("area file is not UTF-8 text") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidArea("area file must be a GeoJSON FeatureCollection")
    if not isinstance(document.get("features"), list) or not document["features"]:
        raise InvalidArea("area file has no features")
    return document


def _parse_document(document: dict[str, Any]) -> list[Parsed]:
    problems = Problems()
    parsed = [_parse_feature(f, i, problems) for i, f in enumerate(document["features"], 1)]
    seen: dict[tuple[str, date | None], int] = {}
    for number, item in enumerate(parsed, 1):
        if item is None:
            continue
        key = (item[0]["code"], item[0]["valid_from"])
        if key in seen:
            problems.add(
                "code",
                f"{key[0]} appears twice for the same period (first as feature {seen[key]})",
                number,
            )
        seen.setdefault(key, number)
    problems.raise_if_any(InvalidArea, "area file rejected, nothing imported")
    return [item for item in parsed if item is not None]


def _periods_meet(a: dict[str, Any], b: dict[str, Any]) -> bool:
    start_a, end_a = a["valid_from"] or date.min, a["valid_to"] or date.max
    start_b, end_b = b["valid_from"] or date.min, b["valid_to"] or date.max
    return start_a <= end_b and start_b <= end_a


def _overlap_warnings(parsed: list[Parsed]) -> list[str]:
    """Warn about areas of one level and period that overlap (a point would be in both)."""
    shapes = [shape for _, shape in parsed]
    tree = STRtree(shapes)
    warnings = []
    for i, j in zip(*tree.query(shapes, predicate="intersects").tolist(), strict=True):
        (a, shape_a), (b, shape_b) = parsed[i], parsed[j]
        if i >= j or a["level"] != b["level"] or not _periods_meet(a, b):
            continue
        shared = shape_a.intersection(shape_b).area
        if shared > _OVERLAP_TOLERANCE * min(shape_a.area, shape_b.area):
            warnings.append(
                f"areas {a['code']} and {b['code']} overlap in the same period;"
                " cameras there get the smaller one"
            )
    return warnings


def import_areas(
    session: Session, *, document: Any, actor: Actor, dry_run: bool = False
) -> AreaImportReport:
    """Upsert areas from GeoJSON all or nothing, then give cameras without a ward theirs."""
    if not actor.can(Permission.AREA_WRITE):
        raise PermissionDenied(f"role {actor.role} may not import areas")
    parsed = _parse_document(_load_document(document))
    report = AreaImportReport(dry_run=dry_run, warnings=_overlap_warnings(parsed))
    savepoint = session.begin_nested()
    try:
        for fields, shape in parsed:
            _upsert(session, fields, shape, actor, report)
        session.flush()
        report.cameras_assigned = len(assign_missing_wards(session, actor=actor))
        if dry_run:
            savepoint.rollback()
        else:
            savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    append_audit(
        session,
        actor=actor,
        action="area.import",
        target=f"{len(parsed)} areas",
        details=report.model_dump(mode="json", exclude={"warnings"}),
    )
    return report


def _upsert(
    session: Session,
    fields: dict[str, Any],
    shape: BaseGeometry,
    actor: Actor,
    report: AreaImportReport,
) -> None:
    """Create or update one area and store its successions."""
    repo = AreaRepository(session)
    now = utcnow()
    fields = dict(fields)
    replaced_by = fields.pop("replaced_by")
    official = official_ward_name(fields["code"])
    current = fields["valid_to"] is None or fields["valid_to"] >= now.date()
    if fields["level"] == AreaLevel.WARD and current and official and official != fields["name"]:
        report.warnings.append(
            f"area {fields['code']}: name {fields['name']!r} differs from the official {official!r}"
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
    # Codes are reused by later units, so the change-log key names the period too.
    key = f"{fields['code']}@{fields['valid_from'] or 'start'}"
    if existing is None:
        report.created += 1
        session.add(Area(**values, created_at=now, updated_at=now))
        record_change(
            session,
            actor=actor,
            entity="area",
            key=key,
            action="create",
            before=None,
            after=_area_snapshot(values),
        )
    elif any(getattr(existing, k) != v for k, v in values.items()):
        report.updated += 1
        before = _area_snapshot({k: getattr(existing, k) for k in values})
        for k, v in values.items():
            setattr(existing, k, v)
        existing.updated_at = now
        record_change(
            session,
            actor=actor,
            entity="area",
            key=key,
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
            session.add(
                AreaSuccession(old_code=fields["code"], new_code=new_code, effective_on=effective)
            )


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
        # An old unit with an open start replaced nothing, even when a later unit reuses its code.
        replaces=sorted(
            s.old_code
            for s in successions
            if s.new_code == area.code
            and area.valid_from is not None
            and s.effective_on == area.valid_from
        ),
    )
