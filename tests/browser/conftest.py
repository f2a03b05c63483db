"""Headless Chromium (Debian's `chromium`, driven by Playwright) against a real cockpit process.

Every request the page makes is recorded; anything not addressed to 127.0.0.1/localhost is
aborted and recorded, so a test can prove the cockpit works with no internet."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.cockpit_process import cockpit_process, sign_in

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def cockpit_url(tiny_warehouse):
    with cockpit_process(tiny_warehouse) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian's chromium is not installed: run the README's test command (make test)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@dataclass
class PageLog:
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def assert_clean(self):
        assert self.blocked == [], f"requests left 127.0.0.1: {self.blocked}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture
def page(browser, cockpit_url):
    """A 1920×1080 page, signed in to the test cockpit as its city-wide administrator, whose
    every request is recorded and non-local ones aborted."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    log = PageLog()

    def guard(route):
        url = route.request.url
        log.requests.append(url)
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            log.blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    pg.set_default_timeout(120_000)    # a loaded 2-core machine can take this long; a hang still fails
    pg.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: log.console_errors.append(str(e)))
    pg.log = log
    sign_in(pg, cockpit_url)
    yield pg
    context.close()


def screenshot(pg, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def wait_text(pg, selector: str, expected: str, timeout: float | None = None) -> None:
    """Wait until `selector` shows exactly `expected`. Counters roll towards a new value, so a
    read taken as soon as the text changes can catch a number on its way."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        pg.wait_for_function("([s, t]) => { const e = document.querySelector(s); "
                             "return e !== null && e.innerText === t; }", arg=[selector, expected],
                             **({"timeout": timeout} if timeout else {}))
    except PlaywrightTimeout:
        shown = pg.locator(selector).inner_text(timeout=5000) if pg.locator(selector).count() else None
        raise AssertionError(f"{selector} shows {shown!r}, expected {expected!r}") from None
