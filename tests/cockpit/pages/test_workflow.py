"""流转时效 callbacks without a browser, against pandas of their own on the tiny warehouse."""
import math

import pandas as pd
import pytest

from cockpit.scope import CITY, Scope
from tests.cockpit import CITY_ADMIN, as_figures, signed_in

STAGES = [("reported_at", "accepted_at"), ("accepted_at", "dispatched_at"),
          ("dispatched_at", "handled_at"), ("handled_at", "verified_at"), ("verified_at", "closed_at")]
COUNTERS = ("accepted", "due", "closure", "on_time", "rework", "extension")     # the page's counters, in order



def _month_bounds(start: str, end: str):
    lo = pd.Timestamp(start)
    hi = pd.Timestamp(end) + pd.offsets.MonthBegin(1)
    return lo, hi


def _kpis(ev, as_of, lo, hi, key) -> pd.DataFrame:
    """GB/T 30428 KPIs per key, recomputed in pandas from events."""
    acc = ev[ev["accepted_at"].notna()]
    due = acc[(acc["deadline"] <= as_of) & (acc["deadline"] >= lo) & (acc["deadline"] < hi)]
    g = due.groupby(key(due))
    out = pd.DataFrame({
        "due": g.size(),
        "closed": g["closed_at"].apply(lambda s: s.notna().sum()),
        "closed_on_time": g.apply(lambda d: (d["closed_at"].notna() & (d["handled_at"] <= d["deadline"])).sum()),
        "reworked": g["rework_count"].apply(lambda s: (s > 0).sum()),
        "extended": g["extension_count"].apply(lambda s: (s > 0).sum()),
    })
    opened = acc[(acc["accepted_at"] >= lo) & (acc["accepted_at"] < hi)]
    out = out.join(opened.groupby(key(opened)).size().rename("accepted"), how="outer").fillna(0)
    for col, part in (("closure_rate", "closed"), ("on_time_rate", "closed_on_time"),
                      ("rework_rate", "reworked"), ("extension_rate", "extended")):
        out[col] = out[part] / out["due"].where(out["due"] > 0)
    out["score"] = 100 * (0.4 * out["on_time_rate"] + 0.3 * out["closure_rate"]
                          + 0.15 * (1 - out["rework_rate"]) + 0.15 * (1 - out["extension_rate"]))
    return out


def _check_table(records, expected: pd.DataFrame):
    got = pd.DataFrame(records).set_index("code")
    assert set(got.index) == set(expected.index)
    for col in ("accepted", "due", "closed", "closed_on_time", "reworked", "extended"):
        assert (got[col].astype(int) == expected.loc[got.index, col].astype(int)).all(), col
    for col in ("closure_rate", "on_time_rate", "rework_rate", "extension_rate", "score"):
        for code in got.index:
            g, e = got.at[code, col], expected.at[code, col]
            assert (g is None and pd.isna(e)) or g == pytest.approx(e, rel=1e-9), (col, code)
    # ranks: by score, best first, equal scores share a place
    scored = [r for r in records if r["score"] is not None]
    assert [r["rank"] for r in scored] == sorted(r["rank"] for r in scored)    # listed in rank order
    for r in records:
        if r["score"] is None:
            assert r["rank"] is None
        else:
            assert r["rank"] == 1 + sum(o["score"] > r["score"] for o in scored)


def _stage_expected(ev, as_of, lo, hi, department=None):
    closed = ev[(ev["closed_at"] >= lo) & (ev["closed_at"] < hi) & (ev["closed_at"] <= as_of)]
    if department:
        closed = closed[closed["department"] == department]
    hours = [(closed[b] - closed[a]).dt.total_seconds() / 3600 for a, b in STAGES]
    return [h.median() for h in hours], [h.quantile(0.9) for h in hours], len(closed)


def _counters_expected(ev, as_of, lo, hi, prefix):
    k = _kpis(ev[ev["grid_code"].str.startswith(prefix)], as_of, lo, hi, lambda d: d["district_code"]).sum()
    def pct(a, b):
        return f"{100 * a / b:.2f}"
    return (f"{int(k['accepted']):,}", f"{int(k['due']):,}", pct(k["closed"], k["due"]),
            pct(k["closed_on_time"], k["due"]), pct(k["reworked"], k["due"]), pct(k["extended"], k["due"]))


