"""The big screen in headless Chromium: loads offline, shows the warehouse's numbers, draws the map,
rotates its boards, and follows a newly published generation without a reload."""
import datetime as dt

import duckdb
import pytest

from tests.browser.helpers import screenshot, under_csp, wait_text
from tests.cockpit_process import sign_in

pytestmark = pytest.mark.browser


def _sql_counters(db):
    con = duckdb.connect(str(db), read_only=True)
    as_of = con.execute("SELECT as_of FROM ops.meta").fetchone()[0]
    start = dt.datetime.combine(as_of.date() - dt.timedelta(days=29), dt.time())
    return {
        "residents": con.execute("SELECT count(*) FROM core.persons").fetchone()[0],
        "households": con.execute("SELECT count(*) FROM core.households").fetchone()[0],
        "grids": con.execute("SELECT count(*) FROM core.areas WHERE level = 'grid' AND valid_to IS NULL").fetchone()[0],
        "events": con.execute("SELECT count(*) FROM core.events WHERE reported_at >= ? AND reported_at <= ?",
                              [start, as_of]).fetchone()[0],
        "closure": con.execute(
            "SELECT 100.0 * count(*) FILTER (closed_at IS NOT NULL) / count(*) FROM core.events "
            "WHERE accepted_at IS NOT NULL AND deadline >= ? AND deadline <= ?",
            [start, as_of]).fetchone()[0],
        "communities": con.execute("SELECT count(*) FROM core.areas WHERE level = 'community'").fetchone()[0],
        "overdue": con.execute("SELECT count(*) FILTER (handled_at IS NULL AND status <> '不予立案' AND "
                               "deadline < ?) FROM core.events WHERE reported_at <= ?", [as_of, as_of]).fetchone()[0],
        "businesses": con.execute("SELECT count(*) FROM core.organisations WHERE org_type IN ('企业', '个体工商户')"
                                  ).fetchone()[0],
        "as_of": as_of,
    }


def test_screen_offline_and_right(page, cockpit_url, tiny_db):
    expected = _sql_counters(tiny_db)
    page.goto(cockpit_url)
    page.wait_for_function("(() => { const e = document.querySelector('#kpi-residents'); return e && e.innerText !== '—'; })()")
    page.wait_for_selector("path.choroplethlocation", state="attached")
    page.wait_for_timeout(500)
    text = {k: page.inner_text(f"#kpi-{k}") for k in ("residents", "households", "grids", "events-30d",
                                                       "closure-rate")}
    assert text["residents"] == f"{expected['residents']:,}"
    assert text["households"] == f"{expected['households']:,}"
    assert text["grids"] == f"{expected['grids']:,}"
    assert text["events-30d"] == f"{expected['events']:,}"
    assert text["closure-rate"] == f"{expected['closure']:.2f}"
    page.wait_for_function("document.querySelector('#kpi-overdue').innerText !== '—'")
    assert page.inner_text("#kpi-overdue") == f"{expected['overdue']:,}"
    assert page.inner_text("#screen-as-of") == f"数据截至 {expected['as_of']:%Y-%m-%d %H:%M}"
    # the canvas fills the 1920×1080 window exactly: nothing cut off, no scroll bars
    box = page.locator(".screen").bounding_box()
    assert (round(box["width"]), round(box["height"])) == (1920, 1080)
    assert page.locator("path.choroplethlocation").count() == expected["communities"]
    # Chinese renders with a CJK font installed on the machine, not a downloaded one
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')")

    # hover details on a community
    page.locator("path.choroplethlocation").nth(0).hover(force=True)
    page.wait_for_selector("g.hovertext", timeout=5000)
    hover = page.locator("g.hovertext").text_content()
    assert "实有人口" in hover and "每千人事件数" in hover and "结案率" in hover
    screenshot(page, "screen")

    # a click on a board's tab shows it; its numbers are the warehouse's
    page.click("#screen-tab-business")
    page.wait_for_function("document.querySelector('#screen-boards').className.includes('boards--3')")
    first = page.locator("#screen-board-business .mini-value").first
    assert first.inner_text() == f"{expected['businesses']:,}"
    page.wait_for_timeout(800)    # the fade
    screenshot(page, "screen_business_board")
    page.log.assert_clean()
    assert any(u.endswith("/assets/topojson/world_110m.json") for u in page.log.requests)

    # a 1366×768 screen shows the whole canvas, scaled, not a cropped corner of it
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_function("Math.abs(document.querySelector('.screen').getBoundingClientRect().width - 1366) < 2")
    box = page.locator(".screen").bounding_box()
    assert abs(box["width"] - 1366) < 2 and box["height"] <= 768 + 1


def test_guard_catches_requests_leaving_the_machine(page, cockpit_url):
    """The offline checks themselves must be able to fail. A script reaching for a CDN is stopped
    by the cockpit's Content-Security-Policy (connect-src 'self') before any request, and the
    violation is a console error; a navigation, which the policy does not govern, is caught by
    the test's network guard."""
    page.goto(cockpit_url)
    page.evaluate("fetch('https://cdn.plot.ly/un/world_110m.json').catch(() => null)")
    page.wait_for_timeout(500)
    assert page.log.blocked == [] and any("CSP violation: connect-src https://cdn.plot.ly" in e
                                          for e in page.log.console_errors), page.log.console_errors
    with pytest.raises(AssertionError):
        page.log.assert_clean()
    page.log.console_errors.clear()
    page.evaluate("window.location.href = 'https://cdn.plot.ly/un/world_110m.json'")
    page.wait_for_timeout(500)
    assert page.log.blocked == ["https://cdn.plot.ly/un/world_110m.json"]
    with pytest.raises(AssertionError):
        page.log.assert_clean()


