"""Read a camera file (CSV, XLSX or GeoJSON) into a header and numbered rows of raw cells."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from camera_registry.errors import FieldProblem, ImportRejected
from camera_registry.transfer.columns import TransferFormat

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office 97 files)
# Text that starts with these would be run as a formula by spreadsheets (CSV injection);
# the CSV writer prefixes such text with an apostrophe, which the reader removes again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass
class RawRow:
    """One data row: its line (or feature) number and its cells by column name."""

    line: int
    cells: dict[str, Any]


@dataclass
class RawTable:
    """The columns a file declares and its data rows."""

    columns: list[str]
    rows: list[RawRow] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)


def _reject(message: str) -> ImportRejected:
    return ImportRejected(
        f"{message}; nothing imported", problems=[FieldProblem("file", message, None)]
    )


def read_table(content: bytes, fmt: TransferFormat) -> RawTable:
    """Return the header and rows of a file; raise ImportRejected when it is not that format."""
    if not content.strip():
        raise _reject("the file is empty")
    if fmt == TransferFormat.XLSX:
        return _read_xlsx(content)
    if content.startswith(_ZIP_MAGIC):
        raise _reject(f"this is a zip file (an .xlsx workbook?), not {fmt.value.upper()} text")
    if content.startswith(_OLE_MAGIC):
        raise _reject("this is an old Excel .xls file; save it as .xlsx or as 'CSV UTF-8'")
    text = _decode(content)
    if fmt == TransferFormat.GEOJSON:
        return _read_geojson(text)
    return _read_csv(text)


def _decode(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" is UTF-16 with tabs.
        return content.decode("utf-16")
    if b"\x00" in content[:4096]:
        raise _reject("this is a binary file, not text")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _reject(
            f"the file is not UTF-8 text (byte {exc.start}); in Excel save as 'CSV UTF-8'"
        ) from exc


def _header_name(value: Any) -> str:
    return str(value).strip().lower() if value is not None else ""


def _check_header(names: list[str], problems: list[FieldProblem]) -> None:
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            problems.append(FieldProblem(name, "column appears twice in the header", 1))
        seen.add(name)


def _unescape(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _read_csv(text: str) -> RawTable:
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in a Vietnamese locale write ';' between cells; the header shows which.
    delimiter = max(",;\t", key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _reject(f"the file is not readable as CSV: {exc}") from exc
    if not records or not any(cell.strip() for cell in records[0]):
        raise _reject("the first line must be the header (code, name, lat, lon, …)")
    header = [_header_name(c) for c in records[0]]
    table = RawTable(columns=[h for h in header if h])
    _check_header(header, table.problems)
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells: dict[str, Any] = {}
        for index, cell in enumerate(record):
            name = header[index] if index < len(header) else ""
            if name:
                cells[name] = _unescape(cell)
            elif cell.strip():
                table.problems.append(
                    FieldProblem(f"column {index + 1}", "a value under no header", line)
                )
        table.rows.append(RawRow(line, cells))
    return table


def _read_xlsx(content: bytes) -> RawTable:
    if not content.startswith(_ZIP_MAGIC):
        raise _reject("this is not an .xlsx workbook")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise _reject(f"this is not a readable .xlsx workbook ({exc})") from exc
    try:
        if not book.worksheets:
            raise _reject("the workbook has no sheet")
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [_header_name(c) for c in next(rows, ())]
        if not any(header):
            raise _reject("row 1 of the first sheet must be the header (code, name, lat, lon, …)")
        table = RawTable(columns=[h for h in header if h])
        _check_header(header, table.problems)
        for line, values in enumerate(rows, start=2):
            cells: dict[str, Any] = {}
            for index, value in enumerate(values):
                empty = value is None or (isinstance(value, str) and not value.strip())
                name = header[index] if index < len(header) else ""
                if name:
                    cells[name] = value
                elif not empty:
                    table.problems.append(
                        FieldProblem(f"column {index + 1}", "a value under no header", line)
                    )
            if any(v is not None and str(v).strip() for v in cells.values()):
                table.rows.append(RawRow(line, cells))
        return table
    finally:
        book.close()


def _read_geojson(text: str) -> RawTable:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _reject(f"the file is not JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise _reject("the file must be a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise _reject("the FeatureCollection has no features list")
    table = RawTable(columns=["lat", "lon"])
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        # Every feature's property names count, even when its geometry is wrong.
        for name in properties if isinstance(properties, dict) else ():
            if name not in table.columns:
                table.columns.append(name)
        cells = _feature_cells(feature, number, table.problems)
        if cells is not None:
            table.rows.append(RawRow(number, cells))
    return table


def _feature_cells(
    feature: Any, number: int, problems: list[FieldProblem]
) -> dict[str, Any] | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(FieldProblem("type", "not a GeoJSON Feature", number))
        return None
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        problems.append(FieldProblem("properties", "must be an object", number))
        return None
    for name in ("lat", "lon"):
        if name in properties:
            problems.append(
                FieldProblem(name, "give the position as the Point geometry [lon, lat]", number)
            )
    geometry = feature.get("geometry")
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if (
        not isinstance(geometry, dict)
        or geometry.get("type") != "Point"
        or not isinstance(coords, list)
        or len(coords) < 2
    ):
        problems.append(FieldProblem("geometry", "must be a Point [lon, lat]", number))
        return None
    return {**properties, "lon": coords[0], "lat": coords[1]}
