"""The investigator's events page: draw an area, pick a window, see coverage, events and clips."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import av
import numpy as np
from playwright.sync_api import expect
from sqlalchemy import select

from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import Camera
from ingest.events.model import CoverageKind
from ingest.health.vocabulary import HealthState, Reason
from tests.health_builders import make_interval
from tests.ingest.events.builders import at, make_coverage, make_event, make_footage
from tests.ingest.media.video import make_video
from tests.web.conftest import Site, Web

CASE = "HS-2026-0042"
# VT-0001 (10.3461, 107.0843) looks east; the map opens on it at zoom 17 and the area is drawn
# around it, ±120 px across and ±100 px up and down from the middle of the map.
CENTER = (10.3461, 107.0846)
ZOOM = 17
CORNERS = [(-120, -100), (120, -100), (120, 100), (-120, 100)]
# The window in Vũng Tàu time (T0 = 21:00 local).
WINDOW_FROM = "2026-03-12T20:50"
WINDOW_TO = "2026-03-12T22:10"


def _jpeg(path: Path, grey: int) -> None:
    """Write a small real JPEG with PyAV's MJPEG encoder."""
    codec = av.CodecContext.create("mjpeg", "w")
    assert isinstance(codec, av.VideoCodecContext)
    codec.width, codec.height, codec.pix_fmt = 160, 90, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    image = np.full((90, 160, 3), grey, np.uint8)
    image[20:60, 40:100] = (200, 40, 40)
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuvj420p")
    packets = codec.encode(frame) + codec.encode(None)
    path.write_bytes(b"".join(bytes(p) for p in packets))


def _seed_events(site: Site, data_dir: Path) -> list[str]:
    """Give VT-0001 six seconds of H.264 footage at T0, a known gap, and two events."""
    video = make_video(data_dir / "rec.mp4")
    (data_dir / "thumbs").mkdir(exist_ok=True)
    _jpeg(data_dir / "thumbs" / "a.jpg", 90)
    _jpeg(data_dir / "thumbs" / "b.jpg", 160)
    with site.session_factory.begin() as session:
        camera = session.scalars(select(Camera).where(Camera.code == "VT-0001")).one()
        footage = make_footage(
            session, camera, path=str(video), start=at(0), end=at(0) + timedelta(seconds=6)
        )
        make_coverage(
            session, camera, start=at(0), end=at(0) + timedelta(seconds=6), footage=footage
        )
        make_coverage(
            session, camera, start=at(30), end=at(60), kind=CoverageKind.GAP, reason="power cut"
        )
        first = make_event(
            session,
            camera,
            start=at(0) + timedelta(seconds=1),
            seconds=2,
            score=0.9,
            thumbnail_path="thumbs/a.jpg",
        )
        second = make_event(
            session, camera, start=at(20), seconds=8, score=0.6, thumbnail_path="thumbs/b.jpg"
        )
        return [first.id, second.id]


def _open_events(web: Web) -> None:
    web.login("inv")
    web.go(f"#/events?lat={CENTER[0]}&lon={CENTER[1]}&zoom={ZOOM}")
    web.page.wait_for_selector("#events-map[data-ready='true']")


def _draw_area(web: Web) -> None:
    box = web.page.locator("#events-map").bounding_box()
    assert box is not None
    cx, cy = box["width"] / 2, box["height"] / 2
    for dx, dy in CORNERS:
        web.page.locator("#events-map").click(position={"x": cx + dx, "y": cy + dy})
    expect(web.page.locator("#area-status")).to_contain_text("4 góc")
    web.page.get_by_role("button", name="Khép vùng").click()
    expect(web.page.locator(".area-draw")).to_have_attribute("data-state", "closed")


def _fill_window(web: Web, start: str, end: str) -> None:
    web.page.get_by_label("Số hồ sơ vụ việc").fill(CASE)
    web.page.get_by_label("Từ", exact=True).fill(start)
    web.page.get_by_label("Đến", exact=True).fill(end)


