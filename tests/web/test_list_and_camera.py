"""The camera list (accent-free search, paging) and the camera page (fields, roles, escaping)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from camera_registry.camera.model import Camera
from tests.web.conftest import Site, Web
from tests.web.seed import OWNER_NAME, SQL_ADDRESS, XSS_NAME

pytestmark = pytest.mark.browser


def test_accent_free_search_finds_the_vietnamese_name(web: Web) -> None:
    web.login("inv")
    web.go("#/list")
    page = web.page
    expect(page.get_by_role("heading", name="Danh sách camera")).to_be_visible()
    expect(page.locator("#list-count")).to_contain_text("Hiển thị 1–34 trên tổng số 34 camera")
    page.get_by_label("Tìm kiếm").fill("cho xom luoi")
    page.get_by_role("button", name="Lọc", exact=True).click()
    rows = page.locator("table.camera-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Chợ Xóm Lưới")
    expect(rows.first).to_contain_text("Bảo trì")
    assert "q=cho+xom+luoi" in page.url
    expect(page.get_by_role("link", name="Xuất CSV")).to_have_attribute(
        "href", "/api/v1/cameras/export?q=cho+xom+luoi&format=csv"
    )
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Xuất CSV").click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith("code,name,lat,lon")
    assert [line.split(",")[0] for line in exported.splitlines()[1:]] == ["VT-0002"]
    rows.first.get_by_role("link", name="VT-0002").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chợ Xóm Lưới")


def test_filters_and_cursor_paging(web: Web) -> None:
    web.login("tech")
    web.go("#/list?status=active")
    page = web.page
    rows = page.locator("table.camera-table tbody tr")
    expect(page.locator("#list-count")).to_contain_text("trên tổng số 15 camera")
    expect(rows.locator(".badge")).to_have_text(["Đang hoạt động"] * 15)

    web.go("#/list")
    page.get_by_label("Số camera mỗi trang").select_option("25")
    expect(page.locator("#list-count")).to_have_text("Hiển thị 1–25 (còn trang sau)")
    expect(rows).to_have_count(25)
    first_page = rows.first.locator("td").first.inner_text()
    page.get_by_role("button", name="Trang sau").click()
    expect(page.locator("#list-count")).to_have_text("Hiển thị 26–34 trên tổng số 34 camera")
    expect(rows).to_have_count(9)
    expect(page.get_by_role("button", name="Trang sau")).to_be_disabled()
    page.get_by_role("button", name="Trang trước").click()
    expect(rows.first.locator("td").first).to_have_text(first_page)

    page.get_by_label("Trạng thái").select_option("planned")
    page.get_by_label("Nguồn kinh phí").select_option("private")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("VT-0003")
    assert "size=25" in page.url


def test_camera_page_groups_fields_and_shows_history(
    web: Web, site: Site, screenshot_dir: Path
) -> None:
    web.login("tech")
    web.go("#/camera/VT-0001")
    page = web.page
    expect(page.locator("section[data-ready='true']")).to_be_attached()
    for heading in [
        "Vị trí",
        "Chủ sở hữu",
        "Sự đồng ý",
        "Kinh phí",
        "Thiết bị",
        "Luồng video",
        "Vùng nhìn",
        "Lịch sử thay đổi",
    ]:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("dd[data-field='owner_name']")).to_have_text(OWNER_NAME)
    expect(page.locator("dd[data-field='has_credentials']")).to_have_text("Không")
    expect(page.locator("dd[data-field='funding']")).to_have_text("Xã hội hóa")
    expect(page.locator(".minimap path.fov")).to_have_count(1)
    expect(page.locator("#history .history-entry")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("Tạo mới")
    with site.session_factory() as session:
        created = session.scalars(select(Camera.created_at).where(Camera.code == "VT-0001")).one()
    shown = created.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M:%S")
    expect(page.locator("#history time")).to_have_text(shown)
    expect(page.locator("dd[data-field='created_at']")).to_have_text(shown)
    page.screenshot(path=str(screenshot_dir / "camera.png"), full_page=True)


def test_roles_without_rights_see_no_edit_button_and_no_personal_data(web: Web) -> None:
    web.login("audit")
    page = web.page
    expect(page.locator("[data-nav='import']")).to_have_count(0)
    expect(page.locator("[data-nav='new']")).to_have_count(0)
    web.go("#/camera/VT-0001")
    expect(page.locator("section[data-ready='true']")).to_be_attached()
    expect(page.locator("#personal-hidden")).to_have_text(
        "Thông tin cá nhân của chủ sở hữu bị ẩn với vai trò của bạn."
    )
    expect(page.locator("#edit-camera")).to_have_count(0)
    expect(page.locator("#retire-camera")).to_have_count(0)
    assert OWNER_NAME not in page.content()
    expect(page.locator("#history")).not_to_contain_text(OWNER_NAME)

    web.go("#/camera/VT-0001/edit")
    expect(page.get_by_text("Vai trò của bạn không được làm việc này.")).to_be_visible()


def test_investigator_sees_owner_data_but_cannot_edit(web: Web) -> None:
    web.login("inv")
    web.go("#/camera/VT-0001")
    page = web.page
    expect(page.locator("dd[data-field='owner_name']")).to_have_text(OWNER_NAME)
    expect(page.locator("#edit-camera")).to_have_count(0)
    expect(page.locator("[data-nav='import']")).to_have_count(0)


def test_markup_in_a_camera_name_is_shown_as_text(web: Web) -> None:
    web.login("tech")
    page = web.page
    web.go("#/list?q=VT-0003")
    expect(page.locator("table.camera-table tbody tr").first).to_contain_text(XSS_NAME)
    web.go("#/camera/VT-0003")
    expect(page.locator("#camera-name")).to_have_text(XSS_NAME)
    expect(page.locator("dd[data-field='address']")).to_have_text(SQL_ADDRESS)
    expect(page.locator("img[src='x']")).to_have_count(0)
    web.go("#/map?lat=10.342&lon=107.0801&zoom=19")
    marker = page.locator(".cam-marker[title^='VT-0003']")
    marker.click()
    expect(page.locator(".cam-popup-name")).to_have_text(XSS_NAME)
    expect(page.locator("img[src='x']")).to_have_count(0)
    assert web.dialogs == []
