"""事中研判: the open backlog and its age, inflow against closures over the last 30 days, open
cases against the SLA clock and dispatch delay, for an area and an event class; two panels
from the early-warning module (事前预警: the active alerts and their reasons; 事后评估: the latest
ended incident's after-analysis), each linking to 预警研判 (/warning)."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from cockpit import ids
from cockpit.cache import view
from cockpit.components.counter import counter, panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.context import layout_area, viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import incident as fig
from cockpit.figures.warning import review_line
from cockpit.options import area_options
from cockpit.queries import incident as q, warning as wq
from cockpit.scope import Scope

dash.register_page(__name__, path="/incident", name="事中研判", title="网格治理数字驾驶舱 · 事中研判",
                   order=4)

INCIDENT_AREA = "incident-area"
INCIDENT_CLASS = "incident-class"
INCIDENT_OPEN = "incident-open"
INCIDENT_OVERDUE = "incident-overdue"
INCIDENT_DUE_SOON = "incident-due-soon"
INCIDENT_REPORTED = "incident-reported"
INCIDENT_CLOSED = "incident-closed"
INCIDENT_FLOW = "incident-flow"
INCIDENT_AGE = "incident-age"
INCIDENT_SLA = "incident-sla"
INCIDENT_DISPATCH_DAILY = "incident-dispatch-daily"
INCIDENT_DISPATCH_DEPTS = "incident-dispatch-depts"
INCIDENT_EARLY_WARNING = "incident-early-warning"     # 事前预警: from the early-warning module
INCIDENT_REVIEW = "incident-review"                   # 事后评估: likewise

DAYS = 30
NOT_CONNECTED = "预警模块未接入"
TOP_REASONS = 5
WARNING_PAGE = "/warning"


def _warning_panel(title: str, panel_id: str) -> html.Div:
    """A panel the early-warning summary fills (refresh_warning_summary)."""
    return panel(title, html.Div("—", id=panel_id, className="incident-warning"))


def _not_connected(what: str) -> html.Div:
    """An honest empty panel when the served generation has no warning tables: nothing faked."""
    return html.Div([html.Div(NOT_CONNECTED, className="incident-placeholder-title"),
                     html.Div(what, className="incident-placeholder-detail")],
                    className="incident-placeholder")


def layout(**_query):
    return html.Div([
        html.Div([
            labelled("辖区", dcc.Dropdown(id=INCIDENT_AREA, value=layout_area(), clearable=False,
                                       className="incident-dropdown incident-area")),
            labelled("事件大类", dcc.Dropdown(id=INCIDENT_CLASS, placeholder="全部大类",
                                         className="incident-dropdown")),
        ], className="filters incident-filters"),
        html.Div([
            counter("在办事件", INCIDENT_OPEN, "件"),
            counter("其中已超期", INCIDENT_OVERDUE, "件"),
            counter("4小时内到期", INCIDENT_DUE_SOON, "件"),
            counter(f"近{DAYS}日上报", INCIDENT_REPORTED, "件"),
            counter(f"近{DAYS}日结案", INCIDENT_CLOSED, "件"),
        ], className="counter-row"),
        html.Div([
            panel(f"上报与结案（近{DAYS}日，每日）", graph(INCIDENT_FLOW, "上报与结案")),
            panel(f"派遣时长（立案→派遣，近{DAYS}日按立案日，分钟）",
                  graph(INCIDENT_DISPATCH_DAILY, "派遣时长")),
        ], className="grid-2"),
        html.Div([
            panel("在办积压时长分布（自上报起）", graph(INCIDENT_AGE, "在办积压时长")),
            panel("时限倒计时（已立案、未处置完毕）", graph(INCIDENT_SLA, "时限倒计时")),
            panel(f"各部门派遣时长（近{DAYS}日，分钟）",
                  html.Div(graph(INCIDENT_DISPATCH_DEPTS, "各部门派遣时长", class_name="incident-tall"),
                           className="incident-scroll")),
        ], className="grid-3"),
        html.Div([
            _warning_panel("事前预警", INCIDENT_EARLY_WARNING),
            _warning_panel("事后评估", INCIDENT_REVIEW),
        ], className="grid-2"),
        html.Div("时间均为自然时长；处置时限按工作时间计算。数据时点为最新事件时间，而非当前时钟。",
                 className="incident-note"),
    ], className="incident-page")


@callback(Output(INCIDENT_AREA, "options"), Output(INCIDENT_AREA, "value"),
          Output(INCIDENT_CLASS, "options"),
          Input(ids.GENERATION, "data"), State(INCIDENT_AREA, "value"))
def filter_options(_generation, area):
    """Choices from the served generation; the area keeps its value unless it left the scope."""
    scope = viewer_scope()
    choices, classes = choices_view(warehouse(), scope)
    value = area if area in {o["value"] for o in choices} else scope.code
    return choices, no_update if value == area else value, classes


@view
def choices_view(wh: Snapshot, scope: Scope) -> tuple:
    """Areas and event classes to choose from: once per generation and scope."""
    return (area_options(wh, scope),
            [{"label": r.class_name, "value": r.class_code} for r in q.classes(wh, scope).itertuples()])


def resolve(wh, scope: Scope, area, class_code) -> tuple[Scope, str]:
    """The area only narrows the viewer's scope; the class must be one the warehouse knows."""
    known = set(q.classes(wh, scope)["class_code"])
    return scope.narrow(area), class_code if class_code in known else ""


