"""Headless Chromium (Debian's `chromium`, driven by Playwright) against a real cockpit process.

Every request the page makes is recorded; anything not addressed to 127.0.0.1/localhost is
aborted and recorded, so a test can prove the cockpit works with no internet."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

from tests.browser.helpers import LOCAL_HOSTS, under_csp
from tests.browser.personal import PersonalData
from tests.cockpit_process import cockpit_process, sign_in

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def role_accounts(tiny_db) -> dict[str, tuple[str, str]]:
    """Accounts beside the city-wide administrator, one per kind: a grid worker on the grid with
    the most open items past their deadline (a grid worker's views then have something to show),
    its community's secretary, its street's administrator and its district's commander; a
    department's handler on the busiest department; an analyst of the district; a wall screen of
    the district. {account: (role, area)}"""
    import duckdb
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        grid = con.execute("SELECT a.code FROM core.areas a JOIN mart.event_sla s ON s.grid_code = a.code "
                           "WHERE a.level = 'grid' AND a.valid_to IS NULL GROUP BY 1 ORDER BY "
                           "count(*) FILTER (s.overdue_open) DESC, count(*) FILTER (s.is_open) DESC, 1 "
                           "LIMIT 1").fetchall()[0][0]
        dept = con.execute("SELECT department FROM core.events WHERE department IS NOT NULL "
                           "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
    return {"T-GRID": ("专职网格员", grid), "T-COMMUNITY": ("社区书记", grid[:12]),
            "T-STREET": ("街道管理员", grid[:9]), "T-DISTRICT": ("指挥长", grid[:6]),
            "T-DEPT": ("部门处置员", dept), "T-ANALYST": ("分析研判员", grid[:6]),
            "T-WALL": ("大屏终端", grid[:6])}


@pytest.fixture(scope="session")
def cockpit_url(tiny_warehouse, key_file, role_accounts, briefing_archive):
    from warehouse.vault import vault_key_path
    accounts = [(a, role, area) for a, (role, area) in role_accounts.items()]
    # its warehouse never changes: no page need ask for new data while a test reads it (on a
    # loaded machine a page asked every minute can spend the minute redrawing what it had)
    with cockpit_process(tiny_warehouse, accounts=accounts,
                         env={"COCKPIT_VAULT_KEY_FILE": str(vault_key_path(key_file)),
                              "COCKPIT_REFRESH_SECONDS": "3600",
                              "COCKPIT_BRIEFINGS": str(briefing_archive["root"]),
                              # the wall's pages (tests/browser/test_kiosk.py), turning once an hour
                              "COCKPIT_KIOSK_PAGES": "/ /warning /incident", "COCKPIT_KIOSK_SECONDS": "3600"}) as url:
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
    personal: PersonalData
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)    # (url, body) of data responses

    def assert_clean(self):
        """Nothing left the machine, no console error (nor AG Grid warning), and no response the cockpit sent held a
        full ID number, a mobile number or a resident's name."""
        assert self.blocked == [], f"requests left 127.0.0.1: {self.blocked}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.texts, "no data response was recorded"
        leaks = [(url, hit, _around(text, hit)) for url, text in self.texts for hit in self.personal.found(text)]
        assert leaks == [], f"personal data sent to the browser (url, value, where): {leaks[:10]}"


def _around(text: str, hit: str, width: int = 60) -> str:
    """The text around a hit, to tell a real leak from a number that only looks like one."""
    at = text.find(hit)
    return text[max(0, at - width):at + len(hit) + width] if at >= 0 else ""


@pytest.fixture(scope="session")
def personal(tiny_source, tiny_db):
    import duckdb
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        public = "\n".join(v for (v,) in con.execute(
            "SELECT name FROM core.areas UNION ALL SELECT class_name FROM core.event_categories "
            "UNION ALL SELECT subclass_name FROM core.event_categories "
            "UNION ALL SELECT DISTINCT department FROM core.events WHERE department IS NOT NULL").fetchall())
    return PersonalData(tiny_source, public)


@pytest.fixture
def page(browser, cockpit_url, personal, request):
    """A 1920×1080 page, signed in to the test cockpit (as its city-wide administrator, or the
    account a test names by indirect parametrisation), whose every request is recorded and
    non-local ones aborted."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    log = PageLog(personal)

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
    pg = under_csp(context.new_page())
    # an error, or AG Grid's warning about an option it does not take (a table misconfigured)
    pg.on("console", lambda m: log.console_errors.append(m.text)
          if m.type == "error" or (m.type == "warning" and m.text.startswith("AG Grid")) else None)
    pg.on("pageerror", lambda e: log.console_errors.append(str(e)))
    pg.log = log

    def record(response):
        kind = response.headers.get("content-type", "")
        if urlparse(response.url).hostname in LOCAL_HOSTS and ("json" in kind or "html" in kind):
            try:
                log.texts.append((response.url, response.text()))
            except Exception:             # a body already gone (navigation): nothing to read
                pass
    pg.on("response", record)
    sign_in(pg, cockpit_url, getattr(request, "param", "T-ADMIN"))
    yield pg
    context.close()
