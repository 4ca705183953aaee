"""Browser-test fixtures: Debian chromium, a real server on a seeded database, an offline guard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Route, sync_playwright
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.camera.write import WriteContext
from camera_registry.crypto import CredentialCipher
from camera_registry.db.base import Base
from camera_registry.db.engine import make_engine, make_session_factory
from camera_registry.db.migrate import upgrade
from config import load_settings
from tests.web.seed import PASSWORD, seed
from tests.web.server import running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless chromium, once per test session (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def web_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database of the browser tests' own."""
    url = f"sqlite:///{(tmp_path_factory.mktemp('webdb') / 'camreg.db').as_posix()}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $CAMREG_SCREENSHOT_DIR, or a temporary folder."""
    wanted = os.environ.get("CAMREG_SCREENSHOT_DIR")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clear(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - names from metadata


@dataclass
class Site:
    """A running server on a seeded database."""

    url: str
    session_factory: sessionmaker[Session]
    ctx: WriteContext


def _site(database_url: str, data_dir: Path) -> Iterator[Site]:
    engine = make_engine(database_url)
    _clear(engine)
    key = Fernet.generate_key()
    settings = load_settings(
        database_url=database_url, data_dir=data_dir, credentials_key=key.decode(), language="vi"
    )
    factory = make_session_factory(engine)
    ctx = WriteContext(cipher=CredentialCipher(key))
    with factory.begin() as session:
        seed(session, ctx)
    try:
        with running_server(settings) as url:
            yield Site(url=url, session_factory=factory, ctx=WriteContext(cipher=ctx.cipher))
    finally:
        _clear(engine)
        engine.dispose()


@pytest.fixture
def site(web_database_url: str, tmp_path: Path) -> Iterator[Site]:
    """The app on SQLite with the seed data."""
    yield from _site(web_database_url, tmp_path)


@pytest.fixture
def site_on_each_backend(database_url: str, tmp_path: Path) -> Iterator[Site]:
    """The app with the seed data on SQLite and on PostgreSQL."""
    yield from _site(database_url, tmp_path)


@dataclass
class Web:
    """A browser page on the site, recording anything that must not happen."""

    page: Page
    base_url: str
    external_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, route: str = "") -> None:
        """Load the page at a hash route such as '#/list'."""
        self.page.goto(f"{self.base_url}/{route}")
        self.page.wait_for_selector("body[data-ready='true']")

    def login(self, username: str, password: str = PASSWORD) -> None:
        """Log in through the form and wait for the map."""
        self.open("#/login")
        self.page.get_by_label("Tên đăng nhập").fill(username)
        self.page.get_by_label("Mật khẩu").fill(password)
        self.page.get_by_role("button", name="Đăng nhập").click()
        self.page.wait_for_selector("#who")

    def go(self, route: str) -> None:
        """Switch hash route inside the running page."""
        self.page.evaluate("(r) => { window.location.hash = r; }", route)


def _guard(web: Web, route: Route) -> None:
    parts = urlsplit(route.request.url)
    if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK:
        web.external_requests.append(route.request.url)
        route.abort()
        return
    route.continue_()


def _console(web: Web, message: ConsoleMessage) -> None:
    if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
        web.csp_violations.append(message.text)


def _dialog(web: Web, dialog: Dialog) -> None:
    web.dialogs.append(dialog.message)
    dialog.dismiss()


def _open_web(browser: Browser, url: str, width: int = 1366, height: int = 860) -> Iterator[Web]:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="vi-VN", timezone_id="UTC"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    web = Web(page=page, base_url=url)
    page.route("**/*", lambda route: _guard(web, route))
    page.on("pageerror", lambda error: web.page_errors.append(str(error)))
    page.on("console", lambda message: _console(web, message))
    page.on("dialog", lambda dialog: _dialog(web, dialog))
    try:
        yield web
    finally:
        context.close()
    assert not web.external_requests, f"the page asked other hosts: {web.external_requests}"
    assert not web.page_errors, f"uncaught errors in the page: {web.page_errors}"
    assert not web.csp_violations, f"Content-Security-Policy violations: {web.csp_violations}"


@pytest.fixture
def web(browser: Browser, site: Site) -> Iterator[Web]:
    """A fresh browser context on the SQLite site (laptop-sized window)."""
    yield from _open_web(browser, site.url)


@pytest.fixture
def web_on_each_backend(browser: Browser, site_on_each_backend: Site) -> Iterator[Web]:
    """A fresh browser context on the site, for SQLite and PostgreSQL."""
    yield from _open_web(browser, site_on_each_backend.url)


@pytest.fixture
def phone(browser: Browser, site: Site) -> Iterator[Web]:
    """A fresh browser context with a phone-sized window."""
    yield from _open_web(browser, site.url, width=390, height=800)