def test_investigator_finds_events_and_plays_a_clip(
    web: Web, site: Site, tmp_path: Path, screenshot_dir: Path
) -> None:
    first, second = _seed_events(site, tmp_path)
    _open_events(web)
    page = web.page
    expect(page.locator("a.nav-link[data-nav='events']")).to_have_text("Tìm sự kiện")
    _draw_area(web)
    _fill_window(web, WINDOW_FROM, WINDOW_TO)
    with page.expect_request("**/api/v1/events/search") as searched:
        page.get_by_role("button", name="Tìm", exact=True).click()
    sent = searched.value
    assert sent.headers.get("x-case-number") == CASE
    body = sent.post_data_json
    assert isinstance(body, dict)
    assert body["from"] == "2026-03-12T20:50:00+07:00"
    assert body["to"] == "2026-03-12T22:10:00+07:00"
    assert body["area"]["type"] == "Polygon"
    assert len(body["area"]["coordinates"][0]) == 5

    # The camera is listed with its coverage and its gap, marked in words.
    row = page.locator(".coverage-item[data-camera='VT-0001']")
    expect(row).to_be_visible()
    expect(row.locator(".coverage-pct")).to_contain_text("%")
    gap = row.locator(".tl-span.tl-gap")
    expect(gap).to_have_count(1)
    expect(gap).to_contain_text("Không có hình")
    expect(row.locator(".tl-span.tl-recorded")).to_have_count(1)
    expect(row.locator(".tl-event")).to_have_count(2)

    # Events in time order, each with its thumbnail loaded.
    items = page.locator(".event-item")
    expect(items).to_have_count(2)
    assert items.evaluate_all("els => els.map(e => e.dataset.event)") == [first, second]
    expect(items.first).to_contain_text("12/03/2026 21:00:01")
    thumbs = page.locator(".event-item img.ev-thumb")
    expect(thumbs).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.ev-thumb')]"
        ".every(i => i.complete && i.naturalWidth === 160)"
    )

    # A tick on the timeline opens the event's detail.
    row.locator(f".tl-event[data-event='{second}']").click()
    expect(page.locator("#ev-detail")).to_contain_text(second)
    expect(page.locator(f".event-item[data-event='{second}']")).to_have_class("event-item selected")

    # Play: the clip (5 s pre- and post-roll) loads in a video element and is served as MP4.
    with page.expect_response("**/api/v1/cameras/VT-0001/clip?*") as answered:
        items.first.get_by_role("button", name="Phát").click()
    response = answered.value
    assert response.status in (200, 206)
    assert response.headers["content-type"] == "video/mp4"
    video = page.locator("video#ev-video")
    expect(video).to_be_visible()
    src = video.get_attribute("src")
    assert src is not None
    query = parse_qs(urlsplit(src).query)
    assert urlsplit(src).path == "/api/v1/cameras/VT-0001/clip"
    assert query["case"] == [CASE]
    assert query["from"] == ["2026-03-12T13:59:56.000Z"]
    assert query["to"] == ["2026-03-12T14:00:08.000Z"]
    page.wait_for_function(
        "() => { const v = document.querySelector('#ev-video'); return v && v.readyState >= 1"
        " && v.duration > 0 && !v.error; }"
    )
    download = items.first.locator("a.ev-download")
    expect(download).to_have_attribute("href", src)
    page.screenshot(path=str(screenshot_dir / "events-page.png"), full_page=True)

    # An event without footage: the clip cannot load, and the page says so.
    items.nth(1).get_by_role("button", name="Phát").click()
    expect(page.locator("#ev-video-error")).to_contain_text("Không phát được đoạn phim")

    # The case number went into the audit log with the search, the thumbnails and the clip.
    with site.session_factory() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    actions = {e.action for e in entries if e.case_number == CASE}
    assert {"event.search", "clip.download", "event.view"} <= actions
    (search,) = [e for e in entries if e.action == "event.search"]
    assert search.actor == "user:inv"


