"""The columns of a camera file and the file formats; shared by readers, rows and writers."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath

from camera_registry.camera.schema import PERSONAL_FIELDS
from camera_registry.errors import InvalidInput


class TransferFormat(StrEnum):
    """A file format for bulk import and export of cameras."""

    CSV = "csv"
    XLSX = "xlsx"
    GEOJSON = "geojson"


_EXTENSIONS = {
    ".csv": TransferFormat.CSV,
    ".xlsx": TransferFormat.XLSX,
    ".geojson": TransferFormat.GEOJSON,
    ".json": TransferFormat.GEOJSON,
}


def detect_format(filename: str) -> TransferFormat:
    """Return the format a file name's extension announces; raise InvalidInput otherwise."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if suffix == ".xls":
        raise InvalidInput(
            f"{filename}: old Excel .xls files are not read; save the sheet as .xlsx or"
            " as 'CSV UTF-8'"
        )
    raise InvalidInput(
        f"cannot tell the format of {filename!r} from its extension; use .csv, .xlsx or"
        " .geojson (or name the format explicitly)"
    )


REQUIRED_COLUMNS = ("code", "name", "lat", "lon")
CREDENTIAL_COLUMNS = ("stream_username", "stream_password")
# Every field of CameraCreate, in the order files show them; credentials are import-only.
IMPORT_COLUMNS = (
    *REQUIRED_COLUMNS,
    "address",
    "ward_code",
    "owner_kind",
    "owner_name",
    "owner_phone",
    "owner_email",
    "consent",
    "consent_since",
    "live_access",
    "funding",
    "funder",
    "programme",
    "installed_on",
    "cost_vnd",
    "make",
    "model",
    "serial",
    "stream_url",
    "sub_stream_url",
    *CREDENTIAL_COLUMNS,
    "expected_width",
    "expected_height",
    "expected_fps",
    "heading_deg",
    "fov_deg",
    "range_m",
    "fov_polygon",
    "status",
    "tags",
    "notes",
)
EXPORT_COLUMNS = tuple(c for c in IMPORT_COLUMNS if c not in CREDENTIAL_COLUMNS)

FLOAT_COLUMNS = frozenset({"lat", "lon", "heading_deg", "fov_deg", "range_m", "expected_fps"})
INT_COLUMNS = frozenset({"cost_vnd", "expected_width", "expected_height"})
BOOL_COLUMNS = frozenset({"consent", "live_access"})
DATE_COLUMNS = frozenset({"consent_since", "installed_on"})
ENUM_COLUMNS = frozenset({"owner_kind", "funding", "status"})
# Columns whose content is checked against a strict pattern, so it cannot start a formula.
PATTERN_COLUMNS = frozenset({"owner_phone"})


def export_columns(*, personal: bool) -> tuple[str, ...]:
    """Return the exported columns; owners' personal data only when the reader may see it."""
    if personal:
        return EXPORT_COLUMNS
    return tuple(c for c in EXPORT_COLUMNS if c not in PERSONAL_FIELDS)
