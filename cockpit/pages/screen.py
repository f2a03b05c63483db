"""大屏: the leaders' command-centre screen. A 1920×1080 canvas scaled to the window (assets/
cockpit.js), three columns: sources, trend and top categories on the left; counters and the
community map in the centre; the four boards (党建 / 平安 / 民生 / 企业) in rotation and the
overdue strip on the right. Every number re-reads the warehouse when the frame sees a new
generation served; counters roll to new values in the browser."""
from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from cockpit import geometry, ids
from cockpit.cache import view
from cockpit.components.counter import counter, mini_counter, panel
from cockpit.components.graph import graph
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import screen as fig
from cockpit.figures.community_map import community_map
from cockpit.layout import as_of_stamp
from cockpit.queries import screen as q
from cockpit.queries.meta import generation
from cockpit.scope import Scope

dash.register_page(__name__, path="/", title="网格治理数字驾驶舱 · 大屏", name="大屏", order=0)

WINDOW_DAYS = 30
BOARD_SECONDS = 15
MAP_CANVAS_PX = 1000    # the centre map's width on the 1920-px canvas (it does not zoom)


def layout(**_query):
    return html.Div([
        dcc.Interval(id=ids.BOARD_TICK, interval=BOARD_SECONDS * 1000),
        dcc.Store(id=ids.BOARD_ACTIVE, data=0),
        html.Div([
            html.Div(id=ids.SCREEN_SCOPE, className="screen-scope"),
            html.H1("网格治理数字驾驶舱", className="screen-title"),
            html.Div([html.Div(id=ids.SCREEN_AS_OF),
                      html.Div(id=ids.OVERVIEW_GENERATION, className="screen-generation")],
                     className="screen-as-of"),
        ], className="screen-header"),
        html.Div([
            html.Div([
                panel(f"事件来源（近{WINDOW_DAYS}日）", graph(ids.SOURCES_CHART, "事件来源", "screen-chart")),
                panel(f"上报与结案（近{WINDOW_DAYS}日）", graph(ids.DAILY_CHART, "上报与结案", "screen-chart")),
                panel(f"高发事件 TOP8（近{WINDOW_DAYS}日）", graph(ids.TOP_CHART, "高发事件", "screen-chart")),
            ], className="screen-col"),
            html.Div([
                html.Div([
                    counter("实有人口", ids.KPI_RESIDENTS, "人"),
                    counter("实有户数", ids.KPI_HOUSEHOLDS, "户"),
                    counter("网格数", ids.KPI_GRIDS, "个"),
                    counter(f"近{WINDOW_DAYS}日事件", ids.KPI_EVENTS_30D, "件"),
                    counter(f"近{WINDOW_DAYS}日结案率", ids.KPI_CLOSURE_RATE, "%", ids.KPI_CLOSURE_DETAIL),
                    counter("按期结案率", ids.KPI_ON_TIME_RATE, "%"),
                    counter("在办事件", ids.KPI_OPEN, "件"),
                    counter("超期在办", ids.KPI_OVERDUE, "件"),
                ], className="screen-counters"),
                panel(f"社区事件密度（近{WINDOW_DAYS}日，每千人事件数）",
                      html.Div(id=ids.TODAY_LINE, className="screen-today"),
                      graph(ids.COMMUNITY_MAP, "社区事件密度", "screen-map"),
                      class_name="screen-map-panel"),
            ], className="screen-centre"),
            html.Div([
                html.Div([
                    html.Div([html.Div(name, id=ids.BOARD_TABS[i], n_clicks=0, className="board-tab")
                              for i, name in enumerate(q.BOARDS)], className="board-tabs"),
                    html.Div([html.Div(id=body, className="board") for body in ids.BOARD_BODIES],
                             className="board-stack"),
                ], id=ids.BOARDS, className="panel boards boards--0"),
                panel("超期预警（在办且已超期）", html.Div(id=ids.OVERDUE_LIST, className="overdue-list"),
                      class_name="screen-overdue"),
            ], className="screen-col"),
        ], className="screen-body"),
    ], className="screen")


def _fmt_rate(value):
    return "—" if value is None else f"{value:.2f}"


@callback(
    Output(ids.KPI_RESIDENTS, "children"), Output(ids.KPI_HOUSEHOLDS, "children"),
    Output(ids.KPI_GRIDS, "children"), Output(ids.KPI_EVENTS_30D, "children"),
    Output(ids.KPI_CLOSURE_RATE, "children"), Output(ids.KPI_CLOSURE_DETAIL, "children"),
    Output(ids.KPI_ON_TIME_RATE, "children"),
    Output(ids.COMMUNITY_MAP, "figure"), Output(ids.OVERVIEW_GENERATION, "children"),
    Input(ids.GENERATION, "data"),   # a new generation served: open screens re-read it
)
def refresh_overview(_generation):
    return overview_view(warehouse(), viewer_scope())


@view
def overview_view(wh: Snapshot, scope: Scope) -> tuple:
    n = q.counters(wh, scope, WINDOW_DAYS)
    shapes = geometry.url(wh, "community", scope.code, MAP_CANVAS_PX)    # fetched by the browser
    fig_map = community_map(q.community_metrics(wh, scope, WINDOW_DAYS), shapes, WINDOW_DAYS)
    detail = (f"应结案 {n['due']:,} · 结案 {n['closed']:,} · "
              f"按期 {n['closed_on_time']:,}")
    return (f"{n['residents']:,}", f"{n['households']:,}", f"{n['grids']:,}", f"{n['events']:,}",
            _fmt_rate(n["closure_rate"]), detail, _fmt_rate(n["on_time_rate"]), fig_map,
            f"数据版本 {wh.generation}")