def test_default_view_equals_pandas(app, data):
    from cockpit.pages.workflow import refresh_workflow
    ev, as_of = data["events"], data["as_of"]
    latest = as_of.to_period("M").to_timestamp().date().isoformat()
    lo, hi = _month_bounds(latest, latest)
    with signed_in(app):
        out = as_figures(refresh_workflow(CITY.code, None, None, "community", None, "score", 0))
    period, counters = out["period"], [out[k] for k in COUNTERS]
    assert "2026年10月" in period
    assert tuple(counters) == _counters_expected(ev, as_of, lo, hi, CITY.code)
    med, p90, n = _stage_expected(ev, as_of, lo, hi)
    stages = out["stages"]
    assert n > 1000
    assert list(stages.data[0].y) == pytest.approx(med, rel=1e-9)
    assert list(stages.data[1].y) == pytest.approx(p90, rel=1e-9)
    _check_table(out["area_table"], _kpis(ev, as_of, lo, hi, lambda d: d["community_code"]))
    _check_table(out["department_table"], _kpis(ev, as_of, lo, hi, lambda d: d["department"].fillna("未指派")))
    # the department table adds up to the jurisdiction's totals (mart vs events, same formulas)
    assert sum(r["due"] for r in out["department_table"]) == int(counters[1].replace(",", ""))
    # bar chart: the ranking metric, best first
    bars = out["area_bars"].data[0]
    assert list(bars.x) == pytest.approx(sorted(bars.x, reverse=True))


def test_filter_change_equals_pandas(app, data):
    from cockpit.pages.workflow import refresh_workflow
    ev, as_of = data["events"], data["as_of"]
    street = data["streets"][0]
    scoped = ev[ev["grid_code"].str.startswith(street)]
    lo, hi = _month_bounds("2026-01-01", "2026-03-01")
    dept = "热力集团"
    with signed_in(app):
        # months given in reverse order are swapped
        out = as_figures(refresh_workflow(street, "2026-03-01", "2026-01-01", "grid", dept, "on_time_rate", 0))
    assert "2026年01月至2026年03月" in out["period"]
    assert tuple(out[k] for k in COUNTERS) == _counters_expected(ev, as_of, lo, hi, street)
    med, p90, n = _stage_expected(scoped, as_of, lo, hi, dept)
    assert 0 < n < 1000
    assert list(out["stages"].data[0].y) == pytest.approx(med, rel=1e-9)
    assert list(out["stages"].data[1].y) == pytest.approx(p90, rel=1e-9)
    expected = _kpis(scoped, as_of, lo, hi, lambda d: d["grid_code"])
    _check_table(out["area_table"], expected)
    assert all(r["code"].startswith(street) and len(r["code"]) == 15 for r in out["area_table"])
    _check_table(out["department_table"], _kpis(scoped, as_of, lo, hi, lambda d: d["department"].fillna("未指派")))
    bars = out["area_bars"].data[0]
    top = expected.dropna(subset=["on_time_rate"]).sort_values("on_time_rate", ascending=False)
    assert bars.x[0] == pytest.approx(100 * top["on_time_rate"].iloc[0])


def test_forged_values_fall_back(app, data, monkeypatch):
    """A code outside the viewer's scope, an unknown level, department, month or metric: ignored."""
    from cockpit.pages import workflow as page
    mine, other = data["streets"][0], data["streets"][1]
    monkeypatch.setattr(page, "viewer_scope", lambda: Scope(mine, "本街道"))
    with signed_in(app):
        forged = as_figures(page.refresh_workflow(other, "2099-01-01", "x", "district' --", "x' OR 1=1", "evil", 0))
        plain = as_figures(page.refresh_workflow(mine, None, None, "community", None, "score", 0))
        mine_rows = _overdue(mine, None, 0, 10)
        forged_rows = _overdue(other, "nope", 0, 10)
    assert [forged[k] for k in COUNTERS] == [plain[k] for k in COUNTERS]
    assert forged["area_table"] == plain["area_table"] and forged["department_table"] == plain["department_table"]
    assert all(r["code"].startswith(mine) for r in forged["area_table"])
    assert forged_rows[0] == mine_rows[0] and forged_rows[1] == mine_rows[1]
    ev = data["events"]
    in_mine = set(ev.loc[ev["grid_code"].str.startswith(mine), "event_id"])
    assert {r["event_id"] for r in forged_rows[0]} <= in_mine


