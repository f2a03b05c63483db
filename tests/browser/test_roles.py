"""Walk every page each kind of account may open, in Chromium: its navigation lists exactly those
pages, each draws without a console error or a request leaving the machine, no response holds a
full ID number, a mobile number or a resident's name (page.log.assert_clean), and no panel is
empty or degenerate (tests/browser/panels.py inspects every graph's figure data, every table and
every empty-panel note in the page, so a panel added later is checked too)."""
import pytest

from cockpit.accounts import PAGES_ONLY
from tests.browser.helpers import grid_column
from tests.browser.panels import wait_drawn

pytestmark = pytest.mark.browser

AREA_PAGES = ["/", "/map", "/heatmap", "/workflow", "/incident", "/warning", "/services", "/property",
              "/explorer", "/people", "/briefings", "/m"]
DISTRICT_PAGES = AREA_PAGES + ["/health"]


def _walk(page, url, paths):
    page.set_default_timeout(120_000)
    problems = {}
    for path in paths:
        page.goto(url.rstrip("/") + path)
        # drawn: a chart, a data table, the big screen, or the warning page's tables
        page.wait_for_selector(".js-plotly-plot, .cockpit-grid, .screen, .warning-table, .briefing-table, "
                               ".briefings .empty-note", state="attached")
        page.wait_for_load_state("networkidle")
        if path != "/":                   # the big screen draws its own header, no navigation
            shown = {h.rstrip("/") or "/" for h in page.locator(".nav a.nav-link[href^='/']")
                     .evaluate_all("els => els.map(e => e.getAttribute('href'))")}
            assert shown - {"/logout"} == set(paths), path
        found = wait_drawn(page)
        bad = {k: found[k] for k in ("empty", "degenerate", "emptyTables", "bare") if found[k]}
        if bad:
            problems[path] = bad
    assert problems == {}, f"empty or degenerate panels: {problems}"


@pytest.mark.parametrize("page, paths", [("T-GRID", AREA_PAGES), ("T-COMMUNITY", AREA_PAGES),
                                         ("T-STREET", AREA_PAGES), ("T-DISTRICT", DISTRICT_PAGES)],
                         indirect=["page"])
def test_an_area_account_walks_its_pages(page, paths, cockpit_url, role_accounts):
    _walk(page, cockpit_url, paths)
    assert "辖区" in page.inner_text("body")
    if "/health" not in paths:
        page.goto(cockpit_url + "health")                 # not for them: sent home
        page.wait_for_url(cockpit_url)
    page.log.assert_clean()


@pytest.mark.parametrize("page", ["T-DEPT"], indirect=True)
def test_a_department_sees_its_events_only(page, cockpit_url, role_accounts):
    assert PAGES_ONLY["department"] == {"/explorer"}
    page.goto(cockpit_url)                                # the big screen is not for it
    page.wait_for_url(cockpit_url + "explorer")
    _walk(page, cockpit_url, ["/explorer"])
    dept = role_accounts["T-DEPT"][1]
    page.wait_for_selector("#explorer-table .ag-row [col-id=department]")
    shown = grid_column(page, "#explorer-table", "department")
    assert len(shown) == 20 and set(shown) == {dept}
    page.log.assert_clean()


@pytest.mark.parametrize("page", ["T-ANALYST"], indirect=True)
def test_an_analyst_walks_its_pages(page, cockpit_url, role_accounts):
    pages = sorted(PAGES_ONLY["analyst"])
    assert "/people" not in pages and "/" not in pages
    _walk(page, cockpit_url, pages)
    page.goto(cockpit_url + "people")                     # residents' records: not for analysts
    page.wait_for_url(lambda u: not u.endswith("/people"))
    page.log.assert_clean()


def test_the_inspection_finds_empty_and_degenerate_panels(page, cockpit_url):
    """The check itself can fail: a blank graph, a colour bar over one value, a bare 无数据 note
    and an empty table planted in a page are all reported."""
    page.goto(cockpit_url + "map")
    page.wait_for_selector("path.choroplethlocation", state="attached")
    assert wait_drawn(page)["empty"] == []
    page.evaluate("""() => {
      const host = document.createElement('div'); host.id = 'planted'; document.body.appendChild(host);
      const blank = document.createElement('div'); blank.id = 'planted-blank'; host.appendChild(blank);
      Plotly.newPlot(blank, [{type: 'bar', x: [], y: []}], {});
      const one = document.createElement('div'); one.id = 'planted-one'; host.appendChild(one);
      Plotly.newPlot(one, [{type: 'heatmap', z: [[51, 51], [51, 51]], showscale: true}], {});
      const said = document.createElement('div'); said.id = 'planted-said'; host.appendChild(said);
      Plotly.newPlot(said, [], {annotations: [{text: '无数据', showarrow: false}]});
      const note = document.createElement('div'); note.id = 'planted-note'; note.className = 'empty-note';
      note.innerText = '无数据'; host.appendChild(note);
      const table = document.createElement('table'); table.id = 'planted-table';
      table.innerHTML = '<thead><tr><th>列</th></tr></thead><tbody></tbody>'; host.appendChild(table);
      const grid = document.createElement('div'); grid.id = 'planted-grid'; grid.className = 'cockpit-grid';
      grid.innerHTML = '<div class="ag-center-cols-container"></div>'; host.appendChild(grid);
    }""")
    found = wait_drawn(page, 2000)
    assert set(found["empty"]) == {"planted-blank", "planted-said"}
    assert [d.split(":")[0] for d in found["degenerate"]] == ["planted-one"]
    assert found["bare"] == ["planted-note"] and found["emptyTables"] == ["planted-table", "planted-grid"]
