"""流转时效 in headless Chromium: loads offline, its numbers equal SQL, the level selector works."""
import duckdb
import pytest

from tests.browser.helpers import grid_column, screenshot, wait_grid_rows

pytestmark = pytest.mark.browser


def _sql(db):
    """The newest month's KPIs (deadline in the month, up to as-of), the streets' 按期结案率 and
    the overdue count, in plain SQL on events."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]
        lo = as_of.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        due = ("accepted_at IS NOT NULL AND deadline >= ? AND deadline <= ? "
               "AND date_trunc('month', deadline) = ?")
        k = con.execute(
            f"SELECT count(*), count(closed_at), count(*) FILTER (closed_at IS NOT NULL AND handled_at <= deadline) "
            f"FROM core.events WHERE {due}", [lo, as_of, lo]).fetchall()[0]
        # 立案数 as in the mart: opened in the month (a few are stamped after as-of, the newest report)
        accepted = con.execute("SELECT count(*) FROM core.events WHERE date_trunc('month', accepted_at) = ?",
                               [lo]).fetchall()[0][0]
        streets = dict(con.execute(
            f"SELECT a.name, count(*) FILTER (closed_at IS NOT NULL AND handled_at <= deadline) / count(*) "
            f"FROM core.events e JOIN core.areas a ON a.code = left(e.grid_code, 9) WHERE {due} GROUP BY a.name",
            [lo, as_of, lo]).fetchall())
        overdue = con.execute("SELECT count(*) FROM core.events WHERE handled_at IS NULL AND deadline < ? "
                              "AND status <> '不予立案'", [as_of]).fetchall()[0][0]
        return {"month": lo, "accepted": accepted, "due": k[0], "closure": 100 * k[1] / k[0],
                "on_time": 100 * k[2] / k[0], "streets": streets, "overdue": overdue}
    finally:
        con.close()


def test_workflow_offline_right_and_filterable(page, cockpit_url, tiny_db):
    exp = _sql(tiny_db)
    page.set_default_timeout(90_000)      # a loaded 2-core CI box can take a while
    page.goto(cockpit_url.rstrip("/") + "/workflow")
    page.wait_for_function("(() => { const e = document.querySelector('#workflow-due'); "
                           "return e && e.innerText !== '—'; })()", timeout=90000)
    page.wait_for_selector("#workflow-stages .main-svg", state="attached")
    wait_grid_rows(page, "#workflow-overdue", min(10, exp["overdue"]))
    assert page.inner_text("#workflow-accepted") == f"{exp['accepted']:,}"
    assert page.inner_text("#workflow-due") == f"{exp['due']:,}"
    assert page.inner_text("#workflow-closure-rate") == f"{exp['closure']:.2f}"
    assert page.inner_text("#workflow-on-time-rate") == f"{exp['on_time']:.2f}"
    assert f"{exp['month']:%Y年%m月}" in page.inner_text("#workflow-period")
    assert f"共 {exp['overdue']:,} 件" in page.inner_text("#workflow-overdue-total")
    hours = [float(h.replace(",", "")) for h in grid_column(page, "#workflow-overdue", "hours_overdue")]
    assert hours == sorted(hours, reverse=True) and hours[0] > 0            # the longest overdue first
    assert page.inner_text("#workflow-overdue-pages") == f"第 1 / {-(-exp['overdue'] // 10)} 页"

    # level selector: street level lists the streets with SQL's 按期结案率
    page.get_by_text("街道（乡镇）", exact=True).click()
    wait_grid_rows(page, "#workflow-area-table", len(exp["streets"]))
    names = grid_column(page, "#workflow-area-table", "name")
    rates = grid_column(page, "#workflow-area-table", "on_time_rate")
    assert set(names) == set(exp["streets"])
    for name, shown in zip(names, rates):
        assert shown == f"{100 * exp['streets'][name]:.2f}%"
    # a click on a header sorts the rows in the browser, as numbers
    page.click("#workflow-area-table .ag-header-cell[col-id='on_time_rate']")
    ascending = sorted(exp["streets"].values())
    page.wait_for_function("t => document.querySelector(\"#workflow-area-table .ag-row[row-index='0'] "
                           "[col-id=on_time_rate]\")?.innerText === t", arg=f"{100 * ascending[0]:.2f}%")
    assert grid_column(page, "#workflow-area-table", "on_time_rate") == [f"{100 * r:.2f}%" for r in ascending]
    page.wait_for_timeout(800)
    screenshot(page, "workflow")
    page.log.assert_clean()
