"""手机版 (/m): what a leader or a grid worker checks on a phone. The area's counters, the early-
warning incidents going on (from the warning tables the ETL writes), the open items past their
deadline, and one tap from an incident to its course. Laid out for a 390-px-wide screen: one
column, no horizontal scrolling, touch targets of at least 44 px, text of at least 14 px
(assets/mobile.css; the frame's header and navigation step aside as on the big screen).

The incident to show comes from the URL (`/m?incident=…`), a request like any other: only an
incident of the viewer's own jurisdiction is drawn."""
from __future__ import annotations

from urllib.parse import quote

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from cockpit import ids
from cockpit.cache import view
from cockpit.components.graph import graph
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import mobile as fig
from cockpit.figures.warning import day, fmt, subject
from cockpit.layout import as_of_stamp
from cockpit.pages.screen import WINDOW_DAYS, deadline_text
from cockpit.queries import screen as screen_q, warning as warning_q
from cockpit.queries.meta import generation
from cockpit.scope import Scope

dash.register_page(__name__, path="/m", name="手机版", title="网格治理数字驾驶舱 · 手机版", order=90)

M_INCIDENT = "m-incident"          # the incident the URL asks for (a request, checked on the server)
M_SCOPE = "m-scope"
M_AS_OF = "m-as-of"
M_COUNTERS = "m-counters"
M_INCIDENTS = "m-incidents"
M_COURSE = "m-course"
M_COURSE_BOX = "m-course-box"
M_COURSE_TITLE = "m-course-title"
M_FACTS = "m-facts"
M_OVERDUE = "m-overdue"
M_SCROLLED = "m-scrolled"

OVERDUE_ROWS = 20
ONGOING = "进行中"


def href(path: str) -> str:
    """A path of this app, under whatever prefix it is served (never a hard-coded absolute URL)."""
    return dash.get_relative_path(path)


def layout(incident=None, **_query):
    asked = incident if isinstance(incident, str) and len(incident) < 100 else None
    return html.Div([
        dcc.Store(id=M_INCIDENT, data=asked), dcc.Store(id=M_SCROLLED),
        html.Header([html.Div(id=M_SCOPE, className="m-scope"), html.Div(id=M_AS_OF, className="m-as-of")],
                    className="m-head"),
        html.Div(id=M_COUNTERS, className="m-counters"),
        html.Section([
            html.Div([html.H2(id=M_COURSE_TITLE), dcc.Link("返回", href=href("/m"), className="m-back")],
                     className="m-section-head"),
            graph(M_COURSE, "预警事件过程", class_name="m-course"),
            html.Div(id=M_FACTS, className="m-facts"),
        ], id=M_COURSE_BOX, className="m-section", hidden=asked is None),
        html.Section([html.H2("进行中的预警事件"), html.Div(id=M_INCIDENTS)], className="m-section"),
        html.Section([html.H2("超期在办（本辖区）"), html.Div(id=M_OVERDUE)], className="m-section"),
        html.Footer([html.A("电脑版", href=href("/"), className="m-link"),
                     html.A("退出", href=href("/logout"), className="m-link")], className="m-foot"),
    ], className="mobile")


@callback(
    Output(M_SCOPE, "children"), Output(M_AS_OF, "children"), Output(M_COUNTERS, "children"),
    Output(M_INCIDENTS, "children"), Output(M_OVERDUE, "children"),
    Input(ids.GENERATION, "data"),
)
def refresh_mobile(_generation):
    return mobile_view(warehouse(), viewer_scope())


@callback(
    Output(M_COURSE, "figure"), Output(M_COURSE_TITLE, "children"), Output(M_FACTS, "children"),
    Output(M_COURSE_BOX, "hidden"),
    Input(M_INCIDENT, "data"), Input(ids.GENERATION, "data"),
)
def refresh_course(incident_id, _generation):
    return course_view(warehouse(), viewer_scope(), incident_id)


def _counter(label: str, value: str, unit: str, alarm: bool = False) -> html.Div:
    return html.Div([html.Div(label, className="m-counter-label"),
                     html.Div([html.Span(value, className="m-counter-value"),
                               html.Span(unit, className="m-counter-unit")])],
                    className="m-counter" + (" is-alarm" if alarm else ""))


def ongoing_incidents(wh: Snapshot, scope: Scope) -> pd.DataFrame | None:
    """The jurisdiction's incidents still going on, or None when this generation has no warnings."""
    if not warning_q.available(wh, scope):
        return None
    incidents = warning_q.incidents(wh, scope)
    return incidents[incidents["status"] == ONGOING]


