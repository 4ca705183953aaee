"""Log-in, the offline map (clusters, ward outlines, view cones) and "who sees this point"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Web
from tests.web.seed import PASSWORD, SEEN_POINT

pytestmark = pytest.mark.browser


def _try(web: Web, username: str, password: str) -> None:
    web.page.get_by_label("Tên đăng nhập").fill(username)
    web.page.get_by_label("Mật khẩu").fill(password)
    web.page.get_by_role("button", name="Đăng nhập").click()


def test_wrong_password_and_lockout_get_the_same_message(web: Web) -> None:
    web.open()
    expect(web.page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    error = web.page.locator("#login-error")
    _try(web, "tech", "wrong-password-1")
    expect(error).to_contain_text(
        "sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang bị tạm khóa"
    )
    message = error.inner_text()
    _try(web, "nobody", "wrong-password-1")
    expect(error).to_have_text(message)
    for _ in range(4):
        _try(web, "tech", "wrong-password-1")
        expect(error).to_have_text(message)
    # Five failures lock the account: now even the right password gets the very same answer.
    _try(web, "tech", PASSWORD)
    expect(error).to_have_text(message)
    expect(web.page.locator("#who")).to_have_count(0)
    expect(web.page.get_by_label("Mật khẩu")).to_be_focused()


def test_map_shows_clusters_wards_and_cones_offline(web: Web, screenshot_dir: Path) -> None:
    web.login("tech")
    page = web.page
    expect(page.locator("#who")).to_contain_text(re.compile(r"Trần Kỹ Thuật|tech"))
    expect(page.locator("#who-role")).to_have_text("Kỹ thuật viên")
    expect(page.locator("#map[data-ready='true']")).to_be_visible()
    expect(page.locator("#map")).to_have_attribute("data-cameras", "34")
    expect(page.locator(".marker-cluster").first).to_be_visible()
    expect(page.locator("path.ward")).to_have_count(2)
    expect(page.locator(".ward-label", has_text="Phường Vũng Tàu")).to_be_visible()
    expect(page.locator(".leaflet-tile")).to_have_count(0)
    expect(page.locator("#map-count")).to_have_text("34 camera trên bản đồ")
    page.screenshot(path=str(screenshot_dir / "map.png"))

    page.get_by_label("Ranh giới cũ (trước 01/07/2025)").check()
    expect(page.locator("path.ward-old")).to_have_count(2)
    page.get_by_label("Luôn hiện vùng nhìn").check()
    expect(page.locator("path.fov").first).to_be_attached()
    assert page.locator("path.fov").count() == 2

    page.locator(".marker-cluster").first.click()
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshot_dir / "map-zoomed.png"))


def test_click_lists_the_cameras_that_see_the_point(web: Web) -> None:
    lat, lon = SEEN_POINT
    web.login("inv")
    web.go(f"#/map?lat={lat}&lon={lon}&zoom=17")
    page = web.page
    expect(page.locator("#map[data-ready='true']")).to_be_visible()
    page.get_by_label("Camera nào nhìn thấy điểm này?").check()
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    results = page.locator(".results")
    expect(results).to_contain_text("1 camera nhìn thấy điểm")
    expect(results.get_by_role("link")).to_have_text(["VT-0001 Ngã tư Ba Cu"])
    expect(results).not_to_contain_text("null")

    page.get_by_label("Tìm camera trong bán kính").check()
    page.get_by_label("Bán kính (m)").fill("100")
    page.get_by_label("Bán kính (m)").dispatch_event("change")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(results).to_contain_text("trong bán kính 100 m")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results).to_contain_text("m")

    page.get_by_label("Camera nào nhìn thấy điểm này?").check()
    coordinates = page.get_by_label("Hoặc nhập tọa độ (vĩ độ, kinh độ)")
    coordinates.fill("107.08, 10.34")
    coordinates.press("Enter")
    expect(page.locator("#map-point-error")).not_to_be_empty()
    coordinates.fill(f"{lat}, {lon}")
    coordinates.press("Enter")
    expect(results).to_contain_text("1 camera nhìn thấy điểm")
    results.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ngã tư Ba Cu")
