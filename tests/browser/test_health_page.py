"""数据健康 in headless Chromium: the served generation, every file of its load log, the run log."""
import duckdb
import pytest

from tests.browser.helpers import grid_column, screenshot, wait_grid_rows
from warehouse import generations

pytestmark = pytest.mark.browser


def test_health_page_shows_the_load(page, cockpit_url, tiny_db, tiny_warehouse):
    page.set_default_timeout(90_000)
    con = duckdb.connect(str(tiny_db), read_only=True)
    files, counts = zip(*con.execute("SELECT file, rows_in FROM ops.load_log ORDER BY run_id, rowid").fetchall())
    rows_in = con.execute("SELECT sum(rows_in) FROM ops.load_log").fetchall()[0][0]
    con.close()
    page.goto(cockpit_url + "health")
    wait_grid_rows(page, "#health-load-log", len(files))
    page.wait_for_selector("#health-runs .ag-row [col-id='status']")
    cards = page.inner_text("#health-cards")
    assert generations.current(tiny_warehouse).id in cards and "已发布" in cards
    assert grid_column(page, "#health-load-log", "file") == list(files)
    assert grid_column(page, "#health-load-log", "rows_in") == [f"{n:,}" for n in counts]   # grouped
    assert f"读入 {rows_in:,} 行" in page.inner_text("#health-load-total")
    screenshot(page, "health")
    page.log.assert_clean()
