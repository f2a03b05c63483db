"""Walk every page a narrow role may open, in Chromium (the administrator's walk is every page's
own browser test; street and community accounts are the grid worker's kind): its navigation lists
exactly those pages, each draws without a console error or a request leaving the machine, and no response
holds a full ID number, a mobile number or a resident's name (page.log.assert_clean)."""
import pytest

from cockpit.accounts import PAGES_ONLY

pytestmark = pytest.mark.browser

GRID_PAGES = ["/", "/map", "/heatmap", "/workflow", "/incident", "/warning", "/services", "/property",
              "/explorer", "/people"]


def _walk(page, url, paths):
    page.set_default_timeout(120_000)
    for path in paths:
        page.goto(url.rstrip("/") + path)
        # drawn: a chart, a data table, the big screen, or the warning page's tables
        page.wait_for_selector(".js-plotly-plot, .dash-spreadsheet, .screen, .warning-table", state="attached")
        page.wait_for_load_state("networkidle")
        if path != "/":                   # the big screen draws its own header, no navigation
            shown = {h.rstrip("/") or "/" for h in page.locator(".nav a.nav-link[href^='/']")
                     .evaluate_all("els => els.map(e => e.getAttribute('href'))")}
            assert shown - {"/logout"} == set(paths), path


@pytest.mark.parametrize("page", ["T-GRID"], indirect=True)
def test_a_grid_worker_walks_its_pages(page, cockpit_url, role_accounts):
    _walk(page, cockpit_url, GRID_PAGES)
    assert "辖区" in page.inner_text("body")
    page.goto(cockpit_url + "health")                     # not for a grid worker: sent home
    page.wait_for_url(cockpit_url)
    page.log.assert_clean()


@pytest.mark.parametrize("page", ["T-DEPT"], indirect=True)
def test_a_department_sees_its_events_only(page, cockpit_url, role_accounts):
    assert PAGES_ONLY["department"] == {"/explorer"}
    page.goto(cockpit_url)                                # the big screen is not for it
    page.wait_for_url(cockpit_url + "explorer")
    _walk(page, cockpit_url, ["/explorer"])
    dept = role_accounts["T-DEPT"][1]
    page.wait_for_selector("#explorer-table td[data-dash-column=department]")
    shown = set(page.locator("#explorer-table td[data-dash-column=department]").all_inner_texts())
    assert shown == {dept}
    page.log.assert_clean()


@pytest.mark.parametrize("page", ["T-ANALYST"], indirect=True)
def test_an_analyst_walks_its_pages(page, cockpit_url, role_accounts):
    pages = sorted(PAGES_ONLY["analyst"])
    assert "/people" not in pages and "/" not in pages
    _walk(page, cockpit_url, pages)
    page.goto(cockpit_url + "people")                     # residents' records: not for analysts
    page.wait_for_url(lambda u: not u.endswith("/people"))
    page.log.assert_clean()
