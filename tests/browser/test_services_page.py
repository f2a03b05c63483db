"""服务与需求 in headless Chromium: loads offline, shows the warehouse's numbers, follows the period."""
import datetime as dt

import duckdb
import pytest

from tests.browser.helpers import screenshot, wait_text

pytestmark = pytest.mark.browser


def _sql(db, days):
    """Activities and registered needs in the last `days` days (None: all), by SQL of its own."""
    con = duckdb.connect(str(db), read_only=True)
    as_of = con.execute("SELECT as_of::DATE FROM ops.meta").fetchall()[0][0]
    start = dt.date(1, 1, 1) if days is None else as_of - dt.timedelta(days=days - 1)
    out = {
        "activities": con.execute("SELECT count(*) FROM core.service_activities WHERE activity_date BETWEEN ? AND ?",
                                  [start, as_of]).fetchall()[0][0],
        "participants": con.execute("SELECT sum(participants) FROM core.service_activities "
                                    "WHERE activity_date BETWEEN ? AND ?", [start, as_of]).fetchall()[0][0],
        "needs": con.execute("SELECT count(*) FROM core.needs WHERE reported_date BETWEEN ? AND ?",
                             [start, as_of]).fetchall()[0][0],
        "volunteers": con.execute("SELECT count(*) FROM core.volunteers WHERE registered_date <= ?",
                                  [as_of]).fetchall()[0][0],
    }
    con.close()
    return out


def _text(page, id_):
    return page.inner_text(f"#{id_}")


def test_services_page(page, cockpit_url, tiny_db):
    page.set_default_timeout(120_000)     # a loaded CI machine: callbacks build several figures
    page.goto(cockpit_url + "services")
    page.wait_for_function("(() => { const e = document.querySelector('#services-kpi-activities');"
                           " return e && e.innerText !== '—'; })()")
    page.wait_for_function("(() => { const e = document.querySelector('#services-kpi-needs');"
                           " return e && e.innerText !== '—'; })()")
    page.wait_for_selector("#services-monthly-chart .main-svg")
    page.wait_for_selector(".services-table")
    exp = _sql(tiny_db, 90)
    assert _text(page, "services-kpi-activities") == f"{exp['activities']:,}"
    assert _text(page, "services-kpi-participants") == f"{exp['participants']:,}"
    assert _text(page, "services-kpi-needs") == f"{exp['needs']:,}"
    assert _text(page, "services-kpi-volunteers") == f"{exp['volunteers']:,}"
    assert page.inner_text("#services-area").strip() == "吉林市"     # the area box shows its value
    assert page.locator("#services-monthly-chart g.trace.bars").count() > 0

    # the period filter: 全部
    every = _sql(tiny_db, None)
    page.locator(".services-period label", has_text="全部").click()
    wait_text(page, "#services-kpi-activities", f"{every['activities']:,}")
    # the needs counters come from their own callback: wait for them as well
    wait_text(page, "#services-kpi-needs", f"{every['needs']:,}")
    assert "全部" in _text(page, "services-scope-note")
    page.wait_for_timeout(800)
    screenshot(page, "services")
    page.log.assert_clean()
