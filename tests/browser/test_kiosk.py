"""A wall screen (role 大屏终端) in Chromium: signed in once, it turns through the centre's pages
full screen with no navigation and no scrollbar, filling 1920×1080 and 3840×2160 walls; a
generation published while it runs is shown without a reload; it rides out a server restart
with its last data on show and carries on by itself; an ended session brings up the login page;
pages outside its rotation are refused."""
import shutil
import time

import duckdb
import pytest

from tests.browser.helpers import LOCAL_HOSTS, SCREENSHOTS, under_csp
from tests.browser.panels import inspect, wait_drawn
from tests.cockpit_process import (
    TEST_PASSWORD,
    cockpit_process,
    free_port,
    sign_in,
    sign_in_with_form,
    submit_sign_in,
    wait_for_url,
)

pytestmark = pytest.mark.browser

WALL = "T-WALL"
ROTATION = "/ /warning /incident"

# where the page is and what it shows of itself: no scrollbar, no navigation, the frame's extent
MEASURE = """() => {
  const html = document.documentElement, frame = document.getElementById('frame');
  const box = (frame.classList.contains('frame--screen') ? document.querySelector('.screen') : frame)
              .getBoundingClientRect();
  return {path: location.pathname, kiosk: html.classList.contains('kiosk'),
          overflow: getComputedStyle(html).overflow + ' ' + getComputedStyle(document.body).overflow,
          scrollbar: [window.innerWidth - html.clientWidth, window.innerHeight - html.clientHeight],
          nav: document.querySelectorAll('.nav, a.nav-link').length,
          left: box.left, right: box.right, top: box.top, width: box.width,
          innerWidth: window.innerWidth, innerHeight: window.innerHeight,
          zoom: parseFloat(html.style.getPropertyValue('--kiosk-zoom') || '0'),
          cursor: getComputedStyle(document.body).cursor,
          // panels on the screen that are not drawn there (clipped away, covered)
          hidden: Array.from(document.querySelectorAll('.panel, .counter')).filter(el => {
            const r = el.getBoundingClientRect(), x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
            if (r.width === 0 || x < 0 || y < 0 || x >= window.innerWidth || y >= window.innerHeight) return false;
            const hit = document.elementFromPoint(x, y);
            return !hit || !el.contains(hit);
          }).map(el => (el.querySelector('.panel-title') || el).innerText.slice(0, 20))};
}"""

# records each path the screen shows, and when (the page's own clock)
RECORD = """() => { if (window.visits) return; window.visits = [[location.pathname, Date.now()]];
  setInterval(() => { const p = location.pathname;
    if (window.visits[window.visits.length - 1][0] !== p) window.visits.push([p, Date.now()]); }, 100); }"""

DRAWN = """() => { const p = location.pathname;
  if (p.replace(/\\/$/, '') === '') { const e = document.querySelector('#kpi-residents');
    return !!e && /\\d/.test(e.innerText); }
  const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return graphs.length > 0 && graphs.every(g => (g._fullData || []).length > 0); }"""


# the page's path and its counters' texts
SHOWN = """() => ({path: location.pathname,
  counters: Array.from(document.querySelectorAll('.counter-value')).map(e => e.innerText)})"""


