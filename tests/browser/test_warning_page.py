"""预警研判 in headless Chromium: loads offline, today's screen equals SQL, the map draws every
area and today's grids, one incident's course, and a duty officer marks the incident 误报 with a
note: the label is stored (its note masked) and shown in the incident's history and on the list."""
import duckdb
import pytest

from tests.browser.helpers import grid_column, screenshot, wait_grid_rows, wait_text
from tests.cockpit.expected import warning_map

pytestmark = pytest.mark.browser


def test_warning_page_and_marking_an_incident(page, cockpit_url, tiny_db):
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        shown, drops, incidents = con.execute(
            "SELECT count(*) FILTER (on_screen), count(*) FILTER (on_screen AND kind = 'drop'), count(*) "
            "FROM warning.incidents").fetchall()[0]
        first = con.execute("""SELECT incident_id FROM warning.incidents
                               ORDER BY on_screen DESC, kind = 'drop', new DESC, rank NULLS LAST, last_day DESC,
                                        peak_score DESC, incident_id LIMIT 1""").fetchall()[0][0]
        streets, _inside, hot = warning_map(con, "2202", 9)
    assert incidents > 0 and shown > 0, "the tiny data should have today's incidents"
    page.goto(cockpit_url.rstrip("/") + "/warning")
    wait_text(page, "#warning-kpi-shown", f"{shown:,}")
    wait_text(page, "#warning-kpi-drops", f"{drops:,}")
    wait_grid_rows(page, "#warning-screen", shown - drops)
    wait_grid_rows(page, "#warning-incidents", min(incidents, 50))   # SHOWN_ROWS
    assert all(grid_column(page, "#warning-screen", "reason"))
    # highlighted rows: new incidents on today's screen, ongoing ones in the list of all, and only they
    for grid, col, value in (("#warning-screen", "state", "新发"), ("#warning-incidents", "status", "进行中")):
        states = page.evaluate("""([grid, col]) => [...document.querySelectorAll(grid + ' .ag-center-cols-container .ag-row')]
          .map(r => [r.querySelector(`[col-id=${col}]`).innerText, r.classList.contains('row-highlight'),
                     getComputedStyle(r.querySelector(`[col-id=${col}]`)).color])""", [grid, col])
        assert states and all(lit == (s == value) for s, lit, _ in states), grid
        assert all((color == "rgb(255, 179, 138)") == (s == value) for s, _, color in states), grid
    assert any(s == "进行中" for s, *_ in states), "the tiny data should have ongoing incidents"
    page.wait_for_selector("#warning-timeline .main-svg", state="attached")
    page.wait_for_selector("#warning-map path.choroplethlocation", state="attached")
    assert page.locator("#warning-map path.choroplethlocation").count() >= len(streets) + len(hot)
    page.wait_for_selector("#warning-review .warning-facts")
    assert first in page.inner_text("#warning-review")
    assert "依据（最新）" in page.inner_text("#warning-review")
    page.wait_for_selector("#warning-label-history .empty-note")
    # 研判: the first incident is a false alarm, says the officer (with a phone number in the note)
    page.click("#warning-label-choice label:has-text('误报')")
    page.fill("#warning-label-note", "已到现场核实：重复上报，来电 13812345678")
    page.click("#warning-label-save")
    page.wait_for_function("document.querySelector('#warning-label-message').innerText.startsWith('已记录')")
    page.wait_for_selector("#warning-label-history .ag-row [col-id='label']")
    history = page.inner_text("#warning-label-history")
    assert "误报" in history and "138****5678" in history and "13812345678" not in history
    page.wait_for_function(
        "[...document.querySelectorAll(\"#warning-incidents .ag-row [col-id='label']\")]"
        ".some(td => td.innerText === '误报')")
    page.wait_for_selector("#warning-precision .ag-row [col-id='precision']")
    assert "0.0%" in page.inner_text("#warning-precision")
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)
    screenshot(page, "warning")
    page.log.assert_clean()
