"""预警研判 in headless Chromium: loads offline, its numbers equal SQL, the alert map draws every
area and hot grid and outlines the chosen incident's area, one incident's course."""
import duckdb
import pytest

from tests.browser.conftest import screenshot, wait_count, wait_text
from tests.cockpit.test_warning import _map_expected

pytestmark = pytest.mark.browser


def test_warning_page(page, cockpit_url, tiny_db):
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        alerts = con.execute("SELECT count(*) FROM warning_alerts WHERE active").fetchall()[0][0]
        ongoing, ended = con.execute("SELECT count(*) FILTER (status = '进行中'), "
                                     "count(*) FILTER (status = '已结束') FROM warning_incidents").fetchall()[0]
        first_area = con.execute("SELECT area_code FROM warning_incidents ORDER BY status = '进行中' DESC, "
                                 "last_day DESC, peak_score DESC, incident_id LIMIT 1").fetchall()[0][0]
        outlined = con.execute("SELECT count(*) FROM areas WHERE code = ? AND valid_to IS NULL",
                               [first_area]).fetchall()[0][0]
        streets, _inside, hot = _map_expected(con, "2202", 9)
    page.goto(cockpit_url.rstrip("/") + "/warning")
    wait_text(page, "#warning-kpi-alerts", f"{alerts:,}")
    wait_text(page, "#warning-kpi-ongoing", f"{ongoing:,}")
    wait_text(page, "#warning-kpi-ended", f"{ended:,}")
    wait_count(page, "#warning-alerts td[data-dash-column='reason']", min(alerts, 50))    # SHOWN_ROWS
    page.wait_for_selector("#warning-timeline .main-svg", state="attached")
    wait_count(page, "#warning-map path.choroplethlocation", len(streets) + len(hot) + outlined)
    page.wait_for_selector("#warning-review .warning-facts")
    assert "超出基线" in page.inner_text("#warning-review")
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)
    screenshot(page, "warning")
    page.log.assert_clean()
