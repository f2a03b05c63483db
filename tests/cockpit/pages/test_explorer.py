"""事件查询 without a browser: filters, pages, sorting and both exports against pandas of our own
on the same warehouse; forged area codes, values and sort columns."""
import base64
import csv
import datetime as dt
import io

import duckdb
import openpyxl
import pandas as pd
import pytest
from dash import no_update

from cockpit.queries import explorer as q
from cockpit.scope import CITY
from tests.cockpit import as_figures, signed_in

HEADERS = ["事件编号", "上报时间", "大类", "小类", "来源", "网格", "社区", "地址", "状态", "时限状态",
           "处置部门", "处置时限", "结案时间", "满意度"]



@pytest.fixture(scope="module")
def page(app):
    from cockpit.pages import explorer  # pages register once the app exists
    return explorer


@pytest.fixture(scope="module")
def data(tiny_db):
    """Events with their names and SLA state, joined in pandas (not through the page's SQL)."""
    con = duckdb.connect(str(tiny_db), read_only=True)
    ev = con.execute("SELECT * FROM core.events").df()
    sla = con.execute("SELECT event_id, sla_state FROM mart.event_sla").df()
    areas = con.execute("SELECT code, name, valid_from, valid_to FROM core.areas").df()
    as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]
    con.close()
    areas["current"] = areas["valid_to"].isna()
    names = (areas.sort_values(["current", "valid_from"], ascending=False, na_position="last")
             .drop_duplicates("code").set_index("code")["name"])
    ev = ev.merge(sla, on="event_id", how="left")
    ev["grid_name"] = ev["grid_code"].map(names)
    ev["community_name"] = ev["community_code"].map(names)
    return ev, as_of


def _select(data, start=None, end=None, prefix="2202", **eq):
    ev, as_of = data
    end = end or as_of.date()
    start = start or end - dt.timedelta(days=29)
    m = (ev["grid_code"].str.startswith(prefix) & (ev["reported_at"] >= pd.Timestamp(start))
         & (ev["reported_at"] < pd.Timestamp(end) + pd.Timedelta(days=1)))
    for col, value in eq.items():
        m &= ev[col] == value
    return ev[m]


def _ordered(frame, column="reported_at", descending=True):
    """Sorted like the page: the column (missing last), then the event id in the same direction."""
    return frame.sort_values([column, "event_id"], ascending=[not descending, not descending],
                             na_position="last", kind="mergesort")


def _view(page, app, *, start=None, end=None, area=None, cls=None, sub=None, source=None,
          status=None, dept=None, page_no=0, sort_by=None):
    """(rows, page count, page shown, count line, chart, empty note's style) of one answer."""
    with signed_in(app):
        out = as_figures(page.table_view(start, end, area, cls, sub, source, status, dept, page_no, sort_by))
    shown, count = (int(n) for n in out["pages"].removeprefix("第 ").removesuffix(" 页").split(" / "))
    assert shown == out["page"]["page"] + 1
    return out["rows"], count, out["page"]["page"], out["count"], out["chart"], out["empty"]


def _total(line: str) -> int:
    return int(line.split("共 ")[1].split(" 条")[0].replace(",", ""))


