"""Generate samples/areas.geojson (approximate wards) and samples/cameras.csv (1,611 cameras).

The polygons are rough sketches of Vũng Tàu's wards, not survey data: the old wards (until
2025-06-30) are a partition of a hand-drawn land outline cut by straight lines, and each new
ward (from 2025-07-01) is the union of the old wards it replaced. Run `make samples`.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import split, unary_union

from camera_registry.area.official import official_ward_name
from camera_registry.text import fold
from camera_registry.transfer.columns import EXPORT_COLUMNS, TransferFormat
from camera_registry.transfer.writers import write_table

SEED = 20250701
CAMERAS = 1611
OLD_END, NEW_START = "2025-06-30", "2025-07-01"
SOURCE = "camreg sample: approximate polygon, replace with an official boundary file"

# Hand-drawn outlines (lon, lat): the peninsula from Mũi Nghinh Phong to the Cỏ May river,
# and Long Sơn island across the Sông Dinh.
PENINSULA = [
    (107.0842, 10.3200), (107.0885, 10.3262), (107.0925, 10.3318), (107.0975, 10.3395),
    (107.1035, 10.3480), (107.1100, 10.3570), (107.1180, 10.3670), (107.1265, 10.3775),
    (107.1360, 10.3890), (107.1465, 10.4010), (107.1580, 10.4135), (107.1705, 10.4260),
    (107.1840, 10.4385), (107.1975, 10.4480), (107.1990, 10.4530), (107.1850, 10.4545),
    (107.1700, 10.4500), (107.1560, 10.4440), (107.1420, 10.4370), (107.1290, 10.4290),
    (107.1180, 10.4190), (107.1080, 10.4080), (107.0990, 10.3990), (107.0900, 10.3920),
    (107.0810, 10.3870), (107.0730, 10.3830), (107.0665, 10.3780), (107.0625, 10.3715),
    (107.0600, 10.3640), (107.0615, 10.3570), (107.0655, 10.3505), (107.0705, 10.3460),
    (107.0725, 10.3405), (107.0745, 10.3345), (107.0775, 10.3285), (107.0805, 10.3235),
]  # fmt: skip
LONG_SON = [
    (107.0420, 10.4480), (107.0560, 10.4380), (107.0750, 10.4330), (107.0950, 10.4340),
    (107.1100, 10.4420), (107.1180, 10.4540), (107.1130, 10.4680), (107.0980, 10.4780),
    (107.0780, 10.4800), (107.0600, 10.4740), (107.0470, 10.4640),
]  # fmt: skip

# New wards: code → (official name, old codes it replaced).
NEW_WARDS = {
    "26506": ("26506", "26508", "26509", "26512", "26515", "26518", "26521"),
    "26526": ("26524", "26526", "26527", "26530"),
    "26536": ("26533", "26535", "26536"),
    "26542": ("26539", "26542"),
    "26545": ("26545",),
}
OLD_NAMES = {
    "26506": "Phường 1", "26508": "Phường Thắng Tam", "26509": "Phường 2",
    "26512": "Phường 3", "26515": "Phường 4", "26518": "Phường 5",
    "26521": "Phường Thắng Nhì", "26524": "Phường 7", "26526": "Phường Nguyễn An Ninh",
    "26527": "Phường 8", "26530": "Phường 9", "26533": "Phường Thắng Nhất",
    "26535": "Phường Rạch Dừa", "26536": "Phường 10", "26539": "Phường 11",
    "26542": "Phường 12", "26545": "Xã Long Sơn",
}  # fmt: skip
# Share of the cameras per old ward: the old centre (Phường 1–9) is densest.
WEIGHTS = {
    "26506": 11, "26509": 7, "26512": 9, "26515": 7, "26518": 6, "26508": 7, "26521": 6,
    "26524": 7, "26527": 7, "26530": 6, "26526": 6, "26533": 5, "26535": 5, "26536": 4,
    "26539": 3, "26542": 2.5, "26545": 1.5,
}  # fmt: skip


def _cut(shape: BaseGeometry, a: tuple[float, float], b: tuple[float, float]) -> tuple[Any, Any]:
    """Split a shape by the straight line a→b; return (left part, right part).

    Left of a line heading north is west; left of a line heading east is north.
    """
    pieces = split(shape, LineString([a, b])).geoms
    left: list[BaseGeometry] = []
    right: list[BaseGeometry] = []
    for piece in pieces:
        p = piece.representative_point()
        cross = (b[0] - a[0]) * (p.y - a[1]) - (b[1] - a[1]) * (p.x - a[0])
        (left if cross > 0 else right).append(piece)
    return unary_union(left), unary_union(right)


def old_wards() -> dict[str, BaseGeometry]:
    """Return the 17 old wards as a partition of the land."""
    land = Polygon(PENINSULA)
    north, rest = _cut(land, (107.05, 10.4005), (107.20, 10.3760))
    p11, p12 = _cut(north, (107.150, 10.380), (107.125, 10.470))
    middle, south = _cut(rest, (107.05, 10.3730), (107.14, 10.3665))
    tn1, middle = _cut(middle, (107.086, 10.36), (107.082, 10.40))
    rach_dua, p10 = _cut(middle, (107.105, 10.36), (107.101, 10.40))
    centre, tip = _cut(south, (107.05, 10.3455), (107.14, 10.3545))
    p2, thang_tam = _cut(tip, (107.0845, 10.30), (107.0860, 10.36))
    west, east = _cut(centre, (107.0880, 10.30), (107.0880, 10.40))
    p5, west = _cut(west, (107.0718, 10.30), (107.0722, 10.40))
    west_n, west_s = _cut(west, (107.06, 10.3590), (107.10, 10.3580))
    p4, thang_nhi = _cut(west_n, (107.0800, 10.30), (107.0800, 10.40))
    p1, p3 = _cut(west_s, (107.0795, 10.30), (107.0800, 10.40))
    east_n, east_s = _cut(east, (107.08, 10.3600), (107.13, 10.3620))
    p7, p9 = _cut(east_n, (107.0990, 10.30), (107.0990, 10.40))
    p8, nguyen_an_ninh = _cut(east_s, (107.0970, 10.30), (107.0990, 10.40))
    shapes = {
        "26506": p1, "26508": thang_tam, "26509": p2, "26512": p3, "26515": p4,
        "26518": p5, "26521": thang_nhi, "26524": p7, "26526": nguyen_an_ninh, "26527": p8,
        "26530": p9, "26533": tn1, "26535": rach_dua, "26536": p10, "26539": p11,
        "26542": p12, "26545": Polygon(LONG_SON),
    }  # fmt: skip
    # Coordinates stay unrounded: a vertex that one neighbour has in the middle of a shared
    # edge would, rounded, move off the other neighbour's edge and make the two overlap.
    return shapes


def _feature(code: str, name: str, shape: BaseGeometry, **props: Any) -> dict[str, Any]:
    if shape.is_empty or not shape.is_valid:
        raise ValueError(f"ward {code}: the generated polygon is empty or invalid")
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": "ward", **props, "source": SOURCE},
        "geometry": mapping(shape),
    }


def area_features(old: dict[str, BaseGeometry]) -> list[dict[str, Any]]:
    """Return the new wards (unions of the old) and the old wards with their successors."""
    features = []
    for code, olds in NEW_WARDS.items():
        # A grid of 1e-9° (0.1 mm) absorbs the float noise along shared edges, which would
        # otherwise leave the union in pieces.
        shape = shapely.union_all([old[c] for c in olds], grid_size=1e-9)
        name = official_ward_name(code)
        assert name is not None, code
        features.append(_feature(code, name, shape, parent_code="79", valid_from=NEW_START))
    successor = {old_code: new for new, olds in NEW_WARDS.items() for old_code in olds}
    for code, shape in old.items():
        features.append(
            _feature(
                code,
                OLD_NAMES[code],
                shape,
                parent_code="747",
                valid_to=OLD_END,
                replaced_by=[successor[code]],
                province_code="77",
            )
        )
    return features


STREETS = {
    "26506": ["Ba Cu", "Trưng Trắc", "Trưng Nhị", "Lê Lợi", "Quang Trung", "Hạ Long",
              "Hoàng Hoa Thám", "Trần Hưng Đạo", "Lý Thường Kiệt", "Nam Kỳ Khởi Nghĩa",
              "Trần Phú", "Phan Chu Trinh", "Võ Thị Sáu", "Xô Viết Nghệ Tĩnh", "Thùy Vân"],
    "26526": ["Nguyễn An Ninh", "Lê Hồng Phong", "Bình Giã", "Thùy Vân", "Nguyễn Hữu Cảnh",
              "Phạm Hồng Thái", "Lưu Chí Hiếu", "Nguyễn Thái Học", "Đô Lương"],
    "26536": ["30 Tháng 4", "Nguyễn Hữu Cảnh", "Lưu Chí Hiếu", "Đô Lương", "Võ Nguyên Giáp",
              "Bình Giã"],
    "26542": ["30 Tháng 4", "Võ Nguyên Giáp", "Hàng Điều", "Phước Thắng", "Chi Lăng"],
    "26545": ["Ấp Bà Trao", "Ấp Bến Điệp", "Ấp Bãi Đá Dựng", "Ấp Rạch Vược"],
}  # fmt: skip
PLACES = ["Ngã tư", "Ngã ba", "Cổng trường", "Chợ", "Trước nhà", "Đầu hẻm", "Bến xe",
          "Công viên", "Trạm y tế", "Nhà văn hóa khu phố"]  # fmt: skip
PLACE_TAGS = {"Ngã tư": "giao-lo", "Ngã ba": "giao-lo", "Cổng trường": "truong-hoc",
              "Chợ": "cho", "Bến xe": "ben-xe", "Công viên": "cong-vien",
              "Trạm y tế": "y-te", "Đầu hẻm": "hem"}  # fmt: skip
EXTRA_TAGS = ["khu-dan-cu", "bai-bien", "khach-san", "ngan-hang", "nha-tho", "chua", "quan-an"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]  # fmt: skip
MEN = ["Văn An", "Văn Bình", "Minh Cường", "Quốc Dũng", "Hữu Hải", "Đức Hùng", "Thanh Long",
       "Hoàng Nam", "Văn Phúc", "Minh Quân", "Ngọc Sơn", "Anh Tuấn"]  # fmt: skip
WOMEN = ["Thị Hà", "Thị Hoa", "Ngọc Lan", "Thị Mai", "Thu Nga", "Thị Tâm", "Phương Thảo",
         "Thu Trang", "Tường Vy", "Hải Yến"]  # fmt: skip
BUSINESSES = {
    "Khách sạn": ["Sao Biển", "Hải Âu", "Thùy Dương", "Biển Xanh", "Hoàng Gia", "Sóng Vàng"],
    "Nhà hàng": ["Gành Hào", "Cây Bàng", "Hải Sản Cô Ba", "Bến Đá", "Ốc Tự Nhiên"],
    "Tiệm vàng": ["Kim Phát", "Kim Hưng", "Ngọc Thẩm", "Bảo Tín"],
    "Cà phê": ["Biển Nhớ", "Hải Đăng", "Gió Biển"],
    "Nhà thuốc": ["Minh Châu", "An Khang", "Phước Thiện"],
}
MODELS = [("Hikvision", "DS-2CD1043G0-I"), ("Hikvision", "DS-2CD2143G2-I"),
          ("Dahua", "IPC-HFW1230S"), ("Dahua", "IPC-HDW1230T1-S5"), ("Ezviz", "C3W"),
          ("Ezviz", "C3TN"), ("Imou", "IPC-F22P"), ("KBVision", "KX-A2011N2")]  # fmt: skip
PATHS = {"Hikvision": ("Streaming/Channels/101", "Streaming/Channels/102"),
         "Ezviz": ("h264/ch1/main/av_stream", "h264/ch1/sub/av_stream")}  # fmt: skip
DAHUA_PATHS = ("cam/realmonitor?channel=1&subtype=0", "cam/realmonitor?channel=1&subtype=1")
# Main-stream size of each model at its factory setting (4 MP Hikvision, 2 MP the rest).
MAIN_SIZE = {"DS-2CD1043G0-I": (2560, 1440), "DS-2CD2143G2-I": (2688, 1520)}
# Factory frame rates in a PAL country; some owners lower it to save the memory card.
FPS_WEIGHTS: dict[Any, float] = {25.0: 70, 20.0: 12, 15.0: 10, 12.5: 3, 30.0: 5}
NOTES = ["Camera bị cây che một phần vào mùa mưa.", "Chủ nhà thường vắng vào cuối tuần.",
         "Đã thay nguồn năm 2024.", "Góc quay hướng ra bãi giữ xe.",
         "Liên hệ tổ trưởng trước khi trích xuất.", "Lưu trữ 7 ngày trên thẻ nhớ."]  # fmt: skip


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _point_in(rng: random.Random, shape: BaseGeometry) -> tuple[float, float]:
    west, south, east, north = shape.bounds
    while True:
        lat, lon = round(rng.uniform(south, north), 6), round(rng.uniform(west, east), 6)
        if shape.contains(Point(lon, lat)):
            return lat, lon


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _owner(rng: random.Random, old_code: str) -> dict[str, Any]:
    kind = _pick(rng, {"person": 50, "business": 35, "residents_group": 15})
    if kind == "person":
        name = f"{rng.choice(FAMILY)} {rng.choice(MEN + WOMEN)}"
    elif kind == "business":
        trade = rng.choice(list(BUSINESSES))
        name = f"{trade} {rng.choice(BUSINESSES[trade])}"
    else:
        group = rng.choice(["Tổ dân phố", "Liên gia tự quản", "Khu phố"])
        name = f"{group} {rng.randint(1, 12)}, {OLD_NAMES[old_code]}"
    phone = None
    if kind != "residents_group" or rng.random() < 0.5:
        phone = rng.choice(["09", "03", "07", "08"]) + f"{rng.randrange(10**8):08d}"
    email = None
    if kind != "residents_group" and rng.random() < 0.25:
        local = fold(name).replace(" ", "")[:20]
        email = f"{local}{rng.randint(1, 99)}@{rng.choice(['example.com', 'example.net'])}"
    return {"owner_kind": kind, "owner_name": name, "owner_phone": phone, "owner_email": email}


def _funding(rng: random.Random, owner: dict[str, Any], installed: date | None) -> dict[str, Any]:
    funding = _pick(rng, {"social": 78, "state": 12, "private": 10})
    # A person's name is personal data and must stay out of the funder column.
    business = owner["owner_name"] if owner["owner_kind"] == "business" else None
    year = installed.year if installed else 2025
    if funding == "social":
        funders = ["Nhân dân khu phố", "Mặt trận Tổ quốc phường", "Hội doanh nghiệp trẻ Vũng Tàu"]
        funder = rng.choice([*funders, business or "Hộ gia đình"])
        programme = rng.choice([f"Camera an ninh xã hội hóa {year}", "Khu phố an toàn"])
        cost = rng.randrange(2_500_000, 18_000_000, 50_000)
    elif funding == "state":
        funder = rng.choice(["UBND thành phố Vũng Tàu", "Công an thành phố Vũng Tàu"])
        programme = rng.choice(["Đề án camera giám sát giao thông", "Đô thị thông minh"])
        cost = rng.randrange(15_000_000, 45_000_000, 100_000)
    else:
        funder, programme = business or "Hộ gia đình", None
        cost = rng.randrange(1_500_000, 9_000_000, 50_000)
    return {"funding": funding, "funder": funder, "programme": programme,
            "cost_vnd": cost if rng.random() < 0.9 else None}  # fmt: skip


def _equipment(rng: random.Random, n: int, status: str) -> dict[str, Any]:
    make, model = rng.choice(MODELS)
    data: dict[str, Any] = {"make": make, "model": model, "serial": None}
    data["serial"] = f"{make[:2].upper()}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else None
    main, sub = PATHS.get(make, DAHUA_PATHS)
    host = f"rtsp://cam-{n:04d}.vt.invalid:554"
    linked = status != "planned" and rng.random() < 0.92
    data["stream_url"] = f"{host}/{main}" if linked else None
    data["sub_stream_url"] = f"{host}/{sub}" if linked and rng.random() < 0.8 else None
    data.update(_stream_format(n, model, linked))
    return data


def _stream_format(n: int, model: str, linked: bool) -> dict[str, Any]:
    # Its own generator per camera, so adding these columns left every other sample value as is.
    rng = random.Random(f"{SEED}-stream-{n}")
    known = linked and rng.random() < 0.7
    width, height = MAIN_SIZE.get(model, (1920, 1080)) if known else (None, None)
    fps = _pick(rng, FPS_WEIGHTS) if known and rng.random() < 0.9 else None
    return {"expected_width": width, "expected_height": height, "expected_fps": fps}


def _view(rng: random.Random, lat: float, lon: float, n: int) -> dict[str, Any]:
    if n % 150 == 7:
        # A few cameras have a surveyed field of view instead of a sector.
        d = 0.0004
        ring = [(lon, lat), (lon + d, lat + d / 2), (lon + d, lat - d / 2), (lon, lat)]
        polygon = {
            "type": "Polygon",
            "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]],
        }
        return {"fov_polygon": polygon, "heading_deg": None, "fov_deg": None, "range_m": None}
    if rng.random() < 0.12:
        return {"fov_polygon": None, "heading_deg": None, "fov_deg": None, "range_m": None}
    fov = 360.0 if rng.random() < 0.04 else float(rng.choice([60, 70, 80, 90, 100, 110]))
    return {"fov_polygon": None, "heading_deg": float(rng.randrange(0, 360)), "fov_deg": fov,
            "range_m": float(rng.choice([20, 30, 40, 50, 60, 80, 100, 120]))}  # fmt: skip


def camera(rng: random.Random, n: int, old: dict[str, BaseGeometry]) -> dict[str, Any]:
    """Return one plausible camera record."""
    old_code = _pick(rng, WEIGHTS)
    new_code = next(new for new, olds in NEW_WARDS.items() if old_code in olds)
    lat, lon = _point_in(rng, old[old_code])
    status = _pick(rng, {"active": 85, "maintenance": 5, "planned": 6, "decommissioned": 4})
    installed = None if status == "planned" else _day(rng, date(2016, 1, 1), date(2025, 6, 30))
    street = rng.choice(STREETS[new_code])
    place = rng.choice(PLACES)
    cross = rng.choice([other for other in STREETS[new_code] if other != street])
    name = f"Ngã tư {street} – {cross}" if place == "Ngã tư" else f"{place} {street}"
    owner = _owner(rng, old_code)
    consent = _pick(rng, {True: 90, False: 8, None: 2})
    since = _day(rng, installed or date(2025, 1, 1), date(2025, 6, 30)) if consent else None
    tags = {PLACE_TAGS[place]} if place in PLACE_TAGS else set()
    tags |= set(rng.sample(EXTRA_TAGS, rng.choice([0, 0, 1, 1, 2])))
    return {
        "code": f"VT-{n:04d}",
        "name": name,
        "lat": lat,
        "lon": lon,
        "address": f"{rng.randint(1, 480)} {street}, {official_ward_name(new_code)}",
        # Some rows leave the ward empty so the importer derives it from the position.
        "ward_code": new_code if rng.random() >= 0.05 else None,
        **owner,
        "consent": consent,
        "consent_since": since,
        "live_access": _pick(rng, {True: 30, False: 60, None: 10}),
        **_funding(rng, owner, installed),
        "installed_on": installed,
        **_equipment(rng, n, status),
        **_view(rng, lat, lon, n),
        "status": status,
        "tags": sorted(tags),
        "notes": rng.choice(NOTES) if rng.random() < 0.25 else None,
    }


def main() -> None:
    """Write both sample files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).parent.parent / "samples")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    old = old_wards()
    features = area_features(old)
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    collection = f'{{"type": "FeatureCollection", "features": [\n{lines}\n]}}\n'
    (args.out_dir / "areas.geojson").write_text(collection, encoding="utf-8")
    cameras = [camera(rng, n, old) for n in range(1, CAMERAS + 1)]
    content = write_table(cameras, EXPORT_COLUMNS, TransferFormat.CSV)
    (args.out_dir / "cameras.csv").write_bytes(content)
    print(f"wrote {len(features)} areas and {len(cameras)} cameras to {args.out_dir}")


if __name__ == "__main__":
    main()
