"""简报: the briefing's PDF says, in Chinese, on exactly two A4 pages, the numbers the warehouse
holds (computed here again from the events, independently of the briefing's SQL); its PNG is
the two pages at twice the resolution, small enough to send; the briefing's KPI rule is the big
screen's; and the command line makes one by hand, refusing an area the warehouse does not hold."""
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cockpit.briefing import archive
from cockpit.briefing.content import period
from cockpit.briefing.page import PAGES
from cockpit.briefing.render import A4_CSS_PX, PNG_SCALE
from cockpit.db import Warehouse
from cockpit.queries import briefing as q, screen
from cockpit.scope import Scope
from tests.conftest import served_db

ROOT = Path(__file__).resolve().parents[3]
MAX_PNG_BYTES = 2 * 1024 * 1024        # an image message's limit on the usual messengers


def _text(pdf: Path) -> list[str]:
    """Each page's text, as poppler's pdftotext reads it (Debian poppler-utils, make system-deps)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("poppler-utils is not installed: run the README's test command (make test)")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, timeout=60)
    pages = out.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _events(db: Path, area: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT reported_at, accepted_at, deadline, handled_at, closed_at, status, department "
                           "FROM core.events WHERE grid_code LIKE ? || '%'", [area]).df()


def _expected(db: Path, area: str, issued: dt.date, kind: str) -> dict:
    """The briefing's headline numbers, from the raw events with pandas (not the briefing's SQL)."""
    with duckdb.connect(str(db), read_only=True) as con:
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchone()[0]
    cutoff = min(pd.Timestamp(issued), pd.Timestamp(as_of))
    first, last = period(kind, issued)
    e = _events(db, area)
    days = e["reported_at"].dt.normalize()
    reported = ((days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last)) & (e["reported_at"] <= cutoff)).sum()
    week = pd.Timestamp(last) - pd.Timedelta(days=6)
    due = e[e["accepted_at"].notna() & (e["deadline"] >= week) & (e["deadline"] <= cutoff)]
    closed = due["closed_at"].notna() & (due["closed_at"] <= cutoff)
    on_time = closed & (due["handled_at"] <= due["deadline"])
    overdue = ((e["status"] != "不予立案") & (e["reported_at"] <= cutoff) & (e["deadline"] < cutoff)
               & (e["handled_at"].isna() | (e["handled_at"] > cutoff)))
    by_department = e[overdue].fillna({"department": "未指派"}).groupby("department").size()
    return {"reported": f"{reported:,}", "closure": f"{100 * closed.sum() / len(due):.1f}%",
            "on_time": f"{100 * on_time.sum() / len(due):.1f}%", "overdue": f"{overdue.sum():,}",
            "top_department": by_department.idxmax(), "top_overdue": f"{by_department.max():,}"}


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_the_pdf_says_the_warehouse_s_numbers_in_chinese_on_two_pages(briefing_archive, tiny_db, kind):
    area, day = briefing_archive["district"], briefing_archive["day"]
    pdf = archive.path(briefing_archive["root"], area, kind, day, "pdf")
    pages = _text(pdf)
    assert len(pages) == PAGES == 2
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        name = con.execute("SELECT name FROM core.areas WHERE code = ?", [area]).fetchone()[0]
    first = pages[0]
    assert name in first and ("每日简报" if kind == "daily" else "每周简报") in first
    for heading in ("要点", "结案率", "按期结案率", "超期在办", "预警事件"):
        assert heading in first, heading
    for heading in ("上报骤减", "超期在办（按责任部门", "重点区域", "数据健康", "口径说明"):
        assert heading in pages[1], heading
    want = _expected(tiny_db, area, day, kind)
    summary = first.split("上报（")[0]                      # the 要点 lines
    assert f"上报 {want['reported']} 件" in summary
    assert f"结案率 {want['closure']}" in summary and f"按期结案率 {want['on_time']}" in summary
    assert f"超期在办 {want['overdue']} 件" in summary
    assert f"{want['top_department']}（{want['top_overdue']} 件）" in summary
    first_day, last = period(kind, day)
    assert (f"{last.year}年{last.month}月{last.day}日" if kind == "daily" else
            f"{first_day.year}年{first_day.month}月{first_day.day}日—{last.month}月{last.day}日") in first
    assert "不完整" not in first                       # the data run to the period's last evening
    assert "第 1 页 / 共 2 页" in first and "第 2 页 / 共 2 页" in pages[1]


def test_the_png_is_both_pages_at_twice_the_resolution_and_small_enough_to_send(briefing_archive):
    png = archive.path(briefing_archive["root"], briefing_archive["district"], "daily", briefing_archive["day"], "png")
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert (width, height) == (A4_CSS_PX[0] * PNG_SCALE, A4_CSS_PX[1] * PAGES * PNG_SCALE)
    assert 50_000 < png.stat().st_size < MAX_PNG_BYTES


def test_a_street_s_briefing_holds_only_its_street(briefing_archive, tiny_db):
    street, other = briefing_archive["street"], briefing_archive["other_street"]
    text = "".join(_text(archive.path(briefing_archive["root"], street, "daily", briefing_archive["day"], "pdf")))
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        names = dict(con.execute("SELECT code, name FROM core.areas WHERE code IN (?, ?)", [street, other]).fetchall())
        mine = [n for (n,) in con.execute("SELECT name FROM core.areas WHERE level = 'community' AND parent_code = ?",
                                          [street]).fetchall()]
        theirs = [n for (n,) in con.execute("SELECT name FROM core.areas WHERE level = 'community' AND parent_code = ?",
                                            [other]).fetchall()]
    assert names[street] in text and names[other] not in text
    assert any(n in text for n in mine) and not any(n in text for n in theirs)
    want = _expected(tiny_db, street, briefing_archive["day"], "daily")
    assert f"上报 {want['reported']} 件" in text and f"超期在办 {want['overdue']} 件" in text


@pytest.mark.parametrize("days", [7, 1])
def test_the_briefing_counts_by_the_screen_s_kpi_rule(tiny_warehouse, days):
    """Seen at the data's as-of, the briefing's period ending that day counts what the big
    screen's counters count over the same days: one rule (screen__kpis.sql) in two places' SQL."""
    wh = Warehouse(tiny_warehouse)
    with wh.snapshot() as snap:
        as_of = pd.Timestamp(snap.query("SELECT as_of FROM ops.meta").iloc[0, 0]).to_pydatetime()
        for code in ("220204", snap.query("SELECT min(code) FROM core.areas WHERE level = 'street'").iloc[0, 0]):
            scope = Scope(code, code)
            mine = q.periods(snap, scope, as_of.date(), days, as_of).set_index("k").loc[0]
            theirs = screen.kpis(snap, scope, days)
            assert (mine["reported"], mine["due"], mine["closed"], mine["closed_on_time"]) == \
                   (theirs["events"], theirs["due"], theirs["closed"], theirs["closed_on_time"]), code
    wh.close()


def test_an_earlier_week_is_seen_as_long_after_its_end_as_the_briefing_s_own(tiny_warehouse):
    """Period k is counted at the cut-off moved back k weeks: a case closed after that is not
    closed yet for it, so an earlier week has had no longer to close its cases."""
    wh = Warehouse(tiny_warehouse)
    with wh.snapshot() as snap:
        as_of = pd.Timestamp(snap.query("SELECT as_of FROM ops.meta").iloc[0, 0]).to_pydatetime()
        scope = Scope("220204", "")
        week = q.periods(snap, scope, as_of.date(), 7, as_of).set_index("k")
        later = q.periods(snap, scope, as_of.date() - dt.timedelta(days=7), 7, as_of - dt.timedelta(days=7)).set_index("k")
        assert week.loc[1].tolist() == later.loc[0].tolist()
    wh.close()


def _after_the_data(warehouse: Path, days: int) -> dt.date:
    with duckdb.connect(str(served_db(warehouse)), read_only=True) as con:
        return con.execute("SELECT as_of FROM ops.meta").fetchone()[0].date() + dt.timedelta(days=days)


def test_the_command_makes_one_by_hand_and_refuses_an_area_it_does_not_hold(tiny_warehouse, tmp_path):
    out = tmp_path / "out"
    run = lambda *a: subprocess.run([sys.executable, "-m", "cockpit.briefing", "--warehouse", str(tiny_warehouse),
                                     "--out", str(out), *a], cwd=ROOT, capture_output=True, text=True, timeout=300)
    done = run("--area", "220204", "--date", "2026-10-20", "--weekly")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / "220204").iterdir()) == ["weekly-2026-10-20.pdf", "weekly-2026-10-20.png"]
    assert len(_text(out / "220204" / "weekly-2026-10-20.pdf")) == PAGES
    assert "2026年10月13日—10月19日" in _text(out / "220204" / "weekly-2026-10-20.pdf")[0]
    late = run("--area", "220204", "--date", (briefing_day := _after_the_data(tiny_warehouse, 3)).isoformat())
    assert late.returncode == 0, late.stderr
    text = _text(out / "220204" / f"daily-{briefing_day}.pdf")[0]
    assert "数据仅截至" in text and "数据不完整" in text
    for bad in ("220299", "22020", "../220204"):
        refused = run("--area", bad, "--date", "2026-10-20")
        assert refused.returncode == 2, (bad, refused.stderr)
    assert sorted(p.name for p in out.iterdir()) == ["220204"]
