"""大屏: the leaders' command-centre screen. A 1920×1080 canvas scaled to the window (assets/
cockpit.js; ultra-wide walls get a wider canvas with more columns), three columns: sources, trend
and top categories on the left; counters and the map in the centre; the four boards (党建 / 平安 /
民生 / 企业) in rotation and the open items, overdue first, on the right. Every number re-reads the
warehouse when the frame sees a new generation served; counters roll to new values in the browser.

Every jurisdiction gets a map that means something (queries.screen.map_level): a district's or a
street's communities, a community's grids, and for a grid worker the period's events as points on
the grid's own polygon; there the 网格数 counter (always 1) gives way to the grid's 重点关爱对象."""
from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from cockpit import geometry, ids
from cockpit.cache import view
from cockpit.components.counter import counter, mini_counter, panel
from cockpit.components.graph import graph
from cockpit.context import layout_scope, viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import screen as fig
from cockpit.figures.area_map import area_map, event_points
from cockpit.layout import as_of_stamp
from cockpit.queries import screen as q
from cockpit.queries.meta import generation
from cockpit.scope import Scope

dash.register_page(__name__, path="/", title="网格治理数字驾驶舱 · 大屏", name="大屏", order=0)

WINDOW_DAYS = 30
BOARD_SECONDS = 15
MAP_CANVAS_PX = 1000    # the centre map's width on the 1920-px canvas (it does not zoom)


def is_grid(scope: Scope | None) -> bool:
    return scope is not None and len(scope.code) == 15


def layout(**_query):
    grid = is_grid(layout_scope())
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
                    counter("重点关爱对象", ids.KPI_GRIDS, "人次", ids.KPI_GRIDS_DETAIL) if grid
                    else counter("网格数", ids.KPI_GRIDS, "个", ids.KPI_GRIDS_DETAIL),
                    counter(f"近{WINDOW_DAYS}日事件", ids.KPI_EVENTS_30D, "件"),
                    counter(f"近{WINDOW_DAYS}日结案率", ids.KPI_CLOSURE_RATE, "%", ids.KPI_CLOSURE_DETAIL),
                    counter("按期结案率", ids.KPI_ON_TIME_RATE, "%"),
                    counter("在办事件", ids.KPI_OPEN, "件"),
                    counter("超期在办", ids.KPI_OVERDUE, "件"),
                ], className="screen-counters"),
                panel(html.Span(id=ids.MAP_TITLE),
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
                panel("在办事项（超期在前）", html.Div(id=ids.OVERDUE_LIST, className="overdue-list"),
                      class_name="screen-overdue"),
            ], className="screen-col"),
        ], className="screen-body"),
    ], className="screen")


def _fmt_rate(value):
    return "—" if value is None else f"{value:.2f}"


@callback(
    Input(ids.GENERATION, "data"),   # a new generation served: open screens re-read it
    output=dict(
        residents=Output(ids.KPI_RESIDENTS, "children"), households=Output(ids.KPI_HOUSEHOLDS, "children"),
        third=Output(ids.KPI_GRIDS, "children"), events=Output(ids.KPI_EVENTS_30D, "children"),
        closure_rate=Output(ids.KPI_CLOSURE_RATE, "children"),
        closure_detail=Output(ids.KPI_CLOSURE_DETAIL, "children"),
        on_time_rate=Output(ids.KPI_ON_TIME_RATE, "children"),
        map=Output(ids.COMMUNITY_MAP, "figure"), map_title=Output(ids.MAP_TITLE, "children"),
        third_detail=Output(ids.KPI_GRIDS_DETAIL, "children"),
        generation=Output(ids.OVERVIEW_GENERATION, "children"),
    ),
)
def refresh_overview(_generation):
    return overview_view(warehouse(), viewer_scope())


