"""物业红黑榜 in headless Chromium: loads offline, numbers equal SQL, the list filter works."""
import duckdb
import pytest

from tests.browser.helpers import screenshot

pytestmark = pytest.mark.browser


def test_property_page(page, cockpit_url, tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    firms, red, black, avg = con.execute(
        "SELECT count(*), count(*) FILTER (red_black_list = '红榜'), count(*) FILTER (red_black_list = '黑榜'), "
        "avg(credit_score) FROM core.property_firms").fetchall()[0]
    con.close()
    page.set_default_timeout(120_000)     # a loaded CI machine: callbacks build several figures
    page.goto(cockpit_url + "property")
    page.wait_for_function("(() => { const e = document.querySelector('#property-kpi-firms');"
                           " return e && e.innerText !== '—'; })()")
    page.wait_for_selector("#property-rank-chart .main-svg")
    rows = "#property-firms-table td[data-dash-column='name']"      # one cell per firm shown
    page.wait_for_selector(rows)
    assert page.inner_text("#property-kpi-firms") == f"{firms:,}"
    assert page.inner_text("#property-kpi-red") == f"{red:,}"
    assert page.inner_text("#property-kpi-black") == f"{black:,}"
    assert page.inner_text("#property-kpi-avg") == f"{avg:.1f}"
    assert page.locator(rows).count() == firms
    assert page.locator("#property-red-list tbody tr").count() == red
    if black == 0:
        assert page.inner_text("#property-black-list") == "本期无黑榜企业"
    assert page.locator("#property-rank-chart g.trace.bars path").count() == firms

    page.locator(".property-list-filter label", has_text="红榜").click()
    page.wait_for_function(f"document.querySelector('#property-table-count').innerText === '红榜：{red:,} 家'")
    page.wait_for_function(f"document.querySelectorAll(\"{rows}\").length === {red}")
    page.locator(".property-list-filter label", has_text="全部").click()
    page.wait_for_function(f"document.querySelectorAll(\"{rows}\").length === {firms}")
    page.wait_for_timeout(800)
    screenshot(page, "property")
    page.log.assert_clean()