@callback(
    Output(ids.KPI_OPEN, "children"), Output(ids.KPI_OVERDUE, "children"), Output(ids.TODAY_LINE, "children"),
    Output(ids.SCREEN_SCOPE, "children"), Output(ids.SCREEN_AS_OF, "children"),
    Output(ids.SOURCES_CHART, "figure"), Output(ids.DAILY_CHART, "figure"),
    Output(ids.TOP_CHART, "figure"), Output(ids.OVERDUE_LIST, "children"),
    Input(ids.GENERATION, "data"),
)
def refresh_columns(_generation):
    return columns_view(warehouse(), viewer_scope())


@view
def columns_view(wh: Snapshot, scope: Scope) -> tuple:
    work = q.workload(wh, scope)
    today = f"今日上报 {work['reported_today']:,} 件 · 今日结案 {work['closed_today']:,} 件"
    return (f"{work['open']:,}", f"{work['overdue_open']:,}", today,
            f"辖区：{scope.name}", as_of_stamp(generation(wh)["as_of"]),
            fig.sources_bar(q.sources(wh, scope, WINDOW_DAYS)),
            fig.daily_lines(q.daily(wh, scope, WINDOW_DAYS)),
            fig.top_bar(q.top_subclasses(wh, scope, WINDOW_DAYS), "subclass_name"),
            _overdue_rows(q.overdue_top(wh, scope)))


def _overdue_rows(df) -> list:
    if df.empty:
        return [html.Div("当前无超期在办事件", className="empty-note")]
    return [html.Div([html.Span(r.subclass_name, className="overdue-what"),
                      html.Span(r.community_name or "—", className="overdue-where"),
                      html.Span(r.department, className="overdue-dept"),
                      html.Span(f"超期 {_duration(r.hours_overdue)}", className="overdue-hours")],
                     className="overdue-row") for r in df.itertuples()]


def _duration(hours: float) -> str:
    return f"{hours / 24:.0f} 天" if hours >= 48 else f"{hours:.0f} 小时"


@callback(*[Output(b, "children") for b in ids.BOARD_BODIES], Input(ids.GENERATION, "data"))
def refresh_boards(_generation):
    return boards_view(warehouse(), viewer_scope())


@view
def boards_view(wh: Snapshot, scope: Scope) -> tuple:
    reg = q.register(wh, scope)
    ev = q.board_events(wh, scope, WINDOW_DAYS)
    rate = {b: _fmt_rate(ev[b]["closure_rate"]) for b in q.BOARDS}
    return (
        _board_body("党建", [
            ("党员", reg["party_members"], "人"), ("志愿服务队", reg["teams"], "支"),
            ("注册志愿者", reg["volunteers"], "人"), ("志愿服务时长", round(reg["volunteer_hours"]), "小时"),
        ], "服务活动（近12个月，按项目类型）", fig.stacked_months(q.activities_monthly(wh, scope))),
        _board_body("平安", [
            (f"平安类事件（近{WINDOW_DAYS}日）", ev["平安"]["reported"], "件"),
            ("平安类在办", ev["平安"]["open"], "件"), ("平安类超期在办", ev["平安"]["overdue_open"], "件"),
            ("平安类结案率", rate["平安"], "%"),
        ], f"平安类事件（近{WINDOW_DAYS}日，按大类）", fig.stacked_days(q.board_daily(wh, scope, "平安"))),
        _board_body("民生", [
            (f"民生类事件（近{WINDOW_DAYS}日）", ev["民生"]["reported"], "件"),
            ("在办需求", reg["needs_open"], "项"), ("超期需求", reg["needs_overdue"], "项"),
            ("独居老人", reg["elderly_alone"], "人"),
        ], f"民生类事件（近{WINDOW_DAYS}日，按大类）", fig.stacked_days(q.board_daily(wh, scope, "民生"))),
        _board_body("企业", [
            ("企业与个体工商户", reg["businesses"], "户"),
            (f"企业类事件（近{WINDOW_DAYS}日）", ev["企业"]["reported"], "件"),
            ("企业类结案率", rate["企业"], "%"), ("物业红榜企业", reg["firms_red"], "家"),
        ], f"企业类事件（近{WINDOW_DAYS}日，按大类）", fig.stacked_days(q.board_daily(wh, scope, "企业"))),
    )


def _board_body(board: str, numbers: list[tuple], chart_title: str, figure) -> list:
    return [
        html.Div([mini_counter(label, value if isinstance(value, str) else f"{value:,}", unit)
                  for label, value, unit in numbers], className="board-counters"),
        html.Div(chart_title, className="board-chart-title"),
        dcc.Graph(figure=figure.to_plotly_json(), className="board-chart",
                  config={"displaylogo": False, "modeBarButtons": [["toImage"]],
                          "toImageButtonOptions": {"format": "png", "filename": f"{board}板块"}}),
    ]


# Rotation runs in the browser (no server round trip): the tick advances the board, a click on a
# tab shows that board and the rotation continues from it.
clientside_callback(
    ClientsideFunction(namespace="cockpit", function_name="rotateBoards"),
    Output(ids.BOARDS, "className"), Output(ids.BOARD_ACTIVE, "data"),
    Input(ids.BOARD_TICK, "n_intervals"), *[Input(t, "n_clicks") for t in ids.BOARD_TABS],
    State(ids.BOARD_ACTIVE, "data"),
)