def _publish_fewer_events(warehouse, share_kept: float) -> str:
    """A new generation: the served file with some events removed, published the ETL's way."""
    from etl import storage
    from etl.publish.generations import publish, start
    from etl.run import new_run_id
    from warehouse import generations
    new_id = new_run_id()
    built = start(warehouse, new_id)               # a generation of one file, every table in it
    storage.single_file(generations.current(warehouse).path, built)
    con = duckdb.connect(str(built))
    con.execute("CREATE TEMP TABLE gone AS SELECT event_id FROM core.events WHERE hash(event_id) % 100 >= ?",
                [int(share_kept * 100)])
    for table in ("core.events", "mart.event_sla"):
        con.execute(f"DELETE FROM {table} WHERE event_id IN (SELECT event_id FROM gone)")
    con.close()
    publish(warehouse, built, new_id, keep=3)
    return new_id


def test_screen_follows_a_new_generation(browser, tiny_warehouse, tmp_path):
    """The ETL publishes while the screen is open: the counters roll to the new generation's
    numbers and the stamp changes, with no reload."""
    import shutil

    from tests.cockpit_process import cockpit_process
    warehouse = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, warehouse)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    # a tick shorter than the callbacks take would discard every answer (Dash keeps only the
    # latest request's), so not too short on a loaded machine
    with cockpit_process(warehouse, env={"COCKPIT_REFRESH_SECONDS": "8"}) as url:
        try:
            pg = under_csp(context.new_page())
            sign_in(pg, url)
            pg.goto(url)
            pg.wait_for_function("(document.querySelector('#kpi-events-30d') || {}).innerText > '—'.slice(1)"
                                 " && document.querySelector('#kpi-events-30d').innerText !== '—'")
            before = pg.inner_text("#kpi-events-30d")
            pg.evaluate("""() => { window.seen = []; const el = document.querySelector('#kpi-events-30d');
                new MutationObserver(() => window.seen.push(el.innerText)).observe(el,
                    {subtree: true, childList: true, characterData: true}); }""")
            new_id = _publish_fewer_events(warehouse, 0.5)
            pg.wait_for_function(f"document.querySelector('#overview-generation').innerText.includes('{new_id}')",
                                 timeout=180000)
            expected = _sql_counters(generations_path(warehouse, new_id))["events"]
            wait_text(pg, "#kpi-events-30d", f"{expected:,}")       # and done rolling
            seen = [int(t.replace(",", "")) for t in pg.evaluate("window.seen")]
            assert int(before.replace(",", "")) > expected
            # it rolled: values strictly between the old and the new one were shown on the way
            assert any(expected < v < int(before.replace(",", "")) for v in seen)
            assert pg.url == url     # no reload, no navigation
        finally:
            context.close()


def generations_path(warehouse, generation_id):
    from warehouse import generations
    return generations.generation_path(warehouse, generation_id)


# the union of the panels' and counters' extents across the window, and whether the canvas fits it
COVERAGE = """() => {
  const spans = Array.from(document.querySelectorAll('.screen .panel, .screen .counter'))
    .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0)
    .map(r => [Math.max(0, r.left), Math.min(window.innerWidth, r.right)]).sort((a, b) => a[0] - b[0]);
  let covered = 0, end = -1;
  spans.forEach(([a, b]) => { if (b > end) { covered += b - Math.max(a, end); end = b; } });
  const box = document.querySelector('.screen').getBoundingClientRect();
  return {share: covered / window.innerWidth, right: box.right, bottom: box.bottom,
          scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          innerHeight: window.innerHeight, wall: document.documentElement.dataset.wall || ''};
}"""


@pytest.mark.parametrize("width, height, wall", [(1920, 1080, ""), (3840, 2160, ""),
                                                 (5760, 1080, "wider"), (7680, 2160, "wide")])
def test_the_screen_fills_the_wall(browser, cockpit_url, width, height, wall):
    """16:9 walls scale the 1920×1080 canvas; 32:9 and 48:9 walls get a canvas as wide as the wall
    with more columns: the panels span at least 90 % of the wall's width, nothing scrolls, and every
    panel still draws its data."""
    from tests.browser.panels import wait_drawn
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        pg = context.new_page()
        pg.set_default_timeout(120_000)
        sign_in(pg, cockpit_url)
        pg.goto(cockpit_url)
        pg.wait_for_selector("path.choroplethlocation", state="attached")
        found = wait_drawn(pg)
        assert found["empty"] == [] and found["degenerate"] == []
        pg.wait_for_timeout(1000)             # graphs resize to their columns
        m = pg.evaluate(COVERAGE)
        assert m["wall"] == wall
        assert m["share"] >= 0.9, m
        assert m["scrollWidth"] <= width and abs(m["right"] - width) < 2 and abs(m["bottom"] - height) < 2, m
        screenshot(pg, f"screen_wall_{width}x{height}")
    finally:
        context.close()