def test_end_before_start_and_missing_area_are_explained(web: Web, site: Site) -> None:
    _open_events(web)
    page = web.page
    _fill_window(web, WINDOW_TO, WINDOW_FROM)
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("#ev-error [role='alert']")).to_contain_text("Hãy vẽ khu vực")

    page.get_by_role("button", name="Dùng khung bản đồ đang xem").click()
    page.get_by_role("button", name="Tìm", exact=True).click()
    alert = page.locator("#ev-error [role='alert']")
    expect(alert).to_contain_text("Thời điểm kết thúc phải sau thời điểm bắt đầu")
    expect(page.get_by_label("Đến", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#ev-results .coverage-item")).to_have_count(0)

    # A window longer than the configured limit (72 h) is refused with the limit named.
    _fill_window(web, "2026-03-01T00:00", "2026-03-12T00:00")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(alert).to_contain_text("Khoảng thời gian dài quá 72 giờ")


def test_case_number_is_required_and_remembered(web: Web, site: Site) -> None:
    _open_events(web)
    page = web.page
    page.get_by_role("button", name="Dùng khung bản đồ đang xem").click()
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("#ev-error")).to_contain_text("Hãy nhập số hồ sơ vụ việc")
    _fill_window(web, WINDOW_FROM, WINDOW_TO)
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("#ev-summary")).to_be_visible()
    web.go("#/map")
    page.wait_for_selector("#map[data-ready='true']")
    web.go("#/events")
    expect(page.get_by_label("Số hồ sơ vụ việc")).to_have_value(CASE)
    # The form and the results stay while the page is open, also across a language switch.
    expect(page.get_by_label("Từ", exact=True)).to_have_value(WINDOW_FROM)
    expect(page.locator("#ev-summary")).to_contain_text("camera nhìn thấy khu vực")
    page.select_option("#language", "en")
    expect(page.locator("#ev-summary")).to_contain_text("cameras see the area")
    expect(page.locator(".tl-legend")).to_contain_text("No footage")


def test_events_page_on_a_phone(
    phone: Web, site: Site, tmp_path: Path, screenshot_dir: Path
) -> None:
    _seed_events(site, tmp_path)
    phone.login("inv")
    phone.go("#/events")
    page = phone.page
    page.wait_for_selector("#events-map[data-ready='true']")
    page.get_by_role("button", name="Dùng khung bản đồ đang xem").click()
    _fill_window(phone, WINDOW_FROM, WINDOW_TO)
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("#ev-summary")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    page.screenshot(path=str(screenshot_dir / "events-phone.png"), full_page=True)


def test_area_can_be_drawn_with_the_keyboard(web: Web, site: Site) -> None:
    _open_events(web)
    page = web.page
    centre = page.get_by_role("button", name="Thêm tâm bản đồ làm góc")
    centre.click()
    page.locator("#events-map").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)  # the pan is animated (0.25 s)
    centre.click()
    page.locator("#events-map").focus()
    page.keyboard.press("ArrowUp")
    page.wait_for_timeout(500)
    centre.click()
    expect(page.locator("#area-status")).to_contain_text("3 góc")
    page.get_by_role("button", name="Khép vùng").click()
    expect(page.locator(".area-draw")).to_have_attribute("data-state", "closed")
    shape = page.locator("#events-map path.area-shape")
    expect(shape).to_have_count(1)
    box = shape.bounding_box()
    assert box is not None
    assert box["width"] > 40, box
    assert box["height"] > 40, box


def test_more_events_are_fetched_page_by_page(web: Web, site: Site) -> None:
    with site.session_factory.begin() as session:
        camera = session.scalars(select(Camera).where(Camera.code == "VT-0001")).one()
        for n in range(205):
            make_event(session, camera, start=at(n * 0.2), seconds=5)
    _open_events(web)
    _draw_area(web)
    _fill_window(web, WINDOW_FROM, WINDOW_TO)
    page = web.page
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator(".event-item")).to_have_count(200)
    page.get_by_role("button", name="Xem thêm sự kiện").click()
    expect(page.locator(".event-item")).to_have_count(205)
    expect(page.locator("#ev-more")).to_have_count(0)
    expect(page.locator(".coverage-item[data-camera='VT-0001'] .tl-event")).to_have_count(205)


