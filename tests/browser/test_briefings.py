"""The briefings in Chromium: the 简报 page under the cockpit's Content-Security-Policy lists the
account's briefings and downloads one; a briefing's own page makes no request at all, and
everything it says fits its two A4 pages, also when every list is at its longest and every name
long (nothing runs into the footer or out of its box)."""
import datetime as dt

import pandas as pd
import pytest

from cockpit.briefing import archive
from cockpit.briefing.content import MAX_AREAS, MAX_DROPS, MAX_INCIDENTS, Briefing, Incident, Measure, gather
from cockpit.briefing.page import PAGES, html
from cockpit.db import Warehouse
from cockpit.scope import Scope
from tests.browser.helpers import SCREENSHOTS, screenshot

pytestmark = pytest.mark.browser

# every box of a page: below the header and above the footer, none wider than its parent
FITS = """() => Array.from(document.querySelectorAll('.page')).map(page => {
  const foot = page.querySelector('footer').getBoundingClientRect();
  const box = page.getBoundingClientRect();
  const late = Array.from(page.children).filter(e => e.tagName !== 'FOOTER')
                    .filter(e => e.getBoundingClientRect().bottom > foot.top - 1).map(e => e.className || e.tagName);
  const wide = Array.from(page.querySelectorAll('.card, figure, table, dl, li'))
                    .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > box.right)
                    .map(e => e.className || e.tagName);
  return {late, wide, height: Math.round(box.height)};
})"""


@pytest.mark.parametrize("page", ["T-DISTRICT"], indirect=True)
def test_the_briefings_page_lists_the_area_s_briefings_and_downloads_one(page, cockpit_url, briefing_archive):
    page.goto(cockpit_url + "briefings")
    page.wait_for_selector(".briefing-table tbody tr")
    rows = page.locator(".briefing-table tbody tr").all_inner_texts()
    day = briefing_archive["day"].isoformat()
    assert len(rows) == 4 and all(r.startswith(day) for r in rows)
    assert sum("每周简报" in r for r in rows) == 1
    name = archive.file_name("daily", briefing_archive["day"], "pdf")
    link = page.locator(f".briefing-link[href$='/{briefing_archive['district']}/{name}']")
    with page.expect_download() as got:
        link.click()
    saved = got.value.path()
    assert open(saved, "rb").read() == (briefing_archive["root"] / briefing_archive["district"] / name).read_bytes()
    assert got.value.suggested_filename == name
    screenshot(page, "briefings-page")
    page.log.assert_clean()


def _page(browser, text: str):
    context = browser.new_context(viewport={"width": 794, "height": 1123 * PAGES})
    pg = context.new_page()
    asked = []
    pg.on("request", lambda r: asked.append(r.url))
    console = []
    pg.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    pg.set_content(text, wait_until="load")
    return context, pg, asked, console


def _worst() -> Briefing:
    """A briefing with every list at its longest and long names everywhere."""
    long_area = "某某街道某某社区第12网格及周边 6 个网格（很长的名称）"
    subjects = "、".join(["违规户外广告", "施工扰民", "供暖不热", "绿化带损毁", "物业纠纷"] * 6)
    days = pd.DataFrame({"day": pd.date_range("2026-10-11", periods=21), "reported": range(21),
                         "expected": [5.0] * 21, "upper": [9.0] * 21})
    incident = Incident("YJ1", "excess", "上报激增", long_area, subjects, dt.date(2026, 10, 30), True, days)
    drop = Incident("YJ2", "drop", "上报骤减", long_area, "全部上报", dt.date(2026, 6, 4), False, days)
    wide = lambda *v: tuple(v) + (None,) * (9 - len(v))
    departments = pd.DataFrame({"department": [f"某某市某某区某某管理局第{i}分局" for i in range(20)],
                                "overdue": range(20000, 0, -1000), "overdue_week": [9999] * 20,
                                "overdue_before": [18888] * 20, "open": [123456] * 20, "longest_days": [999] * 20})
    areas = pd.DataFrame({"code": [f"2202040{i:02d}" for i in range(MAX_AREAS)],
                          "name": ["某某某某某某街道（乡镇）" for _ in range(MAX_AREAS)],
                          "reported": [123456] * MAX_AREAS, "median": [100000.5] * MAX_AREAS,
                          "low": [99999] * MAX_AREAS, "high": [111111] * MAX_AREAS,
                          "outside": ["above"] * MAX_AREAS, "closure_rate": [99.9] * MAX_AREAS,
                          "on_time_rate": [88.8] * MAX_AREAS})
    health = {"generation": "g", "as_of": dt.datetime(2026, 10, 31, 9, 0), "built_at": dt.datetime(2026, 10, 31, 9, 5),
              "rows_in": 123456789, "quarantined": 1234567, "repaired": 7654321, "published_at": None,
              "last_run": {"status": "failed", "started_at": "2026-10-31T01:00:00+00:00", "ended_at": None},
              "last_good": "2026-10-30T01:00:00+00:00", "bad_runs": 12, "warning_lag": ("a", "b")}
    return Briefing("weekly", "220204", "某某某某自治县（很长的区县名称）", dt.date(2026, 11, 2), dt.date(2026, 10, 26),
                    dt.date(2026, 11, 1), dt.datetime(2026, 10, 31, 9), dt.datetime(2026, 10, 31, 9),
                    [Measure("上报", "件", wide(1234567, 1000000, 1400000)), Measure("立案", "件", wide(1234567, 1)),
                     Measure("办结", "件", wide(1, 1234567))],
                    [Measure("结案率", "%", wide(12.3, 99.9, 98.7)), Measure("按期结案率", "%", wide(100.0, 0.0))],
                    Measure("应结案", "件", wide(1234567)), Measure("超期在办", "件", (1234567, 7654321)),
                    [incident] * MAX_INCIDENTS, [drop] * MAX_DROPS, 99, departments, areas, False, health)


def test_a_briefing_fits_its_pages_and_asks_for_nothing(browser, tiny_warehouse):
    wh = Warehouse(tiny_warehouse)
    with wh.snapshot() as snap:
        as_of = pd.Timestamp(snap.query("SELECT as_of FROM ops.meta").iloc[0, 0]).date()
        real = [gather(snap, Scope(code, code), kind, as_of + dt.timedelta(days=1), tiny_warehouse)
                for code, kind in (("220204", "daily"), ("220204", "weekly"),
                                   (snap.query("SELECT min(code) FROM core.areas WHERE level = 'grid'").iloc[0, 0], "daily"))]
    wh.close()
    for i, briefing in enumerate([*real, _worst()]):
        context, pg, asked, console = _page(browser, html(briefing))
        try:
            found = pg.evaluate(FITS)
            assert len(found) == PAGES and all(p["height"] == 1123 for p in found), found
            assert all(p["late"] == [] and p["wide"] == [] for p in found), (i, found)
            assert asked == [] and console == [], (asked, console)
            if i == len(real):                          # to look at
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(SCREENSHOTS / "briefing-worst.png"), full_page=True)
        finally:
            context.close()