@callback(
    Input(INCIDENT_AREA, "value"), Input(INCIDENT_CLASS, "value"),
    Input(ids.GENERATION, "data"),
    output=dict(
        open=Output(INCIDENT_OPEN, "children"), overdue=Output(INCIDENT_OVERDUE, "children"),
        due_soon=Output(INCIDENT_DUE_SOON, "children"), reported=Output(INCIDENT_REPORTED, "children"),
        closed=Output(INCIDENT_CLOSED, "children"),
        flow=Output(INCIDENT_FLOW, "figure"), dispatch_daily=Output(INCIDENT_DISPATCH_DAILY, "figure"),
        age=Output(INCIDENT_AGE, "figure"), sla=Output(INCIDENT_SLA, "figure"),
        dispatch_departments=Output(INCIDENT_DISPATCH_DEPTS, "figure"),
    ),
)
def refresh_incident(area, class_code, _generation):
    return incident_view(warehouse(), viewer_scope(), area, class_code)


@view
def incident_view(wh: Snapshot, viewer: Scope, area, class_code) -> dict:
    scope, class_code = resolve(wh, viewer, area, class_code)
    n = q.counters(wh, scope, class_code, DAYS)
    clock = q.sla_clock(wh, scope, class_code)
    due_soon = int(clock.loc[clock["bucket"] == "4小时内到期", "events"].sum())
    return dict(open=f"{n['open']:,}", overdue=f"{n['overdue']:,}", due_soon=f"{due_soon:,}",
                reported=f"{n['reported']:,}", closed=f"{n['closed']:,}",
                flow=fig.flow(q.flow(wh, scope, class_code, DAYS)),
                dispatch_daily=fig.dispatch_daily(q.dispatch_daily(wh, scope, class_code, DAYS)),
                age=fig.backlog_age(q.backlog_age(wh, scope, class_code)),
                sla=fig.sla_clock(clock),
                dispatch_departments=fig.dispatch_departments(q.dispatch_departments(wh, scope, class_code, DAYS)))


@callback(Output(INCIDENT_EARLY_WARNING, "children"), Output(INCIDENT_REVIEW, "children"),
          Input(INCIDENT_AREA, "value"), Input(ids.GENERATION, "data"))
def refresh_warning_summary(area, _generation):
    return warning_summary_view(warehouse(), viewer_scope(), area)


def _link(text: str) -> dcc.Link:
    return dcc.Link(text, href=dash.get_relative_path(WARNING_PAGE), className="incident-warning-link")


@view
def warning_summary_view(wh: Snapshot, viewer: Scope, area) -> tuple:
    """事前预警: today's early-warning screen in the area and the reasons of its first rows; 事后评估:
    the most recent ended incident's after-analysis. The area only narrows the viewer's scope."""
    scope = viewer.narrow(area)
    if not wq.available(wh, scope):
        return (_not_connected("本数据版本没有预警结果；下一次数据刷新后在此显示按区域 × 类别的异常升高与骤减。"),
                _not_connected("本数据版本没有预警结果；下一次数据刷新后在此显示事件高发过程的超出基线量、持续时间与复发情况。"))
    incidents = wq.incidents(wh, scope)
    today = incidents[incidents["on_screen"].astype(bool)]
    top = today.head(TOP_REASONS)
    early = html.Div([
        html.Div([html.Span(f"{len(today):,}", className="incident-warning-count"),
                  html.Span(" 起今日预警事件", className="incident-warning-unit")]),
        html.Ol([html.Li(f"{'新发' if r.new else '持续'} · {r.reason}") for r in top.itertuples()],
                className="incident-warning-reasons") if len(top) else
        html.Div("本辖区今日没有预警事件", className="empty-note"),
        _link("查看预警研判 →"),
    ])
    ended = incidents[incidents["status"] == "已结束"].sort_values(
        ["last_day", "incident_id"], ascending=False, kind="stable")
    review = html.Div([
        html.Div(f"最近结束的预警事件 {ended.iloc[0]['incident_id']}", className="incident-warning-title"),
        html.Div(review_line(ended.iloc[0]), className="incident-warning-line"),
        _link("查看事件过程与事后评估 →"),
    ]) if len(ended) else html.Div([html.Div("本辖区没有已结束的预警事件", className="empty-note"),
                                     _link("查看预警研判 →")])
    return early, review
