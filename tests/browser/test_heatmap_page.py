"""事件热力 in headless Chromium: loads offline, its numbers equal SQL, a period preset updates them."""
import datetime as dt

import duckdb
import pytest

from tests.browser.helpers import screenshot, wait_text

pytestmark = pytest.mark.browser

TOTAL = "#heatmap-total"


def _sql_total(db, days):
    con = duckdb.connect(str(db), read_only=True)
    try:
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0].date()
        start = as_of - dt.timedelta(days=days - 1)
        n = con.execute("SELECT count(*) FROM core.events WHERE CAST(reported_at AS DATE) BETWEEN ? AND ?",
                        [start, as_of]).fetchall()[0][0]
        return n, start, as_of
    finally:
        con.close()


def _wait_total(page, not_text):
    page.wait_for_function(
        "(t) => { const e = document.querySelector('#heatmap-total'); "
        "return e && e.innerText !== '—' && e.innerText !== t; }", arg=not_text)


def test_heatmap_offline_right_and_filterable(page, cockpit_url, tiny_db):
    n30, start30, as_of = _sql_total(tiny_db, 30)
    n7, start7, _ = _sql_total(tiny_db, 7)
    page.set_default_timeout(90_000)      # a first render on a busy 2-core CI machine is slow
    page.goto(cockpit_url.rstrip("/") + "/heatmap")
    _wait_total(page, "—")
    page.wait_for_selector("path.choroplethlocation", state="attached")
    page.wait_for_selector("#heatmap-calendar .heatmaplayer", state="attached")
    assert page.inner_text(TOTAL) == f"{n30:,}"
    assert f"{start30:%Y-%m-%d} 至 {as_of:%Y-%m-%d}" in page.inner_text("#heatmap-detail")
    hexes_30 = page.locator("path.choroplethlocation").count()
    assert hexes_30 > 20

    page.get_by_text("近7日", exact=True).click()
    wait_text(page, TOTAL, f"{n7:,}")
    page.wait_for_function(
        "(n) => document.querySelectorAll('path.choroplethlocation').length !== n", arg=hexes_30)
    assert f"{start7:%Y-%m-%d} 至 {as_of:%Y-%m-%d}（7 天）" in page.inner_text("#heatmap-detail")
    assert page.input_value("#heatmap-range") == f"{start7:%Y-%m-%d}"

    page.locator("path.choroplethlocation").nth(0).hover(force=True)
    page.wait_for_selector("g.hovertext", timeout=30_000)
    assert "该六边形内事件" in page.locator("g.hovertext").text_content()
    page.mouse.move(5, 5)
    page.get_by_text("近30日", exact=True).click()
    wait_text(page, TOTAL, f"{n30:,}")
    page.wait_for_timeout(800)
    screenshot(page, "heatmap")
    page.log.assert_clean()
