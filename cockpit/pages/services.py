"""服务与需求: service projects and activities, the needs ledger (需求清单) with its time limits,
volunteers and teams. Filters: an area inside the viewer's jurisdiction and a period relative to
the data's as-of date. No person is named anywhere on this page."""
from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html

from cockpit import ids
from cockpit.cache import view
from cockpit.components.counter import counter, panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.context import layout_area, layout_scope, viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import services as fig
from cockpit.options import area_options
from cockpit.queries import areas, services as q
from cockpit.scope import Scope

dash.register_page(__name__, path="/services", name="服务与需求",
                   title="网格治理数字驾驶舱 · 服务与需求", order=5)

AREA = "services-area"
PERIOD = "services-period"
SCOPE_NOTE = "services-scope-note"
KPI_PROJECTS = "services-kpi-projects"
KPI_PROJECTS_DETAIL = "services-kpi-projects-detail"
KPI_ACTIVITIES = "services-kpi-activities"
KPI_PARTICIPANTS = "services-kpi-participants"
KPI_TURNOUT = "services-kpi-turnout"
KPI_VOLUNTEERS = "services-kpi-volunteers"
KPI_VOLUNTEERS_DETAIL = "services-kpi-volunteers-detail"
MONTHLY_CHART = "services-monthly-chart"
COMMUNITY_CHART = "services-community-chart"
KPI_NEEDS = "services-kpi-needs"
KPI_RESOLUTION = "services-kpi-resolution"
KPI_RESOLUTION_DETAIL = "services-kpi-resolution-detail"
KPI_OPEN = "services-kpi-open"
KPI_OPEN_OVERDUE = "services-kpi-open-overdue"
KPI_CLOSED_LATE = "services-kpi-closed-late"
KPI_CLOSED_LATE_DETAIL = "services-kpi-closed-late-detail"
NEEDS_CHARTS = {dim: f"services-needs-{dim.replace('_', '-')}-chart" for dim in q.NEED_DIMENSIONS}
NEEDS_OPEN_TABLE = "services-needs-open-table"
TEAM_TYPE_CHART = "services-team-type-chart"
VOLUNTEER_COMMUNITY_CHART = "services-volunteer-community-chart"
VOLUNTEER_SKILL_CHART = "services-volunteer-skill-chart"
TEAMS_TABLE = "services-teams-table"

OPEN_ROWS = 15
TOP_COMMUNITIES = 10
TOP_TEAMS = 50          # the table lists the teams with the most hours (a city has thousands)


def _area_options() -> list[dict]:
    scope = layout_scope()
    return area_options(warehouse(), scope, levels=("district", "street", "community")) if scope else []


def layout(**_query):
    # options in the layout, not only from a callback: a Dash 4 dropdown whose options arrive
    # after its value shows an empty box
    return html.Div([
        html.Div([
            labelled("区域", dcc.Dropdown(id=AREA, options=_area_options(), value=layout_area(),
                                          clearable=False, searchable=True,
                                          className="services-area-dropdown")),
            labelled("时段（截至数据日期）", dcc.RadioItems(id=PERIOD, value=q.DEFAULT_PERIOD, inline=True,
                                                    className="services-period",
                                                    options=[{"label": label, "value": key}
                                                             for key, (label, _days) in q.PERIODS.items()])),
            html.Div(id=SCOPE_NOTE, className="services-scope-note"),
        ], className="filters"),

        html.H2("服务项目与活动", className="services-section"),
        html.Div([
            counter("期内服务项目", KPI_PROJECTS, "个", KPI_PROJECTS_DETAIL),
            counter("服务活动", KPI_ACTIVITIES, "场"),
            counter("服务人次", KPI_PARTICIPANTS, "人次"),
            counter("志愿者参与", KPI_TURNOUT, "人次"),
            counter("注册志愿者（累计）", KPI_VOLUNTEERS, "人", KPI_VOLUNTEERS_DETAIL),
        ], className="counter-row"),
        html.Div([
            panel("每月服务活动（按项目类型）", graph(MONTHLY_CHART, "每月服务活动")),
            panel(f"活动最多的社区 TOP{TOP_COMMUNITIES}", graph(COMMUNITY_CHART, "活动最多的社区")),
        ], className="grid-2"),

        html.H2("需求清单", className="services-section"),
        html.Div([
            counter("期内登记需求", KPI_NEEDS, "件"),
            counter("解决率", KPI_RESOLUTION, "%", KPI_RESOLUTION_DETAIL),
            counter("在办（未超期）", KPI_OPEN, "件"),
            counter("在办超期", KPI_OPEN_OVERDUE, "件"),
            counter("超期办结", KPI_CLOSED_LATE, "件", KPI_CLOSED_LATE_DETAIL),
        ], className="counter-row services-needs-counters"),
        html.Div([panel(f"按{label}", graph(NEEDS_CHARTS[dim], f"需求_{label}"))
                  for dim, label in q.NEED_DIMENSIONS.items()], className="grid-2"),
        html.Div("办理时限按工作日计（法定节假日与调休依国家安排），自登记日期起算；"
                 "在办超期 = 未办结且截止日期早于数据日期；超期办结 = 办结日期晚于截止日期；"
                 "解决率 = 已解决 / 期内登记需求。", className="services-definition"),
        panel("在办需求时限预警（全部在办需求，按剩余工作日排序）",
              html.Div(id=NEEDS_OPEN_TABLE, className="services-table-wrap")),

        html.H2("志愿者与服务队", className="services-section"),
        html.Div([
            panel("服务队类型（累计）", graph(TEAM_TYPE_CHART, "服务队类型")),
            panel(f"志愿者最多的社区 TOP{TOP_COMMUNITIES}", graph(VOLUNTEER_COMMUNITY_CHART, "志愿者_社区")),
            panel("志愿者服务专长", graph(VOLUNTEER_SKILL_CHART, "志愿者_专长")),
        ], className="grid-3"),
        panel("志愿服务队（按累计服务时长）", html.Div(id=TEAMS_TABLE, className="services-table-wrap")),
    ], className="services")