def _overdue(area, department, page_no, size):
    """(rows, pages, page shown, note) of the overdue list: the view behind overdue_page."""
    from cockpit.pages import workflow as page
    return page.overdue_view(page.warehouse(), page.viewer_scope(), area, department, page_no, size)


def _overdue_expected(ev, as_of, prefix, department=None):
    od = ev[ev["handled_at"].isna() & (ev["deadline"] < as_of) & (ev["status"] != "不予立案")
            & ev["grid_code"].str.startswith(prefix)]
    if department:
        od = od[od["department"] == department]
    return od.sort_values(["deadline", "event_id"])


def test_overdue_paging(app, data):
    from cockpit.pages.workflow import OVERDUE_PAGE_SIZE, overdue_page
    assert OVERDUE_PAGE_SIZE == 10
    ev, as_of = data["events"], data["as_of"]
    expected = _overdue_expected(ev, as_of, CITY.code)
    assert len(expected) > 25
    pages = math.ceil(len(expected) / 10)
    with signed_in(app):
        first = _overdue(CITY.code, None, 0, 10)
        second = _overdue(CITY.code, None, 1, 10)
        last = _overdue(CITY.code, None, pages - 1, 10)
        beyond = _overdue(CITY.code, None, pages + 5, 10)
        # the callback: the page the browser shows (outside Dash no pager button fired), clamped
        asked = overdue_page(CITY.code, None, 0, 0, 0, 1)
        forged = overdue_page(CITY.code, None, 0, 0, 0, "1; --")
    assert asked["page"] == 1 and asked["rows"] == second[0] and asked["pages"] == f"第 2 / {pages} 页"
    assert forged["page"] == 0 and forged["rows"] == first[0]
    assert first[1] == pages and f"共 {len(expected):,} 件" in first[3]
    assert [r["event_id"] for r in first[0]] == list(expected["event_id"][:10])
    assert [r["event_id"] for r in second[0]] == list(expected["event_id"][10:20])
    assert second[2] == 1
    assert [r["event_id"] for r in last[0]] == list(expected["event_id"][(pages - 1) * 10:])
    assert beyond[2] == pages - 1 and beyond[0] == last[0]
    row, exp = second[0][0], expected.iloc[10]
    assert row["hours_overdue"] == round((as_of - exp["deadline"]).total_seconds() / 3600, 1)
    assert row["deadline"] == f"{exp['deadline']:%Y-%m-%d %H:%M}"
    assert row["department"] == exp["department"]
    # no personal or free-text data leaves the server
    assert set(row) == {"event_id", "class_name", "subclass_name", "grid_name", "community_name",
                        "department", "deadline", "hours_overdue"}
    # department filter
    dept = expected["department"].value_counts().index[0]
    with signed_in(app):
        d = _overdue(CITY.code, dept, 0, 100)
    assert [r["event_id"] for r in d[0]] == list(_overdue_expected(ev, as_of, CITY.code, dept)["event_id"])


def test_empty_period_says_no_data(app, data, monkeypatch):
    """A scope with no case at all renders 无数据, not an error."""
    from cockpit.pages import workflow as page
    monkeypatch.setattr(page, "viewer_scope", lambda: Scope("220299", "无事件区"))
    with signed_in(app):
        out = as_figures(page.refresh_workflow("220299", None, None, "community", None, "score", 0))
        rows = _overdue("220299", None, 0, 10)
    assert out["period"] == "无数据" and out["area_table"] == [] and out["department_table"] == []
    assert "无数据" in out["stages"].layout.annotations[0].text
    assert rows[0] == [] and rows[1] == 1 and "无数据" in rows[3]


def test_the_ranking_opens_one_level_below_the_area(app, data):
    """A city account's ranking starts with its districts, a street's with its communities (the
    city's 1,764 communities were half a megabyte before anyone asked for them)."""
    from cockpit.accounts import Account
    from cockpit.pages import workflow as page
    street = data["streets"][0]
    with signed_in(app):
        city = as_figures(page.refresh_workflow(CITY.code, None, None, None, None, "score", 0))
    assert city["area_table"] and {len(r["code"]) for r in city["area_table"]} == {6}
    for account, level in ((CITY_ADMIN, "district"), (Account("T-ST", "街道管理员", street), "community")):
        with signed_in(app, account, "/workflow"):
            radio = next(c for c in _walk(page.layout()) if getattr(c, "id", None) == page.WORKFLOW_LEVEL)
        assert radio.value == level


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "children") or hasattr(child, "id"):
            yield from _walk(child)
