"""事中研判 callbacks without a browser, against pandas of their own on the tiny warehouse."""
import numpy as np
import pandas as pd
import pytest

from cockpit.scope import CITY, Scope
from tests.cockpit import as_figures, signed_in

AGE_EDGES_H = [0, 4, 24, 72, 168, 720, np.inf]



def _expected(ev, as_of, prefix, class_code=None, days=30):
    ev = ev[ev["grid_code"].str.startswith(prefix)]
    if class_code:
        ev = ev[ev["class_code"] == class_code]
    start = as_of.normalize() - pd.Timedelta(days=days - 1)
    open_ = ev[ev["closed_at"].isna() & (ev["status"] != "不予立案")]
    on_clock = open_[open_["deadline"].notna() & open_["handled_at"].isna()]
    to_deadline = on_clock["deadline"] - as_of
    clock = [int((to_deadline < pd.Timedelta(0)).sum()),
             int(((to_deadline >= pd.Timedelta(0)) & (to_deadline <= pd.Timedelta(hours=4))).sum()),
             int(((to_deadline > pd.Timedelta(hours=4)) & (to_deadline <= pd.Timedelta(hours=24))).sum()),
             int((to_deadline > pd.Timedelta(hours=24)).sum())]
    age_h = (as_of - open_["reported_at"]).dt.total_seconds() / 3600
    age = pd.cut(age_h, AGE_EDGES_H, right=False).value_counts(sort=False).astype(int).tolist()
    days_idx = pd.date_range(start, as_of.normalize(), freq="D")
    reported = ev[(ev["reported_at"] >= start) & (ev["reported_at"] <= as_of)]
    closed = ev[(ev["closed_at"] >= start) & (ev["closed_at"] <= as_of)]
    disp = ev[(ev["accepted_at"] >= start) & (ev["dispatched_at"] <= as_of)].copy()
    disp["minutes"] = (disp["dispatched_at"] - disp["accepted_at"]).dt.total_seconds() / 60
    disp["day"] = disp["accepted_at"].dt.normalize()
    by_day = disp.groupby("day")["minutes"]
    disp["department"] = disp["department"].fillna("未指派")
    by_dept = disp.groupby("department")["minutes"]
    return {
        "open": len(open_),
        "overdue": int((open_["handled_at"].isna() & (open_["deadline"] < as_of)).sum()),
        "clock": clock, "age": age,
        "reported": reported["reported_at"].dt.normalize().value_counts().reindex(days_idx, fill_value=0).tolist(),
        "closed": closed["closed_at"].dt.normalize().value_counts().reindex(days_idx, fill_value=0).tolist(),
        "disp_median": by_day.median().reindex(days_idx).tolist(),
        "disp_p90": by_day.quantile(0.9).reindex(days_idx).tolist(),
        "dept_median": by_dept.median(), "dept_p90": by_dept.quantile(0.9), "dept_n": by_dept.size(),
        "days": days_idx,
    }


COUNTERS = ("open", "overdue", "due_soon", "reported", "closed")
FIGURES = ("flow", "dispatch_daily", "age", "sla", "dispatch_departments")


def _check(out, exp):
    opened, overdue, due_soon, reported, closed, flow, disp_daily, age, sla, depts = (out[k] for k in COUNTERS + FIGURES)
    assert opened == f"{exp['open']:,}" and overdue == f"{exp['overdue']:,}"
    assert due_soon == f"{exp['clock'][1]:,}"
    assert reported == f"{sum(exp['reported']):,}" and closed == f"{sum(exp['closed']):,}"
    assert list(sla.data[0].y) == exp["clock"] and list(sla.data[0].x)[0] == "已超期"
    assert exp["clock"][0] == exp["overdue"]          # 已超期 is the overdue counter
    assert list(age.data[0].y) == exp["age"] and sum(exp["age"]) == exp["open"]
    assert [pd.Timestamp(x) for x in flow.data[1].x] == list(exp["days"])
    assert list(flow.data[1].y) == exp["reported"] and list(flow.data[2].y) == exp["closed"]
    assert list(disp_daily.data[0].y) == pytest.approx(exp["disp_median"], rel=1e-9, nan_ok=True)
    assert list(disp_daily.data[1].y) == pytest.approx(exp["disp_p90"], rel=1e-9, nan_ok=True)
    got = pd.DataFrame({"median": depts.data[0].x, "p90": depts.data[1].x}, index=list(depts.data[0].y))
    assert set(got.index) == set(exp["dept_n"].index)
    assert list(got["median"]) == pytest.approx(list(exp["dept_median"][got.index]), rel=1e-9)
    assert list(got["p90"]) == pytest.approx(list(exp["dept_p90"][got.index]), rel=1e-9)
    assert list(got["p90"]) == sorted(got["p90"], reverse=True)      # slowest first


def test_whole_scope_equals_pandas(app, data):
    from cockpit.pages.incident import refresh_incident
    exp = _expected(data["events"], data["as_of"], CITY.code)
    assert exp["open"] > 100 and exp["overdue"] > 50
    with signed_in(app):
        out = as_figures(refresh_incident(CITY.code, None, 0))
    _check(out, exp)


def test_filter_change_equals_pandas(app, data):
    from cockpit.pages.incident import refresh_incident
    street = data["streets"][1]
    exp = _expected(data["events"], data["as_of"], street, "01")
    with signed_in(app):
        out = as_figures(refresh_incident(street, "01", 0))
    _check(out, exp)
    assert exp["open"] < _expected(data["events"], data["as_of"], CITY.code)["open"]


def test_forged_values_fall_back(app, data, monkeypatch):
    from cockpit.pages import incident as page
    mine, other = data["streets"][0], data["streets"][1]
    monkeypatch.setattr(page, "viewer_scope", lambda: Scope(mine, "本街道"))
    with signed_in(app):
        forged = as_figures(page.refresh_incident(other, "01' OR '1'='1", 0))
        plain = as_figures(page.refresh_incident(mine, None, 0))
        options = page.filter_options(0, other)
    assert [forged[k] for k in COUNTERS] == [plain[k] for k in COUNTERS]
    _check(forged, _expected(data["events"], data["as_of"], mine))
    assert options[1] == mine and all(o["value"].startswith(mine) for o in options[0])


def test_empty_selection_and_placeholders(app, data):
    """A filter matching nothing shows 无数据; the early-warning panels are declared, filled by
    their own callback (tests/cockpit/pages/test_warning.py), and faked nowhere in the layout."""
    from cockpit.pages import incident as page
    ev = data["events"]
    present = set(ev.groupby(["grid_code", "class_code"]).size().index)
    grid, cls = next((g, k) for g in sorted(ev["grid_code"].unique())
                     for k in sorted(ev["class_code"].unique()) if (g, k) not in present)
    with signed_in(app):
        out = as_figures(page.refresh_incident(grid, cls, 0))
        layout = page.layout()
    assert [out[k] for k in COUNTERS] == ["0"] * 5
    for f in (out[k] for k in FIGURES):
        assert "无数据" in f.layout.annotations[0].text
    text = str(layout)
    for panel_id in (page.INCIDENT_EARLY_WARNING, page.INCIDENT_REVIEW):
        assert panel_id in text
    assert page.NOT_CONNECTED not in text
