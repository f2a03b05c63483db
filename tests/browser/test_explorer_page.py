"""事件查询 in headless Chromium: loads offline, its count equals SQL, a filter changes the count
to SQL's, and the CSV download holds exactly the filtered rows."""
import csv
import datetime as dt
import io

import duckdb
import pytest

from tests.browser.helpers import grid_column, screenshot, wait_grid_rows

pytestmark = pytest.mark.browser


def _sql(db, source=None):
    """Event ids of the last 30 days up to as-of (optionally of one source), newest first."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]
        start = dt.datetime.combine(as_of.date() - dt.timedelta(days=29), dt.time())
        end = dt.datetime.combine(as_of.date() + dt.timedelta(days=1), dt.time())
        return [r[0] for r in con.execute(
            "SELECT event_id FROM core.events WHERE reported_at >= ? AND reported_at < ? "
            "AND (CAST(? AS VARCHAR) IS NULL OR source = ?) ORDER BY reported_at DESC, event_id DESC",
            [start, end, source, source]).fetchall()]
    finally:
        con.close()


def _count_is(page, n: int):
    page.wait_for_function(
        "n => (document.querySelector('#explorer-count')?.innerText || '').includes(`共 ${n} 条事件`)",
        arg=f"{n:,}")


def test_explorer_filter_and_csv_download(page, cockpit_url, tiny_db):
    page.set_default_timeout(90_000)          # two shared cores: be patient, not flaky
    everything = _sql(tiny_db)
    page.goto(cockpit_url + "explorer")
    page.wait_for_selector("#explorer-chart .main-svg")
    _count_is(page, len(everything))
    wait_grid_rows(page, "#explorer-table", 20)
    assert grid_column(page, "#explorer-table", "event_id") == everything[:20]
    assert page.inner_text("#explorer-pages") == f"第 1 / {-(-len(everything) // 20)} 页"
    # the next page is the server's next twenty
    page.click("#explorer-next")
    page.wait_for_function("id => document.querySelector(\"#explorer-table .ag-row[row-index='0'] [col-id=event_id]\")"
                           "?.innerText === id", arg=everything[20])
    assert grid_column(page, "#explorer-table", "event_id") == everything[20:40]
    # a click on a header sorts on the server (the first page of all events by that column)
    page.click("#explorer-table .ag-header-cell[col-id='event_id']")
    by_id = sorted(everything)
    page.wait_for_function("id => document.querySelector(\"#explorer-table .ag-row[row-index='0'] [col-id=event_id]\")"
                           "?.innerText === id", arg=by_id[0])
    assert grid_column(page, "#explorer-table", "event_id") == by_id[:20]
    assert page.inner_text("#explorer-pages").startswith("第 1 / ")
    page.click("#explorer-table .ag-header-cell[col-id='reported_at']")      # oldest first, then newest
    page.wait_for_function("id => document.querySelector(\"#explorer-table .ag-row[row-index='0'] [col-id=event_id]\")"
                           "?.innerText === id", arg=everything[-1])
    page.click("#explorer-table .ag-header-cell[col-id='reported_at']")
    page.wait_for_function("id => document.querySelector(\"#explorer-table .ag-row[row-index='0'] [col-id=event_id]\")"
                           "?.innerText === id", arg=everything[0])

    # a filter: only events reported by grid workers on patrol
    patrol = _sql(tiny_db, "网格员巡查")
    assert 0 < len(patrol) < len(everything)
    page.click("#explorer-source")
    page.click(".dash-dropdown-option:has-text('网格员巡查')")
    _count_is(page, len(patrol))
    page.wait_for_function("id => document.querySelector(\"#explorer-table .ag-row[row-index='0'] [col-id=event_id]\")"
                           "?.innerText === id", arg=patrol[0])

    # the CSV holds exactly the filtered rows, in the table's order
    with page.expect_download() as info:
        page.click("#explorer-csv")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["事件编号", "上报时间"]
    assert [r[0] for r in rows[1:]] == patrol
    page.wait_for_selector(f"#explorer-export-note:has-text('已导出 {len(patrol):,} 条')")
    screenshot(page, "explorer")
    page.log.assert_clean()
