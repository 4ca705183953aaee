"""The health dashboard: map by state, problems longest first, a camera's timeline and snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from camera_registry.camera.model import Camera
from camera_registry.clock import utcnow
from ingest.health.model import CameraHealth
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.health_builders import (
    jpeg,
    make_check,
    make_health,
    make_interval,
    make_recorded,
    make_timeline,
)
from tests.web.conftest import Site, Web


def _seed_health(site: Site, data_dir: Path) -> int:
    """VT-0001 offline for 5 h, VT-0002 degraded (frozen) for 40 min with a snapshot, VT-0010 up."""
    now = utcnow()
    with site.session_factory.begin() as session:
        cams = {
            c.code: c
            for c in session.scalars(select(Camera))
            if c.code in {"VT-0001", "VT-0002", "VT-0010"}
        }
        make_health(
            session,
            cams["VT-0001"],
            state=HealthState.OFFLINE,
            reasons=[Reason.AUTH_FAILED],
            since=now - timedelta(hours=5),
            checked_at=now - timedelta(minutes=1),
        )
        make_timeline(
            session,
            cams["VT-0001"],
            now - timedelta(hours=30),
            [(HealthState.ONLINE, 25 * 60), (HealthState.OFFLINE, -1)],
        )
        make_health(
            session,
            cams["VT-0002"],
            state=HealthState.DEGRADED,
            reasons=[Reason.FROZEN],
            since=now - timedelta(minutes=40),
            checked_at=now - timedelta(minutes=1),
        )
        make_timeline(
            session,
            cams["VT-0002"],
            now - timedelta(hours=3),
            [(HealthState.ONLINE, 140), (HealthState.DEGRADED, -1)],
        )
        make_recorded(session, cams["VT-0002"], now - timedelta(hours=3), now - timedelta(hours=1))
        check = make_check(
            session,
            cams["VT-0002"],
            at=now - timedelta(minutes=10),
            tier=CheckTier.PICTURE,
            reasons=[Reason.FROZEN],
            snapshot=jpeg(size=(160, 90)),
            data_dir=data_dir,
        )
        make_health(
            session,
            cams["VT-0010"],
            state=HealthState.ONLINE,
            since=now - timedelta(days=2),
            checked_at=now - timedelta(minutes=1),
        )
        return check.id


def _open(web: Web, user: str, route: str = "#/health") -> None:
    web.login(user)
    web.go(route)
    web.page.wait_for_selector("#health-map[data-ready='true']")


def test_dashboard_lists_problems_longest_first_and_sets_a_reference(
    web: Web, site: Site, tmp_path: Path, screenshot_dir: Path
) -> None:
    check_id = _seed_health(site, tmp_path)
    _open(web, "tech")
    page = web.page
    expect(page.locator("a.nav-link[data-nav='health']")).to_have_text("Tình trạng camera")

    # Legend with counts per state; the map colours cameras (or their clusters) by state.
    legend = page.locator("#health-legend")
    expect(legend.locator("li[data-state='offline']")).to_contain_text("(1)")
    expect(legend.locator("li[data-state='degraded']")).to_contain_text("(1)")
    expect(legend.locator("li[data-state='online']")).to_contain_text("(1)")
    expect(
        page.locator(".health-marker.health-offline, .health-cluster-offline").first
    ).to_be_visible()

    # Problems: offline 5 h first, then degraded 40 min, then cameras never checked.
    problems = page.locator(".health-problem")
    codes = problems.evaluate_all("els => els.map(e => e.dataset.camera)")
    assert codes[:2] == ["VT-0001", "VT-0002"]
    assert "VT-0010" not in codes  # online
    states = problems.evaluate_all("els => els.map(e => e.dataset.state)")
    assert set(states[2:]) == {"unknown"}
    expect(problems.first).to_contain_text("sai tài khoản hoặc mật khẩu")
    expect(problems.first).to_contain_text("đã 5 giờ 00 phút")
    expect(problems.nth(1)).to_contain_text("hình đứng yên")

    # The camera panel: state, timeline of the last day, the snapshot, then set the reference.
    problems.nth(1).get_by_role("button").click()
    card = page.locator(".health-card[data-camera='VT-0002']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Hình ảnh kém")
    expect(card.locator(".hl-span[data-state='degraded']")).to_have_count(1)
    expect(card.locator(".hl-span[data-state='online']")).to_have_count(1)
    # The day in numbers, and the footage recorded in the same window under the states.
    expect(card.locator("#health-day")).to_contain_text(
        "hình ảnh kém 2,8 %, mất kết nối 0 %; 1 sự cố"
    )
    expect(card.locator("#health-day")).to_contain_text("đã ghi hình 8,3 %")
    expect(card.locator(".health-coverage .tl-span.tl-recorded")).to_have_count(1)
    snapshot = card.locator(f".health-snapshot[data-check='{check_id}'] img")
    expect(snapshot).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.health-snapshot img');"
        " return i && i.complete && i.naturalWidth === 160; }"
    )
    assert "camera=VT-0002" in page.url
    expect(card.locator("#health-no-reference")).to_be_visible()
    card.get_by_role("button", name="Dùng làm ảnh tham chiếu").click()
    expect(page.locator("#health-reference img")).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('#health-reference img');"
        " return i && i.complete && i.naturalWidth === 160; }"
    )
    with site.session_factory.begin() as session:
        row = session.scalars(
            select(CameraHealth).join(Camera).where(Camera.code == "VT-0002")
        ).one()
        assert row.reference_path == "health/references/VT-0002.jpg"
        assert row.reference_set_by == "user:tech"
    page.screenshot(path=str(screenshot_dir / "health-dashboard.png"), full_page=True)

    # Remove it again (after confirming).
    page.locator("#health-clear-reference").click()
    page.locator("dialog.confirm").get_by_role("button", name="Đồng ý").click()
    expect(page.locator("#health-no-reference")).to_be_visible()


def test_camera_page_links_to_its_health_and_english_labels(
    web: Web, site: Site, tmp_path: Path
) -> None:
    _seed_health(site, tmp_path)
    web.login("inv")
    web.go("#/camera/VT-0001")
    link = web.page.locator("#camera-health-link")
    expect(link).to_have_text("Xem tình trạng hoạt động")
    link.click()
    web.page.wait_for_selector("#health-map[data-ready='true']")
    card = web.page.locator(".health-card[data-camera='VT-0001']")
    expect(card).to_contain_text("Mất kết nối")
    expect(card.locator(".hl-list li[data-state='offline']")).to_contain_text("đến nay")
    # Investigators read but do not manage reference pictures.
    expect(web.page.get_by_role("button", name="Dùng làm ảnh tham chiếu")).to_have_count(0)
    web.page.select_option("#language", "en")
    web.page.wait_for_selector("#health-map[data-ready='true']")
    expect(web.page.locator("a.nav-link[data-nav='health']")).to_have_text("Camera health")
    expect(web.page.locator(".health-card[data-camera='VT-0001']")).to_contain_text("Offline")
    expect(web.page.locator(".health-card[data-camera='VT-0001'] #health-day")).to_contain_text(
        "; 1 incident;"
    )
    expect(web.page.locator(".health-problem").first).to_contain_text("wrong user name or password")


def test_roles_without_health_rights_see_no_link(web: Web, site: Site) -> None:
    web.login("audit")
    expect(web.page.locator("a.nav-link[data-nav='map']")).to_be_visible()
    expect(web.page.locator("a.nav-link[data-nav='health']")).to_have_count(0)
    web.go("#/camera/VT-0001")
    web.page.wait_for_selector("section.view[data-ready='true']")
    expect(web.page.locator("#camera-health-link")).to_have_count(0)


def test_phone_layout_shows_map_then_problems_without_sideways_scroll(
    phone: Web, site: Site, tmp_path: Path
) -> None:
    _seed_health(site, tmp_path)
    _open(phone, "tech")
    page = phone.page
    expect(page.locator(".health-problem").first).to_contain_text("VT-0001")
    map_box = page.locator("#health-map").bounding_box()
    list_box = page.locator("#health-problems").bounding_box()
    assert map_box is not None
    assert list_box is not None
    assert map_box["y"] < list_box["y"]  # the map comes first on a narrow screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_camera_panel_shows_any_day_deep_linked(web: Web, site: Site) -> None:
    # VT-0003 on 12/03/2026 (Vũng Tàu time): online, unreachable 10:00-16:00, online again;
    # footage recorded 11:00-13:00. Before that day nothing is known.
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    day = datetime(2026, 3, 12, tzinfo=zone)
    with site.session_factory.begin() as session:
        camera = session.scalars(select(Camera).where(Camera.code == "VT-0003")).one()
        make_interval(session, camera, HealthState.ONLINE, day, day + timedelta(hours=10))
        make_interval(
            session,
            camera,
            HealthState.OFFLINE,
            day + timedelta(hours=10),
            day + timedelta(hours=16),
            [Reason.UNREACHABLE],
        )
        make_interval(
            session, camera, HealthState.ONLINE, day + timedelta(hours=16), day + timedelta(days=3)
        )
        make_recorded(session, camera, day + timedelta(hours=11), day + timedelta(hours=13))
    _open(web, "tech", "#/health?camera=VT-0003&day=2026-03-12")
    page = web.page
    card = page.locator(".health-card[data-camera='VT-0003']")
    expect(card.locator("#health-window-title")).to_have_text("Tình trạng ngày 12/03/2026")
    expect(page.locator("#health-day-input")).to_have_value("2026-03-12")
    spans = card.locator(".hl-track .hl-span")
    expect(spans).to_have_count(3)
    expect(card.locator(".hl-span[data-state='offline']")).to_have_attribute(
        "title", "Mất kết nối (không kết nối được): 12/03/2026 10:00:00 – 12/03/2026 16:00:00"
    )
    expect(card.locator("#health-day")).to_contain_text("mất kết nối 25 %")
    expect(card.locator("#health-day")).to_contain_text("đã ghi hình 8,3 %")
    expect(card.locator(".health-coverage .tl-span.tl-recorded")).to_have_count(1)
    expect(card.locator(".tl-axis-mark").first).to_have_text("00:00")

    # Next day: online all day; the route follows, so the link can be shared.
    page.locator("#health-next-day").click()
    expect(page.locator("#health-day-input")).to_have_value("2026-03-13")
    expect(card.locator(".hl-track .hl-span")).to_have_count(1)
    expect(card.locator("#health-day")).to_contain_text("Hoạt động 100 %")
    expect(card.locator(".health-coverage .tl-span.tl-recorded")).to_have_count(0)
    assert "day=2026-03-13" in page.url
    assert "camera=VT-0003" in page.url

    # Two days back: before anything was recorded, all unknown.
    page.locator("#health-prev-day").click()
    expect(page.locator("#health-day-input")).to_have_value("2026-03-12")
    page.locator("#health-prev-day").click()
    expect(page.locator("#health-day-input")).to_have_value("2026-03-11")
    expect(card.locator(".hl-track .hl-span")).to_have_count(1)
    expect(card.locator(".hl-span[data-state='unknown']")).to_have_count(1)

    # A date typed in the picker.
    page.locator("#health-day-input").fill("2026-03-12")
    expect(card.locator("#health-window-title")).to_have_text("Tình trạng ngày 12/03/2026")
    expect(card.locator(".hl-track .hl-span")).to_have_count(3)

    # Back to the last 24 hours: no day in the route, next day not offered.
    page.locator("#health-last-day").click()
    expect(card.locator("#health-window-title")).to_have_text("Tình trạng 24 giờ qua")
    expect(page.locator("#health-day-input")).to_have_value("")
    expect(page.locator("#health-next-day")).to_be_disabled()
    assert "day=" not in page.url
    page.locator("#health-prev-day").click()
    expect(page.locator("#health-next-day")).to_be_enabled()
