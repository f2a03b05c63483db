"""物业红黑榜 in headless Chromium: loads offline, numbers equal SQL, the list filter works."""
import duckdb
import pytest

from tests.browser.helpers import grid_column, screenshot

pytestmark = pytest.mark.browser


def test_property_page(page, cockpit_url, tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    firms, red, black, avg = con.execute(
        "SELECT count(*), count(*) FILTER (red_black_list = '红榜'), count(*) FILTER (red_black_list = '黑榜'), "
        "avg(credit_score) FROM core.property_firms").fetchall()[0]
    lowest = con.execute("SELECT min(credit_score) FROM core.property_firms").fetchall()[0][0]
    best = con.execute("SELECT name, credit_score FROM core.property_firms ORDER BY credit_score DESC, firm_id LIMIT 1"
                       ).fetchall()[0]
    con.close()
    page.set_default_timeout(120_000)     # a loaded CI machine: callbacks build several figures
    page.goto(cockpit_url + "property")
    page.wait_for_function("(() => { const e = document.querySelector('#property-kpi-firms');"
                           " return e && e.innerText !== '—'; })()")
    page.wait_for_selector("#property-rank-chart .main-svg")
    table = "#property-firms-table"       # it scrolls: the grid draws the rows in view, its model holds all
    count = "(n) => window.dash_ag_grid.getApi('property-firms-table').getDisplayedRowCount() === n"
    page.wait_for_selector(f"{table} .ag-row [col-id='name']")
    assert page.inner_text("#property-kpi-firms") == f"{firms:,}"
    assert page.inner_text("#property-kpi-red") == f"{red:,}"
    assert page.inner_text("#property-kpi-black") == f"{black:,}"
    assert page.inner_text("#property-kpi-avg") == f"{avg:.1f}"
    page.wait_for_function(count, arg=firms)
    # ranked best first, the score to one decimal, a red-list firm's score in red
    assert grid_column(page, table, "name")[0] == best[0]
    assert grid_column(page, table, "score")[0] == f"{best[1]:.1f}"
    if red:
        assert page.evaluate(f"getComputedStyle(document.querySelector(\"{table} .ag-row[row-index='0'] "
                             f"[col-id=score]\")).color") == "rgb(255, 120, 117)"
    assert page.locator("#property-red-list tbody tr").count() == red
    if black == 0:
        assert page.inner_text("#property-black-list") == "本期无黑榜企业"
    assert page.locator("#property-rank-chart g.trace.bars path").count() == firms

    page.locator(".property-list-filter label", has_text="红榜").click()
    page.wait_for_function(f"document.querySelector('#property-table-count').innerText === '红榜：{red:,} 家'")
    page.wait_for_function(count, arg=red)
    page.locator(".property-list-filter label", has_text="全部").click()
    page.wait_for_function(count, arg=firms)
    # a click on the score's header sorts in the browser, as numbers: the lowest first
    page.click(f"{table} .ag-header-cell[col-id='score']")
    page.wait_for_function("s => document.querySelector(\"#property-firms-table .ag-row[row-index='0'] "
                           "[col-id=score]\")?.innerText === s", arg=f"{lowest:.1f}")
    scores = [float(s) for s in grid_column(page, table, "score")]
    assert scores == sorted(scores)
    page.wait_for_timeout(800)
    screenshot(page, "property")
    page.log.assert_clean()