@view
def overview_view(wh: Snapshot, scope: Scope) -> dict:
    n = q.counters(wh, scope, WINDOW_DAYS)
    fig_map, title = centre_map(wh, scope, MAP_CANVAS_PX)
    detail = (f"应结案 {n['due']:,} · 结案 {n['closed']:,} · "
              f"按期 {n['closed_on_time']:,}")
    if is_grid(scope):      # one grid: its 重点关爱对象 instead of a grid count of 1
        care = q.care_groups(wh, scope)
        third = f"{sum(care.values()):,}"
        third_detail = " · ".join(f"{q.CARE_GROUPS[k]} {v:,}" for k, v in care.items())
    else:
        third, third_detail = f"{n['grids']:,}", ""
    return dict(residents=f"{n['residents']:,}", households=f"{n['households']:,}", third=third,
                third_detail=third_detail, events=f"{n['events']:,}",
                closure_rate=_fmt_rate(n["closure_rate"]), closure_detail=detail,
                on_time_rate=_fmt_rate(n["on_time_rate"]), map=fig_map, map_title=title,
                generation=f"数据版本 {wh.generation}")


LEVEL_TITLES = {"community": "社区", "grid": "网格"}


def centre_map(wh: Snapshot, scope: Scope, px: int | None, days: int = WINDOW_DAYS):
    """(figure, title) of the map that fits the jurisdiction (q.map_level); the polygons by URL."""
    level = q.map_level(wh, scope)
    if level == "points":           # one grid (a grid's account, or a community of one grid)
        grids = q.area_metrics(wh, scope, "grid", days)["code"].tolist() or [scope.code]
        outline = geometry.url(wh, "grid", scope.code, px)
        return (event_points(q.event_points(wh, scope, days), grids, outline, days),
                f"本网格事件分布（近{days}日，按办理状态）")
    shapes = geometry.url(wh, level, scope.code, px)         # fetched by the browser
    return (area_map(q.area_metrics(wh, scope, level, days), shapes, days),
            f"{LEVEL_TITLES[level]}事件密度（近{days}日，每千人事件数）")


@callback(
    Input(ids.GENERATION, "data"),
    output=dict(
        open=Output(ids.KPI_OPEN, "children"), overdue=Output(ids.KPI_OVERDUE, "children"),
        today=Output(ids.TODAY_LINE, "children"), scope=Output(ids.SCREEN_SCOPE, "children"),
        as_of=Output(ids.SCREEN_AS_OF, "children"), sources=Output(ids.SOURCES_CHART, "figure"),
        daily=Output(ids.DAILY_CHART, "figure"), top=Output(ids.TOP_CHART, "figure"),
        open_items=Output(ids.OVERDUE_LIST, "children"),
    ),
)
def refresh_columns(_generation):
    return columns_view(warehouse(), viewer_scope())


@view
def columns_view(wh: Snapshot, scope: Scope) -> dict:
    work = q.workload(wh, scope)
    today = f"今日上报 {work['reported_today']:,} 件 · 今日结案 {work['closed_today']:,} 件"
    return dict(open=f"{work['open']:,}", overdue=f"{work['overdue_open']:,}", today=today,
                scope=f"辖区：{scope.name}", as_of=as_of_stamp(generation(wh)["as_of"]),
                sources=fig.sources_bar(q.sources(wh, scope, WINDOW_DAYS)),
                daily=fig.daily_lines(q.daily(wh, scope, WINDOW_DAYS)),
                top=fig.top_bar(q.top_subclasses(wh, scope, WINDOW_DAYS), "subclass_name"),
                open_items=_open_rows(q.open_items(wh, scope, OPEN_ROWS), len(scope.code)))


OPEN_ROWS = 24        # as many as the tallest strip (an ultra-wide wall) shows; the rest is clipped