def _wall_page(browser, width=1920, height=1080):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    pg = under_csp(context.new_page())
    pg.documents, pg.blocked, pg.errors = [], [], []

    def guard(route):
        from urllib.parse import urlparse
        if (urlparse(route.request.url).hostname or "") in LOCAL_HOSTS or route.request.url.startswith("data:"):
            route.continue_()
        else:
            pg.blocked.append(route.request.url)
            route.abort()
    context.route("**/*", guard)
    pg.on("request", lambda r: pg.documents.append(r.url) if r.resource_type == "document" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return context, pg


def screenshot(pg, name: str) -> None:
    """What the wall shows: the window, not the page's layout height (it glides, never scrolls)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _wait_path(pg, path: str, timeout: float):
    pg.wait_for_function("(p) => location.pathname === p", arg=path, timeout=timeout * 1000, polling=200)


def _check_full_screen(pg):
    # the wall's frame is set by its first tick (each second), which a loaded machine can delay
    # past the page being drawn: the state checked is the one it settles in
    pg.wait_for_function("document.documentElement.classList.contains('kiosk')", timeout=10_000, polling=200)
    # and a panel still loading when the graphs are drawn (a cached answer comes first) is under
    # its loading cover for a moment: what is checked is what stays covered
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        pg.wait_for_function(f"({MEASURE})().hidden.length === 0", timeout=10_000, polling=300)
    except PlaywrightTimeout:
        pass                                 # the assertion below names what stays covered
    m = pg.evaluate(MEASURE)
    assert m["kiosk"] and m["nav"] == 0, m
    assert m["overflow"] == "hidden hidden" and m["scrollbar"] == [0, 0], m
    assert abs(m["left"]) < 2 and abs(m["right"] - m["innerWidth"]) < 2 and m["top"] <= 1, m
    assert m["cursor"] == "none" and m["hidden"] == [], m
    return m


# -- on the shared test cockpit (its rotation set, a turn of an hour: nothing turns while looked at)

@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)])
def test_a_wall_fills_the_screen_with_each_of_its_pages(browser, cockpit_url, personal, width, height):
    context, pg = _wall_page(browser, width, height)
    try:
        sign_in(pg, cockpit_url, WALL)
        for path in ROTATION.split():
            pg.goto(cockpit_url.rstrip("/") + path)
            pg.wait_for_function(DRAWN, polling=500)
            found = wait_drawn(pg)
            assert {k: found[k] for k in ("empty", "degenerate", "emptyTables", "bare") if found[k]} == {}, path
            pg.wait_for_timeout(1500)                    # the fit settles after the last panel draws
            m = _check_full_screen(pg)
            if path != "/":
                base = min(width / 1920, height / 1080)
                # drawn as at 1920×1080 and scaled to the wall, or smaller (not below 60 %) to fit
                assert base * 0.6 - 1e-6 <= m["zoom"] <= base + 1e-6, m
                assert pg.evaluate("document.getElementById('frame').offsetWidth") == \
                    pytest.approx(width / m["zoom"], abs=2)
            screenshot(pg, f"kiosk{path.replace('/', '_') or '_screen'}_{width}x{height}")
        # every page outside its rotation sends it back to the big screen
        for path in ("explorer", "people", "audit", "health", "map", "m"):
            pg.goto(cockpit_url + path)
            pg.wait_for_url(cockpit_url)
        assert pg.blocked == [] and pg.errors == []
    finally:
        context.close()


# -- its own cockpit: turning, a publish, a restart, an ended session ---------------------------

def _publish_later(warehouse) -> tuple[str, str]:
    """A new generation, as the ETL publishes it: some events gone and the data an hour newer.
    Returns (its id, the frame's stamp for it)."""
    from etl import storage
    from etl.publish.generations import publish, start
    from etl.run import new_run_id
    from warehouse import generations
    new_id = new_run_id()
    built = start(warehouse, new_id)               # a generation of one file, every table in it
    storage.single_file(generations.current(warehouse).path, built)
    with duckdb.connect(str(built)) as con:
        con.execute("DELETE FROM core.events WHERE hash(event_id) % 10 = 0")
        con.execute("DELETE FROM mart.event_sla WHERE event_id NOT IN (SELECT event_id FROM core.events)")
        con.execute("UPDATE ops.meta SET as_of = as_of + INTERVAL 1 HOUR")
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchone()[0]
    publish(warehouse, built, new_id, keep=3)
    return new_id, f"数据截至 {as_of:%Y-%m-%d %H:%M}"


SECONDS = 15
ENV = {"COCKPIT_KIOSK_PAGES": ROTATION, "COCKPIT_KIOSK_SECONDS": str(SECONDS), "COCKPIT_REFRESH_SECONDS": "6"}


def test_a_wall_turns_through_its_pages_and_shows_a_new_generation_without_a_reload(
        browser, tiny_warehouse, role_accounts, tmp_path):
    warehouse = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, warehouse)
    area = role_accounts["T-DISTRICT"][1]
    with cockpit_process(warehouse, env=ENV, accounts=[(WALL, "大屏终端", area)]) as url:
        context, pg = _wall_page(browser)
        try:
            sign_in_with_form(pg, url, WALL, TEST_PASSWORD)      # once, as at the wall
            pg.evaluate(RECORD)
            loads = len(pg.documents)
            shots = set()
            deadline = time.monotonic() + 12 * SECONDS + 120
            # one turn through the rotation and back to the big screen, a screenshot of each page
            while [p for p, _ in pg.evaluate("window.visits")][:4] != ["/", "/warning", "/incident", "/"]:
                assert time.monotonic() < deadline, pg.evaluate("window.visits")
                path = pg.evaluate("location.pathname")
                if path not in shots and pg.evaluate(DRAWN):
                    _check_full_screen(pg)
                    screenshot(pg, f"kiosk_turn{path.replace('/', '_')}")
                    shots.add(path)
                pg.wait_for_timeout(300)
            stamps = [t for _, t in pg.evaluate("window.visits")]
            gaps = [(b - a) / 1000 for a, b in zip(stamps, stamps[1:])]
            # each page its turn: not sooner, and not held back (a second's tick, a loaded machine).
            # A stamp is taken by a timer on the page's own busy thread, so one may come late and the
            # next gap look short by as much: each gap within that jitter, and all the turns together
            # never sooner than their seconds (the first stamp, on landing, is not late)
            assert all(SECONDS - 2.5 <= g <= SECONDS + 8 for g in gaps), gaps
            assert sum(gaps) >= len(gaps) * SECONDS - 0.5, gaps
            # published while a page is on show: the frame's stamp follows, no reload, no navigation
            _wait_path(pg, "/warning", 3 * SECONDS + 60)
            before = pg.inner_text("#frame-as-of")
            new_id, stamp = _publish_later(warehouse)
            assert stamp != before
            pg.wait_for_function("(s) => document.getElementById('frame-as-of').innerText === s && "
                                 "location.pathname !== '/'",
                                 arg=stamp, timeout=(6 * SECONDS + 120) * 1000, polling=300)
            # and the big screen, on its next turn, draws the new generation's numbers
            pg.wait_for_function("(g) => location.pathname === '/' && "
                                 "(document.getElementById('overview-generation') || {innerText: ''}).innerText"
                                 ".includes(g)", arg=new_id, timeout=(6 * SECONDS + 60) * 1000, polling=300)
            wait_drawn(pg, (SECONDS - 2) * 1000)         # for the screenshot, within the page's turn
            screenshot(pg, "kiosk_turn_new_generation")
            assert len(pg.documents) == loads, pg.documents[loads:]          # never reloaded
            assert pg.blocked == [] and pg.errors == []
        finally:
            context.close()


def test_a_wall_rides_out_a_server_restart_and_shows_the_login_page_when_its_session_ends(
        browser, tiny_warehouse, role_accounts, tmp_path):
    from cockpit.accounts.store import AccountStore
    home, port = tmp_path / "home", free_port()
    home.mkdir()
    accounts = [(WALL, "大屏终端", role_accounts["T-DISTRICT"][1])]
    context, pg = _wall_page(browser)
    try:
        with cockpit_process(tiny_warehouse, env=ENV, accounts=accounts, home=home, port=port) as url:
            sign_in_with_form(pg, url, WALL, TEST_PASSWORD)
            pg.evaluate(RECORD)
            loads = len(pg.documents)
            pg.wait_for_function(DRAWN, polling=500)
            drawn = wait_drawn(pg, (SECONDS - 3) * 1000)
            shown = pg.evaluate(SHOWN)
        # the server is gone: the screen keeps its page and its data, and stops turning
        pg.wait_for_function("window.cockpitServer.down", timeout=60_000, polling=300)
        held, since = pg.evaluate("window.visits[window.visits.length - 1]")
        pg.wait_for_function("(t) => Date.now() > t", arg=since + 2 * SECONDS * 1000,
                             timeout=(2 * SECONDS + 10) * 1000, polling=500)
        assert pg.evaluate("location.pathname") == held and "/login" not in pg.url
        if held == shown["path"]:                         # it had not turned before the server went
            still = inspect(pg)
            assert set(drawn["graphs"]) <= set(still["graphs"]) and still["empty"] == [], (drawn, still)
            assert pg.evaluate(SHOWN) == shown
        screenshot(pg, "kiosk_server_down")
        # a turn tried anyway (as if a poll had just been answered): its page cannot be drawn, and
        # the address goes back to the page on show, so address, frame and content agree
        pg.evaluate("""() => { const replace = history.replaceState.bind(history); window.replaced = [];
            history.replaceState = (s, t, u) => { window.replaced.push(u); return replace(s, t, u); };
            window.cockpitServer.down = false; }""")
        pg.wait_for_function("window.replaced.length >= 2 && window.cockpitServer.down", timeout=30_000, polling=200)
        turned_to, back = pg.evaluate("window.replaced")[:2]
        assert turned_to != held and back == held and pg.evaluate("location.pathname") == held
        assert pg.evaluate("document.getElementById('frame').classList.contains('frame--screen')") == (held == "/")
        turned = len(pg.evaluate("window.visits"))
        # the same cockpit again (its stores and key kept): the screen carries on by itself
        with cockpit_process(tiny_warehouse, env=ENV, home=home, port=port, accounts=accounts):
            pg.wait_for_function("(n) => window.visits.length > n", arg=turned,
                                 timeout=(6 * SECONDS + 120) * 1000, polling=300)
            pg.wait_for_function(DRAWN, polling=500)
            assert not pg.evaluate("window.cockpitServer.down")
            assert len(pg.documents) == loads and "/login" not in pg.url         # no reload, still signed in
            wait_drawn(pg, (SECONDS - 3) * 1000)         # for the screenshot, within the page's turn
            screenshot(pg, "kiosk_after_restart")
            # an administrator ends the wall's session: the login page comes up, not a dead page
            assert AccountStore(home / "accounts.sqlite").sessions.end_of(WALL) == 1
            wait_for_url(pg, lambda u: "/login?next=" in u, timeout=120_000)
            assert pg.locator("#account").is_visible()
            screenshot(pg, "kiosk_session_ended")
            # signed in again at the wall, it turns on from the page it was on
            submit_sign_in(pg, WALL, TEST_PASSWORD)
            pg.wait_for_function(DRAWN, polling=500)
            pg.evaluate("window.visits = undefined")
            pg.evaluate(RECORD)
            pg.wait_for_function("window.visits.length > 1", timeout=(SECONDS + 60) * 1000, polling=300)
        assert pg.blocked == []
    finally:
        context.close()
