"""事中研判 in headless Chromium: loads offline, its numbers equal SQL, the class filter works."""
import duckdb
import pytest

from tests.browser.helpers import screenshot, wait_text

pytestmark = pytest.mark.browser


def _sql(db, class_code=None):
    """Open backlog and overdue (handling not finished, deadline passed) at as-of, in plain SQL."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]
        cls = "AND class_code = ?" if class_code else ""
        args = [class_code] if class_code else []
        opened = con.execute(f"SELECT count(*) FROM core.events WHERE closed_at IS NULL "
                             f"AND status <> '不予立案' {cls}", args).fetchall()[0][0]
        overdue = con.execute(f"SELECT count(*) FROM core.events WHERE handled_at IS NULL AND deadline < ? "
                              f"AND status <> '不予立案' {cls}", [as_of, *args]).fetchall()[0][0]
        return f"{opened:,}", f"{overdue:,}"
    finally:
        con.close()


def _wait_open(page, not_text):
    page.wait_for_function(
        "(t) => { const e = document.querySelector('#incident-open'); "
        "return e && e.innerText !== '—' && e.innerText !== t; }", arg=not_text, timeout=90000)


def test_incident_offline_right_and_filterable(page, cockpit_url, tiny_db):
    all_open, all_overdue = _sql(tiny_db)
    page.set_default_timeout(90_000)      # a loaded 2-core CI box can take a while
    page.goto(cockpit_url.rstrip("/") + "/incident")
    _wait_open(page, "—")
    page.wait_for_selector("#incident-dispatch-depts .main-svg", state="attached")
    assert (page.inner_text("#incident-open"), page.inner_text("#incident-overdue")) == (all_open, all_overdue)
    page.wait_for_selector("#incident-early-warning a[href='/warning']")
    with duckdb.connect(str(tiny_db), read_only=True) as con:      # the whole city: every incident
        shown = con.execute("SELECT count(*) FROM warning.incidents WHERE on_screen").fetchone()[0]
    assert page.inner_text("#incident-early-warning .incident-warning-count") == f"{shown:,}"
    page.wait_for_selector("#incident-review a[href='/warning']")

    # class filter: 市容环境 (01)
    page.locator("#incident-class").click()
    page.get_by_role("option", name="市容环境").click()
    cls_open, cls_overdue = _sql(tiny_db, "01")
    assert cls_open != all_open
    wait_text(page, "#incident-open", cls_open)
    wait_text(page, "#incident-overdue", cls_overdue)
    page.keyboard.press("Escape")
    page.mouse.move(5, 5)
    page.wait_for_timeout(800)
    screenshot(page, "incident")
    page.log.assert_clean()
