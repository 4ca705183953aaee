"""Write exported camera records as CSV, XLSX or GeoJSON bytes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from camera_registry.transfer.columns import PATTERN_COLUMNS, TransferFormat
from camera_registry.transfer.readers import FORMULA_STARTS

Record = dict[str, Any]


def write_table(records: Sequence[Record], columns: Sequence[str], fmt: TransferFormat) -> bytes:
    """Return the records as a file of the given format."""
    if fmt == TransferFormat.XLSX:
        return _xlsx(records, columns)
    if fmt == TransferFormat.GEOJSON:
        return _geojson(records, columns)
    return _csv(records, columns)


def _polygon_text(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


def _csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        text = ";".join(value)
    elif isinstance(value, dict):
        return _polygon_text(value)
    else:
        text = str(value)
    if column not in PATTERN_COLUMNS and text.startswith(FORMULA_STARTS):
        # A spreadsheet would run "=…" as a formula; the apostrophe keeps it text.
        return "'" + text
    return text


def _csv(records: Sequence[Record], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_cell(c, record.get(c)) for c in columns])
    # The BOM makes Excel read the file as UTF-8 (Vietnamese diacritics intact).
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Cell:
    if isinstance(value, list):
        value = ";".join(value)
    elif isinstance(value, dict):
        value = _polygon_text(value)
    if isinstance(value, str):
        # XML cannot carry most control characters; openpyxl refuses them.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _xlsx(records: Sequence[Record], columns: Sequence[str]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("cameras")
    sheet.freeze_panes = "A2"
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for record in records:
        sheet.append([_xlsx_cell(sheet, record.get(c)) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def _geojson(records: Sequence[Record], columns: Sequence[str]) -> bytes:
    features = []
    for record in records:
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [record["lon"], record["lat"]]},
            "properties": {
                c: _json_value(record.get(c)) for c in columns if c not in ("lat", "lon")
            },
        }
        features.append(json.dumps(feature, ensure_ascii=False))
    # One feature per line keeps files readable and diffs small.
    body = ",\n".join(features)
    return f'{{"type": "FeatureCollection", "features": [\n{body}\n]}}\n'.encode()