def _open_rows(df, scope_len: int) -> list:
    """Each open item with where it is one level below the jurisdiction (its community, its grid;
    within one grid, when it was reported)."""
    if df.empty:
        return [html.Div("当前无在办事件", className="empty-note")]

    def where(r):
        if scope_len >= 15:
            return f"{r.reported_at:%m-%d} 上报"
        return (r.grid_name if scope_len == 12 else r.community_name) or "—"
    return [html.Div([html.Span(r.subclass_name, className="overdue-what"),
                      html.Span(where(r), className="overdue-where"),
                      html.Span(r.department or "待派遣", className="overdue-dept"),
                      html.Span(deadline_text(r.minutes_to_deadline),
                                className="overdue-hours" if r.overdue_open else "due-hours")],
                     className="overdue-row") for r in df.itertuples()]


def deadline_text(minutes) -> str:
    """超期 3 天 / 剩 5 小时 / 未定时限: an open case's deadline as a person says it."""
    if minutes is None or minutes != minutes:
        return "未定时限"
    hours = abs(minutes) / 60
    span = f"{hours / 24:.0f} 天" if hours >= 48 else f"{max(hours, 1):.0f} 小时"
    return f"超期 {span}" if minutes < 0 else f"剩 {span}"


@callback(*[Output(b, "children") for b in ids.BOARD_BODIES], Input(ids.GENERATION, "data"))
def refresh_boards(_generation):
    return boards_view(warehouse(), viewer_scope())


@view
def boards_view(wh: Snapshot, scope: Scope) -> tuple:
    reg = q.register(wh, scope)
    ev = q.board_events(wh, scope, WINDOW_DAYS)
    rate = {b: _fmt_rate(ev[b]["closure_rate"]) for b in q.BOARDS}
    grid = is_grid(scope)

    def daily(board):
        return fig.stacked_days(q.board_daily(wh, scope, board), f"近{WINDOW_DAYS}日无{board}类事件")
    # teams, volunteers and activities are registered per community: a grid has none of its own
    party = ([("党员", reg["party_members"], "人"), ("退役军人", reg["veterans"], "人"),
              ("志愿服务队（社区登记）", "—", ""), ("注册志愿者（社区登记）", "—", "")] if grid else
             [("党员", reg["party_members"], "人"), ("志愿服务队", reg["teams"], "支"),
              ("注册志愿者", reg["volunteers"], "人"),
              ("志愿服务时长", round(reg["volunteer_hours"]), "小时")])
    activities = fig.stacked_months(
        q.activities_monthly(wh, scope),
        "服务项目与活动按社区登记，网格不单独统计" if grid else "近12个月无服务活动")
    return (
        _board_body("党建", party, "服务活动（近12个月，按项目类型）", activities),
        _board_body("平安", [
            (f"平安类事件（近{WINDOW_DAYS}日）", ev["平安"]["reported"], "件"),
            ("平安类在办", ev["平安"]["open"], "件"), ("平安类超期在办", ev["平安"]["overdue_open"], "件"),
            ("平安类结案率", rate["平安"], "%"),
        ], f"平安类事件（近{WINDOW_DAYS}日，按大类）", daily("平安")),
        _board_body("民生", [
            (f"民生类事件（近{WINDOW_DAYS}日）", ev["民生"]["reported"], "件"),
            ("在办需求", reg["needs_open"], "项"), ("超期需求", reg["needs_overdue"], "项"),
            ("独居老人", reg["elderly_alone"], "人"),
        ], f"民生类事件（近{WINDOW_DAYS}日，按大类）", daily("民生")),
        _board_body("企业", [
            ("企业与个体工商户", reg["businesses"], "户"),
            (f"企业类事件（近{WINDOW_DAYS}日）", ev["企业"]["reported"], "件"),
            ("企业类结案率", rate["企业"], "%"), ("物业红榜企业", reg["firms_red"], "家"),
        ], f"企业类事件（近{WINDOW_DAYS}日，按大类）", daily("企业")),
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


# computed for each signed-in jurisdiction as soon as a generation is served (cockpit/ops/warm.py)
WARMED = (overview_view, columns_view, boards_view)
