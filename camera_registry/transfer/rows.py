"""Turn raw cells into validated CameraCreate data, collecting every problem with its line."""

from __future__ import annotations

import difflib
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from camera_registry.camera.schema import CameraCreate, check_position
from camera_registry.errors import InvalidArea, Problems
from camera_registry.geo.polygon import parse_polygon
from camera_registry.transfer.columns import (
    BOOL_COLUMNS,
    DATE_COLUMNS,
    ENUM_COLUMNS,
    FLOAT_COLUMNS,
    IMPORT_COLUMNS,
    INT_COLUMNS,
    REQUIRED_COLUMNS,
)
from camera_registry.transfer.readers import RawRow

_TRUE = frozenset({"yes", "true", "1", "có", "co", "y"})
_FALSE = frozenset({"no", "false", "0", "không", "khong", "n"})
_GROUPED_INT = re.compile(r"^\d{1,3}([.,]\d{3})+$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00)?$")


@dataclass
class ParsedRow:
    """A row after conversion: its values, and its camera data when the row is valid."""

    line: int
    values: dict[str, Any]
    data: CameraCreate | None

    def valid(self) -> ValidRow | None:
        """Return the row ready to write, or None when it has problems."""
        if self.data is None:
            return None
        return ValidRow(self.line, self.data, frozenset(self.values))


@dataclass(frozen=True)
class ValidRow:
    """A row that passed validation: its line, its camera data and the columns it filled."""

    line: int
    data: CameraCreate
    given: frozenset[str]


def check_columns(columns: list[str], problems: Problems) -> None:
    """Record unknown columns (with a likely meant name) and missing required columns."""
    for name in columns:
        if name not in IMPORT_COLUMNS:
            close = difflib.get_close_matches(name, IMPORT_COLUMNS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(IMPORT_COLUMNS)}"
            problems.add(name, f"unknown column ({hint})")
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.add(name, "required column is missing")


def is_empty(cell: Any) -> bool:
    """Return True for a cell that gives no value (empty, blank, null)."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: Any) -> str:
    if isinstance(cell, dict | list):
        raise ValueError("must be a plain value, not a JSON object or list")
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float) and cell.is_integer():
        # Spreadsheets turn typed codes such as 26506 into numbers.
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    text = unicodedata.normalize("NFC", str(cell)).strip()
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    return text


def _float(cell: Any) -> float:
    if isinstance(cell, bool):
        raise ValueError(f"{cell!r} is not a number")
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        text = str(cell).strip().replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # decimal comma of a Vietnamese-locale spreadsheet
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{cell!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{cell!r} is not a finite number")
    return value


def _int(cell: Any, unit: str) -> int:
    if isinstance(cell, bool):
        raise ValueError(f"{cell!r} is not a whole number")
    if isinstance(cell, float) and cell.is_integer():
        value = int(cell)
    elif isinstance(cell, int):
        value = cell
    else:
        text = str(cell).strip().replace(" ", "").replace("_", "")
        if _GROUPED_INT.match(text):
            text = text.replace(".", "").replace(",", "")
        if not text.isdigit():
            raise ValueError(f"{cell!r} is not a whole number ({unit}, without decimals)")
        value = int(text)
    return value


def _bool(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    text = unicodedata.normalize("NFC", _text(cell)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{cell!r} is not yes/no (accepted: yes, no, true, false, 1, 0, có, không)")


def _date(cell: Any) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if midnight := _MIDNIGHT.match(text):
        text = midnight.group(1)
    try:
        if dmy := _DMY.match(text):
            day, month, year = (int(g) for g in dmy.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{cell!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None


def _tags(cell: Any) -> list[str]:
    parts = cell if isinstance(cell, list) else _text(cell).split(";")
    return [t for t in (_text(p) for p in parts if not is_empty(p)) if t]


def _polygon(cell: Any) -> dict[str, Any]:
    data = cell
    if not isinstance(cell, dict):
        try:
            data = json.loads(_text(cell))
        except json.JSONDecodeError as exc:
            raise ValueError(f"not GeoJSON text: {exc.msg} at position {exc.pos}") from None
    try:
        parse_polygon(data, what="fov_polygon")
    except InvalidArea as exc:
        raise ValueError(exc.message) from None
    assert isinstance(data, dict)  # parse_polygon accepts only objects
    return data


def _converter(column: str) -> Callable[[Any], Any]:
    if column in FLOAT_COLUMNS:
        return _float
    if column in INT_COLUMNS:
        unit = "đồng" if column == "cost_vnd" else "pixels"
        return lambda cell: _int(cell, unit)
    if column in BOOL_COLUMNS:
        return _bool
    if column in DATE_COLUMNS:
        return _date
    if column in ENUM_COLUMNS:
        return lambda cell: _text(cell).lower()
    if column == "tags":
        return _tags
    if column == "fov_polygon":
        return _polygon
    return _text


def _phone(cell: Any, line: int, warnings: list[str]) -> Any:
    if isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer():
        digits = str(int(cell))
        if len(digits) == 9:
            # Excel drops the leading 0 of 0903123456 when the cell is a number.
            warnings.append(f"line {line}: owner_phone {digits} was a number; read as 0{digits}")
            return "0" + digits
        return digits
    return cell


def _message(error: Any) -> str:
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch" and error["loc"] == ("code",):
        return f"{error['input']!r} is not a code (1–32 letters, digits, - or _)"
    if kind == "enum":
        return f"{error['input']!r} is not one of {error['ctx']['expected']}"
    if kind == "missing":
        return "missing (required)"
    return message


def _whole_row_field(error: Any) -> str:
    """Name the columns a whole-row check is about (position, or the expected picture size)."""
    return "expected_width,expected_height" if "expected_width" in error["msg"] else "lat,lon"


def parse_row(row: RawRow, problems: Problems, warnings: list[str]) -> ParsedRow:
    """Return the row's values and, when every check passes, its CameraCreate data."""
    values: dict[str, Any] = {}
    failed: set[str] = set()
    for column, cell in row.cells.items():
        if column not in IMPORT_COLUMNS or is_empty(cell):
            continue
        if column == "owner_phone":
            cell = _phone(cell, row.line, warnings)
        try:
            values[column] = _converter(column)(cell)
        except ValueError as exc:
            problems.add(column, str(exc), row.line)
            failed.add(column)
    try:
        data = CameraCreate(**values)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else _whole_row_field(error)
            if name not in failed:
                problems.add(name, _message(error), row.line)
                failed.add(name)
        _check_position(values, failed, problems, row.line)
        return ParsedRow(row.line, values, None)
    return ParsedRow(row.line, values, None if failed else data)


def _check_position(
    values: dict[str, Any], failed: set[str], problems: Problems, line: int
) -> None:
    """Report a position outside Vietnam even when other fields of the row failed."""
    lat, lon = values.get("lat"), values.get("lon")
    if "lat,lon" in failed or not isinstance(lat, float) or not isinstance(lon, float):
        return
    try:
        check_position(lat, lon)
    except ValueError as exc:
        problems.add("lat,lon", str(exc), line)