@view
def mobile_view(wh: Snapshot, scope: Scope) -> tuple:
    n, work = screen_q.counters(wh, scope, WINDOW_DAYS), screen_q.workload(wh, scope)
    incidents = ongoing_incidents(wh, scope)
    rate = "—" if n["closure_rate"] is None else f"{n['closure_rate']:.1f}"
    counters = [
        _counter("在办事件", f"{work['open']:,}", "件"),
        _counter("超期在办", f"{work['overdue_open']:,}", "件", alarm=work["overdue_open"] > 0),
        _counter("今日上报", f"{work['reported_today']:,}", "件"),
        _counter("今日结案", f"{work['closed_today']:,}", "件"),
        _counter(f"近{WINDOW_DAYS}日结案率", rate, "%"),
        _counter("进行中预警", "—" if incidents is None else f"{len(incidents):,}", "起",
                 alarm=incidents is not None and len(incidents) > 0),
    ]
    return (f"辖区：{scope.name}", as_of_stamp(generation(wh)["as_of"]), counters,
            _incident_cards(incidents), _overdue_rows(screen_q.open_items(wh, scope, OVERDUE_ROWS, True)))


def _incident_cards(incidents: pd.DataFrame | None) -> list:
    if incidents is None:
        return [html.Div("本数据版本没有预警结果", className="empty-note")]
    if incidents.empty:
        return [html.Div("本辖区当前没有进行中的预警事件", className="empty-note")]
    return [dcc.Link([html.Div(f"{r.kind_name} · {subject(r.subject)}", className="m-card-title"),
                      html.Div(f"{r.area_name} · {day(r.first_day)} 起 · 在办 {fmt(r.open)} 件",
                               className="m-card-line")],
                     href=href("/m") + "?incident=" + quote(str(r.incident_id)), className="m-card")
            for r in incidents.itertuples()]


def _overdue_rows(items: pd.DataFrame) -> list:
    if items.empty:
        return [html.Div("本辖区当前无超期在办事件", className="empty-note")]
    return [html.Div([html.Div([html.Span(r.subclass_name, className="m-item-what"),
                                html.Span(deadline_text(r.minutes_to_deadline), className="m-item-late")],
                               className="m-item-top"),
                      html.Div(f"{r.grid_name or '—'} · {r.department or '待派遣'} · "
                               f"{r.reported_at:%m-%d} 上报", className="m-item-line")],
                     className="m-item") for r in items.itertuples()]


@view
def course_view(wh: Snapshot, scope: Scope, incident_id) -> tuple:
    if not isinstance(incident_id, str) or not warning_q.available(wh, scope):
        return fig.no_course(), "", [], True
    incidents = warning_q.incidents(wh, scope)
    hit = incidents[incidents["incident_id"] == incident_id]
    if hit.empty:                       # not an incident of this jurisdiction: nothing shown
        return fig.no_course(), "该事件不在本辖区", [], False
    row = hit.iloc[0]
    days = warning_q.incident_days(wh, scope, incident_id)
    facts = [("状态", row["status"]),
             ("起止", f"{day(row['first_day'])} 至 {day(row['last_day'])}"),
             *([("少于基线", f"{fmt(-row['excess'], 1)} 件"),
                ("最低", f"基线的 {fmt(row['peak_ratio'], 2)} 倍")] if row["kind"] == "drop" else
               [("超出基线", f"{fmt(row['excess'], 1)} 件"),
                ("峰值", f"基线的 {fmt(row['peak_ratio'], 1)} 倍")]),
             ("在办 / 超期", f"{fmt(row['open'])} / {fmt(row['overdue'])} 件")]
    return (fig.course(days, row["first_day"], row["last_day"]),
            f"{row['kind_name']} · {subject(row['subject'])} · {row['area_name']}",
            [html.Div([html.Span(k, className="m-fact-label"), html.Span(v, className="m-fact-value")],
                      className="m-fact") for k, v in facts],
            False)


clientside_callback(ClientsideFunction(namespace="cockpit", function_name="showCourse"),
                    Output(M_SCROLLED, "data"), Input(M_COURSE_TITLE, "children"))


# computed for each signed-in jurisdiction as soon as a generation is served (cockpit/ops/warm.py)
WARMED = (mobile_view,)
