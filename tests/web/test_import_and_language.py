"""Bulk import (dry run with line-numbered errors, then the import) and the language switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from camera_registry.camera.model import Camera
from tests.web.conftest import Site, Web

pytestmark = pytest.mark.browser

BROKEN_CSV = """code,name,lat,lon,status
VT-2001,Cổng trường Lê Lợi,10.3452,107.0801,active
VT-2002,Hẻm 5,abc,107.0811,planned
VT-2003,,10.3466,107.0822,
VT-2004,Ngõ Hoa,10.3470,107.0830,flying
"""
GOOD_CSV = """code,name,lat,lon,status
VT-2001,Cổng trường Lê Lợi,10.3452,107.0801,active
VT-2002,Hẻm 5,10.3461,107.0811,planned
VT-0010,Hẻm số 10 (đổi tên),10.337,107.072,
"""


def _count(site: Site) -> int:
    with site.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Camera)) or 0)


def _names(site: Site, *codes: str) -> dict[str, str]:
    with site.session_factory() as session:
        rows = session.execute(select(Camera.code, Camera.name).where(Camera.code.in_(codes)))
        return {str(code): str(name) for code, name in rows}


def test_dry_run_lists_errors_by_line_then_a_good_file_imports(
    web: Web, site: Site, tmp_path: Path
) -> None:
    broken = tmp_path / "cameras-broken.csv"
    broken.write_text(BROKEN_CSV, encoding="utf-8")
    good = tmp_path / "cameras.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    web.login("tech")
    web.go("#/import")
    page = web.page
    expect(page.get_by_role("heading", name="Nhập hàng loạt")).to_be_visible()
    page.get_by_label("Tệp camera").set_input_files(broken)
    page.get_by_role("button", name="Chạy thử").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("Tệp bị từ chối, không có gì được nhập.")
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(3)
    lines = [rows.nth(i).locator("td").nth(0).inner_text() for i in range(3)]
    fields = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)]
    assert lines == ["3", "4", "5"]
    assert fields == ["lat", "name", "status"]
    expect(page.get_by_role("button", name="Nhập vào sổ đăng ký")).to_be_disabled()
    assert _count(site) == 34

    page.get_by_label("Tệp camera").set_input_files(good)
    page.get_by_role("button", name="Chạy thử").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("Chạy thử thành công")
    expect(page.locator("#count-created")).to_have_text("Sẽ tạo mới / đã tạo (2)")
    expect(page.locator("#count-updated")).to_have_text("Sẽ cập nhật / đã cập nhật (1)")
    expect(page.locator("#import-created")).to_contain_text("VT-2001")
    assert _count(site) == 34

    page.get_by_role("button", name="Nhập vào sổ đăng ký").click()
    expect(report).to_contain_text("Đã nhập xong.")
    assert _count(site) == 36
    assert _names(site, "VT-2001", "VT-0010") == {
        "VT-2001": "Cổng trường Lê Lợi",
        "VT-0010": "Hẻm số 10 (đổi tên)",
    }
    page.locator("#import-created").get_by_role("link", name="VT-2001").click()
    expect(page.locator("#camera-name")).to_have_text("Cổng trường Lê Lợi")


def test_language_switch_to_english_is_remembered_and_back(web: Web) -> None:
    web.login("tech")
    page = web.page
    expect(page.locator("[data-nav='map']")).to_have_text("Bản đồ")
    page.get_by_label("Ngôn ngữ").select_option("en")
    expect(page.locator("[data-nav='map']")).to_have_text("Map")
    expect(page.locator("[data-nav='list']")).to_have_text("Camera list")
    expect(page.get_by_role("heading", name="Camera map")).to_be_visible()
    expect(page.locator("#who-role")).to_have_text("Technician")
    assert page.evaluate("document.documentElement.lang") == "en"

    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    web.go("#/camera/VT-0002")
    expect(page.get_by_role("heading", name="Location", exact=True)).to_be_visible()
    expect(page.locator("#camera-status")).to_have_text("Maintenance")
    expect(page.get_by_role("button", name="Back in service")).to_be_visible()

    page.get_by_label("Language").select_option("vi")
    expect(page.get_by_role("heading", name="Vị trí", exact=True)).to_be_visible()
    expect(page.locator("#camera-status")).to_have_text("Bảo trì")
    expect(page.locator("[data-nav='map']")).to_have_text("Bản đồ")
    assert page.evaluate("localStorage.getItem('camreg.language')") == "vi"


def test_phone_layout_keeps_map_and_camera_page_usable(phone: Web, screenshot_dir: Path) -> None:
    phone.login("inv")
    page = phone.page
    expect(page.locator("#map[data-ready='true']")).to_be_visible()
    box = page.locator("#map").bounding_box()
    assert box is not None
    assert box["width"] >= 380
    page.screenshot(path=str(screenshot_dir / "phone-map.png"))
    phone.go("#/camera/VT-0001")
    expect(page.locator("section[data-ready='true']")).to_be_attached()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(screenshot_dir / "phone-camera.png"))