def test_events_page_in_english(web: Web, site: Site) -> None:
    web.login("inv")
    web.page.select_option("#language", "en")
    web.go("#/events")
    expect(web.page.locator("a.nav-link[data-nav='events']")).to_have_text("Find events")
    expect(web.page.get_by_role("heading", level=1)).to_have_text("Find motion events")
    expect(web.page.get_by_role("button", name="Use the current map view")).to_be_visible()


def test_covering_cameras_show_their_health_beside_the_footage(
    web: Web, site: Site, tmp_path: Path, screenshot_dir: Path
) -> None:
    _seed_events(site, tmp_path)
    # VT-0001 was online, unreachable from 21:10 to 21:40, then online again; the search window
    # (20:50-22:10) sees 50 of its 80 minutes online and 30 offline.
    with site.session_factory.begin() as session:
        camera = session.scalars(select(Camera).where(Camera.code == "VT-0001")).one()
        make_interval(session, camera, HealthState.ONLINE, at(-60), at(10))
        make_interval(session, camera, HealthState.OFFLINE, at(10), at(40), [Reason.UNREACHABLE])
        make_interval(session, camera, HealthState.ONLINE, at(40), at(120))
    health_requests: list[str] = []
    web.page.on(
        "request",
        lambda r: health_requests.append(r.url) if "/api/v1/health/intervals" in r.url else None,
    )
    _open_events(web)
    _draw_area(web)
    _fill_window(web, WINDOW_FROM, WINDOW_TO)
    page = web.page
    with page.expect_response("**/api/v1/health/intervals?*") as answered:
        page.get_by_role("button", name="Tìm", exact=True).click()
    assert answered.value.status == 200
    assert answered.value.request.headers.get("x-case-number") == CASE

    row = page.locator(".coverage-item[data-camera='VT-0001']")
    band = row.locator(".coverage-health .hl-band")
    expect(band).to_be_visible()
    spans = band.locator(".hl-span")
    expect(spans).to_have_count(3)
    assert spans.evaluate_all("els => els.map(e => e.dataset.state)") == [
        "online",
        "offline",
        "online",
    ]
    offline = band.locator(".hl-span[data-state='offline']")
    expect(offline).to_have_attribute(
        "title", "Mất kết nối (không kết nối được): 12/03/2026 21:10:00 – 12/03/2026 21:40:00"
    )
    expect(row.locator(".coverage-health-sum")).to_have_text(
        "Tình trạng camera: hoạt động 63 %, mất kết nối 38 % (không kết nối được)"
    )
    # The band spans the same width as the footage track, so the same moment lines up.
    band_box = band.bounding_box()
    track_box = row.locator(".tl-track").bounding_box()
    assert band_box is not None
    assert track_box is not None
    assert abs(band_box["x"] - track_box["x"]) < 1
    assert abs(band_box["width"] - track_box["width"]) < 1
    assert band_box["y"] < track_box["y"]
    expect(page.locator("#ev-health-legend")).to_contain_text("Mất kết nối")

    # One request for every covering camera, in the search window, not one per camera.
    shown = page.locator(".coverage-item").evaluate_all("els => els.map(e => e.dataset.camera)")
    assert len(health_requests) == 1
    query = parse_qs(urlsplit(health_requests[0]).query)
    assert sorted(query["camera"]) == sorted(shown)
    assert query["from"] == ["2026-03-12T20:50:00+07:00"]
    assert query["to"] == ["2026-03-12T22:10:00+07:00"]
    page.screenshot(path=str(screenshot_dir / "events-health.png"), full_page=True)

    # The read is audited under the case, as every health read.
    with site.session_factory() as session:
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "health.intervals.view"))
        )
    assert {(e.target, e.case_number) for e in entries} >= {("VT-0001", CASE)}

    page.select_option("#language", "en")
    expect(row.locator(".coverage-health-sum")).to_have_text(
        "Camera health: online 63 %, offline 38 % (unreachable)"
    )
