"""Bad camera files: every problem named with its line and field, and nothing stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import Actor
from camera_registry.camera.model import CameraStatus
from camera_registry.camera.write import WriteContext, set_status
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import ImportRejected, InvalidInput
from camera_registry.transfer.service import TransferFormat, detect_format, import_cameras
from tests.builders import make_camera
from tests.camera_registry.test_transfer_support import HEADER, csv_bytes, stored, xlsx_bytes

BOWTIE = json.dumps(
    {
        "type": "Polygon",
        "coordinates": [
            [[107.08, 10.35], [107.09, 10.36], [107.09, 10.35], [107.08, 10.36], [107.08, 10.35]]
        ],
    }
).replace('"', '""')

# (file lines, expected line, field, part of the message)
CSV_CASES = {
    "missing column": (["code,name,lat", "VT-1,A,10.35"], None, "lon", "required column"),
    "typo column": ([HEADER + ",adress", "VT-1,A,10.35,107.08,x"], None, "adress", "'address'"),
    "twice column": ([HEADER + ",name", "VT-1,A,10.35,107.08,B"], 1, "name", "twice"),
    "no header cell": ([HEADER, "VT-1,A,10.35,107.08,stray"], 2, "column 5", "no header"),
    "missing value": ([HEADER, "VT-9,,10.35,107.08"], 2, "name", "missing"),
    "bad number": ([HEADER, "VT-9,A,abc,107.08"], 2, "lat", "'abc' is not a number"),
    "bad date": ([HEADER + ",installed_on", "VT-9,A,10.35,107.08,2023-13-45"], 2,
                 "installed_on", "not a date"),
    "bad boolean": ([HEADER + ",consent", "VT-9,A,10.35,107.08,maybe"], 2, "consent",
                    "not yes/no"),
    "swapped": ([HEADER, "VT-9,A,107.08,10.35"], 2, "lat,lon", "look swapped"),
    "abroad": ([HEADER, "VT-9,A,48.85,2.35"], 2, "lat,lon", "outside Vietnam"),
    "duplicate": ([HEADER, "VT-9,A,10.35,107.08", "VT-9,B,10.36,107.08"], 3, "code",
                  "appears twice (first on line 2)"),
    "bad code": ([HEADER, "VT 9,A,10.35,107.08"], 2, "code", "'VT 9' is not a code"),
    "bowtie": ([HEADER + ",fov_polygon", f'VT-9,A,10.35,107.08,"{BOWTIE}"'], 2, "fov_polygon",
               "Self-intersection"),
    "not geojson": ([HEADER + ",fov_polygon", "VT-9,A,10.35,107.08,{nope"], 2, "fov_polygon",
                    "not GeoJSON"),
    "unknown ward": ([HEADER + ",ward_code", "VT-9,A,10.35,107.08,99999"], 2, "ward_code",
                     "unknown ward code '99999'"),
    "bad status": ([HEADER + ",status", "VT-9,A,10.35,107.08,actve"], 2, "status",
                   "'actve' is not one of"),
    "bad cost": ([HEADER + ",cost_vnd", "VT-9,A,10.35,107.08,12 triệu"], 2, "cost_vnd",
                 "not a whole number"),
    "huge cost": ([HEADER + ",cost_vnd", "VT-9,A,10.35,107.08,90000000000"], 2, "cost_vnd",
                  "less than or equal to"),
    "bad email": ([HEADER + ",owner_email", "VT-9,A,10.35,107.08,no-at-sign"], 2,
                  "owner_email", "not an e-mail"),
    "bad heading": ([HEADER + ",heading_deg", "VT-9,A,10.35,107.08,400"], 2, "heading_deg",
                    "less than 360"),
    "width alone": ([HEADER + ",expected_width", "VT-9,A,10.35,107.08,1920"], 2,
                    "expected_width,expected_height", "together"),
    "bad width": ([HEADER + ",expected_width,expected_height", "VT-9,A,10.35,107.08,1920px,1080"],
                  2, "expected_width", "not a whole number (pixels"),
    "tiny height": ([HEADER + ",expected_width,expected_height", "VT-9,A,10.35,107.08,1920,8"],
                    2, "expected_height", "greater than or equal to 16"),
    "fast fps": ([HEADER + ",expected_fps", "VT-9,A,10.35,107.08,240"], 2, "expected_fps",
                 "less than or equal to 120"),
    "bad transition": ([HEADER + ",status", "VT-0001,A,10.35,107.08,active"], 2, "status",
                       "cannot go from decommissioned to active"),
    "header only": ([HEADER], None, "file", "header but no rows"),
}  # fmt: skip


@pytest.fixture
def existing(session_factory: sessionmaker[Session], actor: Actor) -> sessionmaker[Session]:
    """A registry with one decommissioned camera, VT-0001."""
    with unit_of_work(session_factory) as session:
        make_camera(session, code="VT-0001", status=CameraStatus.ACTIVE)
        set_status(session, code="VT-0001", status=CameraStatus.DECOMMISSIONED, actor=actor)
    return session_factory


def _rejected(
    factory: sessionmaker[Session], content: bytes, fmt: TransferFormat, actor: Actor
) -> ImportRejected:
    before = stored(factory)
    with pytest.raises(ImportRejected) as caught, unit_of_work(factory) as session:
        import_cameras(
            session, content=content, fmt=fmt, actor=actor, ctx=WriteContext(cipher=None)
        )
    assert stored(factory) == before, "a rejected file must leave the registry unchanged"
    return caught.value


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_each_problem_is_named(existing: sessionmaker[Session], actor: Actor, case: str) -> None:
    lines, line, field, message = CSV_CASES[case]
    error = _rejected(existing, csv_bytes(*lines), TransferFormat.CSV, actor)
    found = [(p.line, p.field) for p in error.problems]
    assert (line, field) in found, error.problems
    problem = error.problems[found.index((line, field))]
    assert message in problem.message
    assert "nothing imported" in error.message


def test_every_row_is_reported_at_once(existing: sessionmaker[Session], actor: Actor) -> None:
    content = csv_bytes(
        HEADER + ",consent,ward_code",
        "VT-0100,Good,10.35,107.08,yes,",
        "VT 2,Bad code and swapped,107.08,10.35,maybe,",
        "VT-0100,Duplicate with a bad ward,10.35,107.08,,00000",
        "VT-0101,,10.35,107.08,,",
    )
    error = _rejected(existing, content, TransferFormat.CSV, actor)
    assert [(p.line, p.field) for p in error.problems] == [
        (3, "consent"),
        (3, "code"),
        (3, "lat,lon"),
        (4, "code"),
        (4, "ward_code"),
        (5, "name"),
    ]


XLSX_MAGIC = xlsx_bytes([["code", "name", "lat", "lon"], ["VT-1", "A", 10.35, 107.08]])
FILE_CASES = [
    (b"", TransferFormat.CSV, "the file is empty"),
    (b"   \r\n", TransferFormat.XLSX, "the file is empty"),
    (XLSX_MAGIC, TransferFormat.CSV, "zip file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", TransferFormat.CSV, "old Excel .xls"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", TransferFormat.CSV, "binary file"),
    ("code,name,lat,lon\nVT-1,Café,10.35,107.08\n".encode("latin-1"), TransferFormat.CSV,
     "not UTF-8"),
    (b"code,name,lat,lon\n", TransferFormat.XLSX, "not an .xlsx workbook"),
    (b"PK\x03\x04broken zip", TransferFormat.XLSX, "not a readable .xlsx"),
    (b"code,name\n", TransferFormat.GEOJSON, "not JSON"),
    (b'{"type": "Feature"}', TransferFormat.GEOJSON, "FeatureCollection"),
    (b"\n\n", TransferFormat.CSV, "the file is empty"),
    (b",,,\nVT-1,A,10.35,107.08\n", TransferFormat.CSV, "first line must be the header"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "fmt", "message"), FILE_CASES)
def test_files_that_are_not_what_they_claim(
    session_factory: sessionmaker[Session],
    actor: Actor,
    content: bytes,
    fmt: TransferFormat,
    message: str,
) -> None:
    error = _rejected(session_factory, content, fmt, actor)
    assert error.problems[0].field == "file"
    assert message in error.message


def test_geojson_feature_problems_carry_the_feature_number(
    session_factory: sessionmaker[Session], actor: Actor
) -> None:
    good = {"type": "Point", "coordinates": [107.08, 10.35]}
    features = [
        {"type": "Feature", "geometry": good, "properties": {"code": "A", "name": "A"}},
        {"type": "Feature", "geometry": {"type": "LineString"}, "properties": {"code": "B"}},
        {"type": "Feature", "geometry": good, "properties": {"code": "C", "lat": 1}},
        "not a feature",
        {"type": "Feature", "geometry": good, "properties": {"code": "E", "name": "E", "x": 1}},
    ]
    content = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    error = _rejected(session_factory, content, TransferFormat.GEOJSON, actor)
    assert [(p.line, p.field) for p in error.problems] == [
        (None, "x"),
        (2, "geometry"),
        (3, "lat"),
        (4, "type"),
    ]


def test_geojson_nested_values_are_refused(
    session_factory: sessionmaker[Session], actor: Actor
) -> None:
    point = {"type": "Point", "coordinates": [107.08, 10.35]}
    feature = {"type": "Feature", "geometry": point, "properties": {"code": "F", "name": {"a": 1}}}
    content = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    error = _rejected(session_factory, content, TransferFormat.GEOJSON, actor)
    assert [(p.line, p.field) for p in error.problems] == [(1, "name")]
    assert "not a JSON object" in error.problems[0].message


def test_xlsx_problems_use_spreadsheet_rows(
    session_factory: sessionmaker[Session], actor: Actor
) -> None:
    content = xlsx_bytes(
        [
            ["code", "name", "lat", "lon", "consent"],
            ["VT-1", "A", 10.35, 107.08, "yes"],
            [None, None, None, None, None],
            ["VT-2", "B", "north", 107.08, True],
        ]
    )
    error = _rejected(session_factory, content, TransferFormat.XLSX, actor)
    assert [(p.line, p.field) for p in error.problems] == [(4, "lat")]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("cams.csv", TransferFormat.CSV),
        ("CAMS.XLSX", TransferFormat.XLSX),
        ("x.geojson", TransferFormat.GEOJSON),
        ("x.json", TransferFormat.GEOJSON),
    ],
)
def test_format_from_the_extension(name: str, fmt: TransferFormat) -> None:
    assert detect_format(name) == fmt


@pytest.mark.parametrize(("name", "message"), [("c.xls", "old Excel"), ("c.pdf", "extension")])
def test_unknown_extensions_are_refused(name: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        detect_format(name)