def _area(wh: Snapshot, scope: Scope, code) -> Scope:
    """The viewer's scope narrowed to the area the browser asks for (never widened)."""
    narrowed = scope.narrow(code)
    return narrowed if narrowed is scope else Scope(narrowed.code, areas.name_of(wh, scope, narrowed.code))


def _int(n) -> str:
    return f"{int(n):,}"


def _rate(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(frame: pd.DataFrame, columns: dict[str, str], class_name: str = "services-table",
          row_class=None) -> html.Div | html.Table:
    """A plain table of the given columns (id → Chinese header), or a note that there is none."""
    if frame.empty:
        return html.Div("本辖区无相关记录", className="empty-note")
    head = html.Thead(html.Tr([html.Th(label) for label in columns.values()]))
    body = html.Tbody([html.Tr([html.Td(row[c]) for c in columns],
                               className=row_class(row) if row_class else None)
                       for _, row in frame.iterrows()])
    return html.Table([head, body], className=class_name)


@callback(Output(AREA, "options"), Input(ids.GENERATION, "data"))
def refresh_area_choices(_generation):
    """Areas may change with a new generation (grids split or redrawn)."""
    return _area_options()


@callback(
    Input(AREA, "value"), Input(PERIOD, "value"), Input(ids.GENERATION, "data"),
    output=dict(
        projects=Output(KPI_PROJECTS, "children"), projects_detail=Output(KPI_PROJECTS_DETAIL, "children"),
        activities=Output(KPI_ACTIVITIES, "children"), participants=Output(KPI_PARTICIPANTS, "children"),
        turnout=Output(KPI_TURNOUT, "children"), volunteers=Output(KPI_VOLUNTEERS, "children"),
        volunteers_detail=Output(KPI_VOLUNTEERS_DETAIL, "children"),
        monthly=Output(MONTHLY_CHART, "figure"), communities=Output(COMMUNITY_CHART, "figure"),
        scope=Output(SCOPE_NOTE, "children"),
    ),
)
def refresh_activities(area, period, _generation):
    return activities_view(warehouse(), viewer_scope(), area, period)


@view
def activities_view(wh: Snapshot, viewer: Scope, area, period) -> dict:
    scope = _area(wh, viewer, area)
    days = q.period_days(period)
    n = q.counters(wh, scope, days)
    label = q.PERIODS[q.period_key(period)][0]
    return dict(projects=_int(n["projects"]), projects_detail=f"截至数据日期仍在期 {n['projects_in_force']:,} 个",
                activities=_int(n["activities"]), participants=_int(n["participants"]),
                turnout=_int(n["volunteer_turnout"]), volunteers=_int(n["volunteers"]),
                volunteers_detail=f"服务队 {n['teams']:,} 支 · 累计服务 {n['service_hours']:,.1f} 小时",
                monthly=fig.activities_monthly(q.monthly(wh, scope, days)),
                communities=fig.top_communities(q.top_communities(wh, scope, days, TOP_COMMUNITIES)),
                scope=f"{scope.name} · {label}")


def _open_row_class(row) -> str:
    return "services-row--overdue" if row["overdue_label"] == "已超期" else ""


@callback(
    Input(AREA, "value"), Input(PERIOD, "value"), Input(ids.GENERATION, "data"),
    output=dict(
        needs=Output(KPI_NEEDS, "children"), resolution=Output(KPI_RESOLUTION, "children"),
        resolution_detail=Output(KPI_RESOLUTION_DETAIL, "children"), open=Output(KPI_OPEN, "children"),
        open_overdue=Output(KPI_OPEN_OVERDUE, "children"), closed_late=Output(KPI_CLOSED_LATE, "children"),
        closed_late_detail=Output(KPI_CLOSED_LATE_DETAIL, "children"),
        **{f"by_{dim}": Output(chart, "figure") for dim, chart in NEEDS_CHARTS.items()},
        open_table=Output(NEEDS_OPEN_TABLE, "children"),
    ),
)
def refresh_needs(area, period, _generation):
    return needs_view(warehouse(), viewer_scope(), area, period)


@view
def needs_view(wh: Snapshot, viewer: Scope, area, period) -> dict:
    scope = _area(wh, viewer, area)
    breakdown = q.needs_breakdown(wh, scope, q.period_days(period))
    s = q.needs_summary(breakdown)
    closed = s["按期办结"] + s["超期办结"]
    late_share = f"占办结 {100 * s['超期办结'] / closed:.1f}%" if closed else "无办结需求"
    figures = {f"by_{dim}": fig.needs_breakdown(breakdown, dim, q.CATEGORY_ORDER.get(dim, ()))
               for dim in q.NEED_DIMENSIONS}
    open_needs = q.needs_open(wh, scope, OPEN_ROWS)
    if not open_needs.empty:
        open_needs = open_needs.assign(
            reported_date=pd.to_datetime(open_needs["reported_date"]).dt.strftime("%Y-%m-%d"),
            deadline=pd.to_datetime(open_needs["deadline"]).dt.strftime("%Y-%m-%d"),
            overdue_label=open_needs["overdue"].map({True: "已超期", False: "未到期"}))
    columns = {"need_id": "需求编号", "community_name": "社区", "domain": "业务领域", "urgency": "紧急程度",
               "difficulty": "难易", "responsible_unit": "责任单位", "reported_date": "登记日期",
               "time_limit_days": "时限（工作日）", "deadline": "截止日期", "days_left": "剩余工作日",
               "overdue_label": "时限状态", "status": "办理状态"}
    return dict(needs=_int(s["needs"]), resolution=_rate(s["resolution_rate"]),
                resolution_detail=(f"已解决 {s['resolved']:,} · 无法解决 {s['unable']:,} · "
                                   f"办结率 {_rate(s['closure_rate'])}%"),
                open=_int(s["在办"]), open_overdue=_int(s["在办超期"]), closed_late=_int(s["超期办结"]),
                closed_late_detail=late_share, **figures,
                open_table=table(open_needs, columns, row_class=_open_row_class))


@callback(
    Output(TEAM_TYPE_CHART, "figure"), Output(VOLUNTEER_COMMUNITY_CHART, "figure"),
    Output(VOLUNTEER_SKILL_CHART, "figure"), Output(TEAMS_TABLE, "children"),
    Input(AREA, "value"), Input(ids.GENERATION, "data"),
)
def refresh_volunteers(area, _generation):
    return volunteers_view(warehouse(), viewer_scope(), area)


@view
def volunteers_view(wh: Snapshot, viewer: Scope, area) -> tuple:
    """The volunteer register is cumulative: the period does not apply, the area does."""
    scope = _area(wh, viewer, area)
    teams = q.teams(wh, scope)
    top = teams.head(TOP_TEAMS)                 # services__teams.sql orders by hours
    shown = top.assign(service_hours=top["service_hours"].map(lambda h: f"{h:,.1f}"))
    note = (html.Div(f"共 {len(teams):,} 支，列出累计服务时长最多的 {TOP_TEAMS} 支", className="table-note")
            if len(teams) > TOP_TEAMS else None)
    return (fig.team_types(teams),
            fig.volunteers_by_community(q.volunteers_by_community(wh, scope, TOP_COMMUNITIES)),
            fig.volunteers_by_skill(q.volunteers_by_skill(wh, scope)),
            [note, table(shown, {"team_name": "服务队", "team_type": "类型", "community_name": "社区",
                                 "members": "队员（人）", "service_hours": "累计服务时长（小时）"})])
