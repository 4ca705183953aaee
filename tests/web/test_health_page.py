"""The health dashboard: map by state, problems longest first, a camera's timeline and snapshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from camera_registry.camera.model import Camera
from camera_registry.clock import utcnow
from ingest.health.model import CameraHealth
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.health_builders import jpeg, make_check, make_health, make_recorded, make_timeline
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