def test_default_filter_is_last_30_days_and_equals_sql(page, app, data):
    rows, pages, current, line, fig, empty = _view(page, app)
    expected = _ordered(_select(data))
    assert _total(line) == len(expected) > q.PAGE_SIZE
    assert pages == -(-len(expected) // q.PAGE_SIZE) and current == 0
    assert [r["event_id"] for r in rows] == expected["event_id"].head(q.PAGE_SIZE).tolist()
    first = expected.iloc[0]
    assert rows[0]["reported_at"] == f"{first['reported_at']:%Y-%m-%d %H:%M}"
    assert rows[0]["grid_name"] == first["grid_name"] and rows[0]["sla_state"] == first["sla_state"]
    assert list(rows[0]) == list(q.COLUMNS) and "description" not in rows[0]
    assert sum(fig.data[0].y) == len(expected) and len(fig.data[0].x) == 30
    assert empty == {"display": "none"}


def test_filter_change_paging_and_sorting_equal_sql(page, app, data, tiny_db, first_area):
    street = first_area["street"]
    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    expected = _select(data, start, end, street, class_code="01", source="网格员巡查")
    assert 2 * q.PAGE_SIZE < len(expected) < len(_select(data, start, end, street))
    args = dict(start=start.isoformat(), end=end.isoformat(), area=street, cls="01", source="网格员巡查")
    rows, pages, current, line, _fig, _ = _view(page, app, **args)
    assert _total(line) == len(expected) and line.startswith(f"{_street_name(tiny_db, street)} ·")
    # the second page, sorted by grid name ascending
    sort = [{"colId": "reported_at", "sort": None}, {"colId": "grid_name", "sort": "asc", "sortIndex": 0}]
    rows, _, current, _, _, _ = _view(page, app, **args, page_no=1, sort_by=sort)
    want = _ordered(expected, "grid_name", descending=False).iloc[q.PAGE_SIZE:2 * q.PAGE_SIZE]
    assert current == 1
    assert [r["event_id"] for r in rows] == want["event_id"].tolist()
    # a time column descending: closed_at, open events last
    rows, *_ = _view(page, app, **args, sort_by=[{"colId": "closed_at", "sort": "desc"}])
    assert [r["event_id"] for r in rows] == _ordered(expected, "closed_at")["event_id"].head(20).tolist()
    # a page beyond the last is clamped
    _, pages, current, *_ = _view(page, app, **args, page_no=10_000)
    assert current == pages - 1


def test_the_page_asked_for(page):
    """Paging steps from the page shown; a new filter or sort starts at the first page; a column
    resized (its state changes, its sort does not) or a new generation keeps the page."""
    shown = {"page": 3, "sort": ["reported_at", True]}
    same, other = [{"colId": "reported_at", "sort": "desc", "width": 120}], [{"colId": "grid_name", "sort": "asc"}]
    assert page.page_wanted({"explorer-next.n_clicks"}, shown, same) == 4
    assert page.page_wanted({"explorer-prev.n_clicks"}, shown, None) == 2
    assert page.page_wanted({"explorer-table.columnState"}, shown, same) == 3
    # a click sent with the column state the measuring changed meanwhile (the browser found this)
    assert page.page_wanted({"explorer-next.n_clicks", "explorer-table.columnState"}, shown, same) == 4
    assert page.page_wanted({"explorer-table.columnState"}, shown, other) == 0
    assert page.page_wanted({"explorer-area.value"}, shown, same) == 0
    assert page.page_wanted({"explorer-table.columnState", "explorer-class.value"}, shown, same) == 0
    assert page.page_wanted({"_generation.data".replace("_generation", page.ids.GENERATION)}, shown, same) == 3
    for forged in (None, {"page": "9"}, {"page": -4}, {"page": True}, [1]):
        assert page.page_wanted({"explorer-prev.n_clicks"}, forged, None) == 0


def _street_name(tiny_db, code):
    con = duckdb.connect(str(tiny_db), read_only=True)
    try:
        return con.execute("SELECT name FROM core.areas WHERE code = ?", [code]).fetchall()[0][0]
    finally:
        con.close()


def test_every_sortable_column_sorts_like_pandas(app, data):
    from cockpit.context import warehouse
    start = dt.date(2026, 10, 20)
    expected = _select(data, start)
    with signed_in(app):
        f = q.clean_filter(warehouse(), CITY, {"start_day": start.isoformat()})
        for column in q.SORTABLE:
            for descending in (True, False):
                got = q.rows(warehouse(), CITY, f, (column, descending), limit=10_000)
                want = _ordered(expected, column, descending)
                assert got["event_id"].tolist() == want["event_id"].tolist(), (column, descending)


def test_status_and_department_and_subclass_filters(page, app, data):
    expected = _select(data, status="处置中")
    rows, _, _, line, *_ = _view(page, app, status="处置中")
    assert _total(line) == len(expected) and {r["status"] for r in rows} == {"处置中"}
    expected = _select(data, class_code="01", subclass_code="0101", department="环境卫生管理处")
    _, _, _, line, *_ = _view(page, app, cls="01", sub="0101", dept="环境卫生管理处")
    assert _total(line) == len(expected) > 0


def test_forged_area_code_falls_back_to_the_viewer_scope(page, app, data):
    everything = _total(_view(page, app)[3])
    for forged in ("110105", "2202' OR 1=1 --", "99", 42, ["220204"]):
        rows, _, _, line, *_ = _view(page, app, area=forged)
        assert _total(line) == everything == len(_select(data))
        assert line.startswith(f"{CITY.name} ·")


def test_forged_filter_values_are_dropped(page, app, data):
    """Values not in the warehouse mean "any", never SQL; a subclass of another class is dropped."""
    everything = len(_select(data))
    for forged in ("x' OR 1=1 --", "不存在的来源", 7):
        assert _total(_view(page, app, source=forged, status=forged, dept=forged)[3]) == everything
    assert _total(_view(page, app, cls="01", sub="0201")[3]) == len(_select(data, class_code="01"))
    with signed_in(app):
        from cockpit.context import warehouse
        f = q.clean_filter(warehouse(), CITY, {"start_day": "not a date", "end_day": "2026-13-40",
                                                "class_code": "01' --"})
    assert f.class_code is None and f.window.last_day == data[1].date()


def test_forged_sort_column_is_rejected(page, app, data):
    for forged in ("description", "reported_at DESC; DROP TABLE core.events", "lon", ""):
        with pytest.raises(ValueError):
            q.check_sort(forged, True)
    with signed_in(app):
        from cockpit.context import warehouse
        f = q.clean_filter(warehouse(), CITY, {})
        with pytest.raises(ValueError):
            q.rows(warehouse(), CITY, f, ("description", False))
    # the table falls back to the default order (newest first)
    default = [r["event_id"] for r in _view(page, app)[0]]
    forged = _view(page, app, sort_by=[{"colId": "description", "sort": "asc"}])[0]
    assert [r["event_id"] for r in forged] == default


def test_no_match_renders_an_empty_state(page, app):
    rows, pages, current, line, fig, empty = _view(page, app, start="2001-01-01", end="2001-01-31")
    assert rows == [] and pages == 1 and current == 0 and _total(line) == 0
    assert empty == {"display": "block"}
    assert any(a.text == "无数据" for a in fig.layout.annotations)


def _export(page, app, fmt, **kw):
    args = [kw.get(k) for k in ("start", "end", "area", "cls", "sub", "source", "status", "dept")]
    with signed_in(app):
        return page.export_file(fmt, *args, kw.get("sort_by"))


def test_csv_and_xlsx_exports_hold_exactly_the_filtered_rows(page, app, data):
    kw = dict(start="2026-05-01", end="2026-09-30", source="12345热线",
              sort_by=[{"colId": "department", "sort": "asc"}])
    expected = _ordered(_select(data, dt.date(2026, 5, 1), dt.date(2026, 9, 30), source="12345热线"),
                        "department", descending=False)
    assert len(expected) > 500

    download, note = _export(page, app, "csv", **kw)
    assert note == f"已导出 {len(expected):,} 条" and download["filename"].endswith(".csv")
    raw = base64.b64decode(download["content"])
    assert raw.startswith(b"\xef\xbb\xbf")              # BOM: Excel opens it as UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == HEADERS
    body = table[1:]
    assert [r[0] for r in body] == expected["event_id"].tolist()
    assert [r[1] for r in body] == [f"{t:%Y-%m-%d %H:%M}" for t in expected["reported_at"]]
    assert [r[10] for r in body] == expected["department"].fillna("").tolist()
    assert [r[12] for r in body] == [f"{t:%Y-%m-%d %H:%M}" if pd.notna(t) else ""
                                     for t in expected["closed_at"]]

    download, note = _export(page, app, "xlsx", **kw)
    assert download["filename"].endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"])), read_only=True)
    sheet = list(wb.active.iter_rows(values_only=True, max_col=len(HEADERS)))
    assert list(sheet[0]) == HEADERS
    assert [r[0] for r in sheet[1:]] == expected["event_id"].tolist()
    assert [r[1] for r in sheet[1:]] == [t.to_pydatetime() for t in expected["reported_at"]]
    assert [r[13] for r in sheet[1:]] == [s if isinstance(s, str) else None for s in expected["satisfaction"]]


def test_export_is_capped_with_a_message(page, app, monkeypatch, data):
    monkeypatch.setattr(q, "EXPORT_CAP", 100)
    download, note = _export(page, app, "csv")
    assert download is no_update
    assert f"{len(_select(data)):,} 条" in note and "超过导出上限 100 条" in note
    monkeypatch.setattr(q, "EXPORT_CAP", 10_000)
    monkeypatch.setattr(q, "XLSX_CAP", 100)
    download, note = _export(page, app, "xlsx")
    assert download is no_update and "超过 Excel 导出上限 100 条" in note
    download, note = _export(page, app, "csv")
    assert note == f"已导出 {len(_select(data)):,} 条"
    download, note = _export(page, app, "xlsx", start="2001-01-01", end="2001-01-02")
    assert download is no_update and note.startswith("无数据")


def test_query_text_is_scrubbed_but_keys_and_codes_are_not():
    """run() scrubs every text column (warehouse/personal.py) except keys: a 15-digit grid code
    has the form of a first-generation ID number and must reach the page as it is."""
    import pandas as pd

    from cockpit.queries import scrub_frame
    frame = pd.DataFrame({"address": ["幸福社区 联系人 139 1234 5678", None], "grid_code": ["220204001001001"] * 2,
                          "event_id": ["SJ220204001202610270019"] * 2, "name": ["身份证 220204 19800101 1232", "x"],
                          "n": [1, 2]})
    out = scrub_frame(frame.copy())
    assert out["address"].iloc[0] == "幸福社区 联系人 139****5678" and pd.isna(out["address"].iloc[1])
    assert out["name"].iloc[0] == "身份证 220204************"
    assert (out["grid_code"] == frame["grid_code"]).all() and (out["event_id"] == frame["event_id"]).all()


def test_forged_date_range_is_clamped(app):
    """Centuries asked for would make a row per day: dates keep to ten years before the as-of day."""
    with signed_in(app):
        from cockpit.context import warehouse
        end = q.as_of_day(warehouse())
        f = q.clean_filter(warehouse(), CITY, {"start_day": "1200-01-01", "end_day": "9999-12-31"})
    assert f.window.first_day == end - dt.timedelta(days=3660) and f.window.last_day == end
