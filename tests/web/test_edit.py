"""Editing: PATCH with If-Match, history after an edit, field errors, 412 conflicts, lifecycle."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from camera_registry.actor import cli_actor
from camera_registry.camera.model import Camera, CameraStatus
from camera_registry.camera.schema import CameraUpdate
from camera_registry.camera.write import update_camera
from tests.web.conftest import Site, Web

pytestmark = pytest.mark.browser


def _camera(site: Site, code: str) -> Camera:
    with site.session_factory() as session:
        camera = session.scalars(select(Camera).where(Camera.code == code)).one()
        session.expunge(camera)
        return camera


def test_main_flow_edit_shows_in_history(
    web_on_each_backend: Web, site_on_each_backend: Site
) -> None:
    web = web_on_each_backend
    web.login("tech")
    page = web.page
    expect(page.locator("#map[data-ready='true']")).to_be_visible()
    web.go("#/list")
    page.get_by_label("Tìm kiếm").fill("nga tu ba cu")
    page.get_by_role("button", name="Lọc", exact=True).click()
    page.get_by_role("link", name="VT-0001").click()
    page.locator("#edit-camera").click()
    expect(page.get_by_role("heading", name="Sửa camera VT-0001")).to_be_visible()
    page.get_by_label("Tên", exact=True).fill("Ngã tư Ba Cu – cổng trường")
    page.get_by_label("Tầm nhìn (m)").fill("150")
    page.get_by_label("Nhãn").fill("giao-lo, truong-hoc, moi")
    page.get_by_role("button", name="Lưu thay đổi").click()

    expect(page.locator("#camera-name")).to_have_text("Ngã tư Ba Cu – cổng trường")
    latest = page.locator("#history .history-entry").first
    expect(latest).to_contain_text("Cập nhật")
    expect(latest).to_contain_text("user:tech")
    expect(latest.locator("tr[data-field='name'] .diff-before")).to_have_text("Ngã tư Ba Cu")
    expect(latest.locator("tr[data-field='name'] .diff-after")).to_have_text(
        "Ngã tư Ba Cu – cổng trường"
    )
    expect(latest.locator("tr[data-field='range_m'] .diff-after")).to_have_text("150 m")
    expect(latest.locator("tr[data-field='tags'] .diff-after")).to_have_text(
        "giao-lo, moi, truong-hoc"
    )
    stored = _camera(site_on_each_backend, "VT-0001")
    assert (stored.name, stored.range_m, stored.version) == ("Ngã tư Ba Cu – cổng trường", 150, 2)
    assert stored.owner_name == "Nguyễn Thị Hoa"


def test_field_errors_are_shown_beside_the_fields(web: Web, site: Site) -> None:
    web.login("tech")
    web.go("#/camera/VT-0002/edit")
    page = web.page
    expect(page.locator("section[data-ready='true']")).to_be_attached()
    page.get_by_label("Tầm nhìn (m)").fill("5000")
    page.get_by_label("Thư điện tử").fill("not-an-address")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("#err-range_m")).not_to_be_empty()
    expect(page.locator("#err-owner_email")).not_to_be_empty()
    expect(page.locator("#f-range_m")).to_have_attribute("aria-invalid", "true")
    assert _camera(site, "VT-0002").version == 1

    page.get_by_label("Tầm nhìn (m)").fill("80")
    page.get_by_label("Thư điện tử").fill("")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("#camera-name")).to_have_text("Chợ Xóm Lưới")
    assert _camera(site, "VT-0002").range_m == 80


def test_a_concurrent_change_gives_a_conflict_and_a_reload(web: Web, site: Site) -> None:
    web.login("tech")
    web.go("#/camera/VT-0002/edit")
    page = web.page
    expect(page.locator("section[data-ready='true']")).to_be_attached()
    with site.session_factory.begin() as session:
        update_camera(
            session,
            code="VT-0002",
            data=CameraUpdate(notes="changed by a colleague"),
            actor=cli_actor(),
            ctx=site.ctx,
        )
    page.get_by_label("Ghi chú").fill("my note")
    page.get_by_role("button", name="Lưu thay đổi").click()
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("Camera này vừa được người khác thay đổi")
    assert _camera(site, "VT-0002").notes == "changed by a colleague"
    conflict.get_by_role("link", name="Tải lại camera").click()
    expect(page.get_by_label("Ghi chú")).to_have_value("changed by a colleague")


def test_lifecycle_buttons_and_retire_with_confirmation(web: Web, site: Site) -> None:
    web.login("tech")
    web.go("#/camera/VT-0002")
    page = web.page
    expect(page.locator("#camera-status")).to_have_text("Bảo trì")
    page.get_by_role("button", name="Hoạt động trở lại").click()
    expect(page.locator("#camera-status")).to_have_text("Đang hoạt động")
    page.get_by_role("button", name="Chuyển sang bảo trì").click()
    expect(page.locator("#camera-status")).to_have_text("Bảo trì")

    page.locator("#retire-camera").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Ngừng sử dụng camera VT-0002 (Chợ Xóm Lưới)?")
    dialog.get_by_role("button", name="Hủy").click()
    expect(page.locator("#camera-status")).to_have_text("Bảo trì")
    assert _camera(site, "VT-0002").status == CameraStatus.MAINTENANCE

    page.locator("#retire-camera").click()
    page.get_by_role("dialog").get_by_role("button", name="Ngừng sử dụng").click()
    expect(page.locator("#camera-status")).to_have_text("Đã ngừng")
    expect(page.locator("#retire-camera")).to_have_count(0)
    assert _camera(site, "VT-0002").status == CameraStatus.DECOMMISSIONED
    expect(page.locator("#history .history-entry")).to_have_count(4)


def test_create_a_camera_from_a_click_on_the_map(web: Web, site: Site) -> None:
    web.login("tech")
    web.go("#/map?lat=10.35&lon=107.08&zoom=16")
    page = web.page
    expect(page.locator("#map[data-ready='true']")).to_be_visible()
    page.get_by_label("Đặt vị trí camera mới").check()
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_role("heading", name="Thêm camera mới")).to_be_visible()
    assert abs(float(page.get_by_label("Vĩ độ", exact=True).input_value()) - 10.35) < 0.0005
    page.get_by_label("Mã camera").fill("VT-0999")
    page.get_by_label("Tên", exact=True).fill("Cổng chợ mới")
    page.get_by_role("button", name="Tạo camera").click()
    expect(page.locator("#camera-name")).to_have_text("Cổng chợ mới")
    expect(page.locator("#camera-status")).to_have_text("Dự kiến")
    created = _camera(site, "VT-0999")
    assert created.ward_code == "26506"
    assert created.funding is not None
    assert created.funding.value == "social"


def test_expected_stream_format_is_edited_whole_and_shown(web: Web, site: Site) -> None:
    web.login("tech")
    web.go("#/camera/VT-0002/edit")
    page = web.page
    expect(page.locator("section[data-ready='true']")).to_be_attached()
    page.get_by_label("Chiều rộng khung hình (px)").fill("1920")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("#err-expected_height")).to_contain_text("cả chiều rộng và chiều cao")
    expect(page.locator("#f-expected_height")).to_have_attribute("aria-invalid", "true")
    assert _camera(site, "VT-0002").version == 1

    page.get_by_label("Chiều cao khung hình (px)").fill("1080")
    page.get_by_label("Tốc độ khung hình (fps)").fill("12.5")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("dd[data-field='expected_width']")).to_have_text("1920 px")
    expect(page.locator("dd[data-field='expected_height']")).to_have_text("1080 px")
    expect(page.locator("dd[data-field='expected_fps']")).to_have_text("12,5 fps")
    stored = _camera(site, "VT-0002")
    assert (stored.expected_width, stored.expected_height, stored.expected_fps) == (
        1920,
        1080,
        12.5,
    )

    # Changing only the height still sends the size whole, so the server accepts it.
    web.go("#/camera/VT-0002/edit")
    expect(page.locator("section[data-ready='true']")).to_be_attached()
    page.get_by_label("Chiều cao khung hình (px)").fill("720")
    page.get_by_label("Chiều rộng khung hình (px)").fill("1280")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("dd[data-field='expected_height']")).to_have_text("720 px")
    latest = page.locator("#history .history-entry").first
    expect(latest.locator("tr[data-field='expected_width'] .diff-after")).to_have_text("1280 px")
    assert _camera(site, "VT-0002").expected_height == 720
