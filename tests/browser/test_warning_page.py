"""预警研判 in headless Chromium: loads offline, its numbers equal SQL, one incident's course."""
import duckdb
import pytest

from tests.browser.conftest import screenshot, wait_count, wait_text

pytestmark = pytest.mark.browser


def test_warning_page(page, cockpit_url, tiny_db):
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        alerts = con.execute("SELECT count(*) FROM warning_alerts WHERE active").fetchall()[0][0]
        ongoing, ended = con.execute("SELECT count(*) FILTER (status = '进行中'), "
                                     "count(*) FILTER (status = '已结束') FROM warning_incidents").fetchall()[0]
    page.goto(cockpit_url.rstrip("/") + "/warning")
    wait_text(page, "#warning-kpi-alerts", f"{alerts:,}")
    wait_text(page, "#warning-kpi-ongoing", f"{ongoing:,}")
    wait_text(page, "#warning-kpi-ended", f"{ended:,}")
    wait_count(page, "#warning-alerts tbody tr", min(alerts, 50))    # SHOWN_ROWS
    page.wait_for_selector("#warning-timeline .main-svg", state="attached")
    page.wait_for_selector("#warning-review .warning-facts")
    assert "超出基线" in page.inner_text("#warning-review")
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)
    screenshot(page, "warning")
    page.log.assert_clean()
