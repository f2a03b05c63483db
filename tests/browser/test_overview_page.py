"""The first screen in headless Chromium: loads offline, shows the warehouse's numbers, draws the map."""
import datetime as dt

import duckdb
import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _sql_counters(db):
    con = duckdb.connect(str(db), read_only=True)
    as_of = con.execute("SELECT as_of FROM meta").fetchone()[0]
    start = dt.datetime.combine(as_of.date() - dt.timedelta(days=29), dt.time())
    return {
        "residents": con.execute("SELECT count(*) FROM persons").fetchone()[0],
        "households": con.execute("SELECT count(*) FROM households").fetchone()[0],
        "grids": con.execute("SELECT count(*) FROM areas WHERE level = 'grid' AND valid_to IS NULL").fetchone()[0],
        "events": con.execute("SELECT count(*) FROM events WHERE reported_at >= ? AND reported_at <= ?",
                              [start, as_of]).fetchone()[0],
        "closure": con.execute(
            "SELECT 100.0 * count(*) FILTER (closed_at IS NOT NULL) / count(*) FROM events "
            "WHERE accepted_at IS NOT NULL AND deadline >= ? AND deadline <= ?",
            [start, as_of]).fetchone()[0],
        "communities": con.execute("SELECT count(*) FROM areas WHERE level = 'community'").fetchone()[0],
        "as_of": as_of,
    }


def test_overview_offline_and_right(page, cockpit_url, tiny_db):
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
    assert page.inner_text("#frame-as-of") == f"数据截至 {expected['as_of']:%Y-%m-%d %H:%M}"
    assert page.locator("path.choroplethlocation").count() == expected["communities"]
    # Chinese renders with a CJK font installed on the machine, not a downloaded one
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')")

    # hover details on a community
    page.locator("path.choroplethlocation").nth(0).hover(force=True)
    page.wait_for_selector("g.hovertext", timeout=5000)
    hover = page.locator("g.hovertext").text_content()
    assert "实有人口" in hover and "每千人事件数" in hover and "结案率" in hover
    screenshot(page, "overview")
    page.log.assert_clean()
    assert any(u.endswith("/assets/topojson/world_110m.json") for u in page.log.requests)


def test_guard_catches_requests_leaving_the_machine(page, cockpit_url):
    """The offline check itself must be able to fail: a page reaching for a CDN is caught."""
    page.goto(cockpit_url)
    page.evaluate("fetch('https://cdn.plot.ly/un/world_110m.json').catch(() => null)")
    page.wait_for_timeout(500)
    assert page.log.blocked == ["https://cdn.plot.ly/un/world_110m.json"]
    with pytest.raises(AssertionError):
        page.log.assert_clean()
