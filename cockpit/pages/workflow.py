"""流转时效: how long each workflow stage takes, GB/T 30428 KPIs and rankings per area and
department for a period of months, and the list of open cases past their deadline."""
from __future__ import annotations

import datetime as dt

import dash
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException

from cockpit import ids
from cockpit.cache import view
from cockpit.components.counter import counter, panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.components.table import AUTO_SIZE, column, grid, page_asked, pager, records
from cockpit.context import layout_area, layout_scope, viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import workflow as fig
from cockpit.options import area_options
from cockpit.queries import areas, workflow as q
from cockpit.scope import Scope
from warehouse.areas import CODE_LENGTH, LEVEL_NAMES

dash.register_page(__name__, path="/workflow", name="流转时效", title="网格治理数字驾驶舱 · 流转时效",
                   order=3)

WORKFLOW_AREA = "workflow-area"
WORKFLOW_START = "workflow-start"
WORKFLOW_END = "workflow-end"
WORKFLOW_LEVEL = "workflow-level"
WORKFLOW_DEPARTMENT = "workflow-department"
WORKFLOW_METRIC = "workflow-metric"
WORKFLOW_PERIOD = "workflow-period"
WORKFLOW_ACCEPTED = "workflow-accepted"
WORKFLOW_DUE = "workflow-due"
WORKFLOW_CLOSURE = "workflow-closure-rate"
WORKFLOW_ON_TIME = "workflow-on-time-rate"
WORKFLOW_REWORK = "workflow-rework-rate"
WORKFLOW_EXTENSION = "workflow-extension-rate"
WORKFLOW_STAGES = "workflow-stages"
WORKFLOW_AREA_BARS = "workflow-area-bars"
WORKFLOW_AREA_TABLE = "workflow-area-table"
WORKFLOW_DEPT_BARS = "workflow-dept-bars"
WORKFLOW_DEPT_TABLE = "workflow-dept-table"
WORKFLOW_OVERDUE = "workflow-overdue"
WORKFLOW_OVERDUE_TOTAL = "workflow-overdue-total"
WORKFLOW_OVERDUE_PAGE = "workflow-overdue-page"          # the page shown (0-based), as the server answered
WORKFLOW_OVERDUE_PREV = "workflow-overdue-prev"
WORKFLOW_OVERDUE_NEXT = "workflow-overdue-next"
WORKFLOW_OVERDUE_PAGES = "workflow-overdue-pages"

LEVEL_OPTIONS = [{"label": LEVEL_NAMES[lv], "value": lv} for lv in q.LEVELS]
METRIC_OPTIONS = [{"label": label, "value": key} for key, (label, _) in fig.METRICS.items()]
DEFAULT_METRIC = "score"
OVERDUE_PAGE_SIZE = 10
SCORE_NOTE = ("综合得分 = 100 ×（0.4×按期结案率 + 0.3×结案率 + 0.15×(1−返工率) + 0.15×(1−延期率)），"
              "按得分降序排名（同分同名次），无应结案的不参与排名。各率分母均为应结案数（期限落在所选月份内、"
              "截至数据时点的已立案案件，GB/T 30428）。")

KPI_PAGE_SIZE = 12
_pct = {"digits": 2, "percent": True}
KPI_COLUMNS = [
    column("rank", "名次", 0), column("name", "名称", fill=140),
    column("accepted", "立案数", 0), column("due", "应结案", 0), column("closed", "结案", 0),
    column("closed_on_time", "按期结案", 0),
    column("closure_rate", "结案率", **_pct), column("on_time_rate", "按期结案率", **_pct),
    column("rework_rate", "返工率", **_pct), column("extension_rate", "延期率", **_pct),
    column("score", "综合得分", 2),
]
OVERDUE_COLUMNS = [
    column("event_id", "事件编号"), column("class_name", "大类"), column("subclass_name", "小类"),
    column("grid_name", "网格"), column("community_name", "社区"), column("department", "责任部门"),
    column("deadline", "处置时限"), column("hours_overdue", "超期（小时）", 1),
]


def _kpi_table(table_id: str):
    return grid(table_id, KPI_COLUMNS, sortable=True, page_size=KPI_PAGE_SIZE)


def _layout_level() -> str | None:
    """The ranking's level as the page opens: the one below the account's area (a city's 1,764
    communities were half a megabyte of rows before anyone chose them)."""
    scope = layout_scope()
    return q.default_level(scope) if scope else None


def layout(**_query):
    return html.Div([
        html.Div([
            labelled("辖区", dcc.Dropdown(id=WORKFLOW_AREA, value=layout_area(), clearable=False,
                                       className="workflow-dropdown workflow-area")),
            labelled("起始月份", dcc.Dropdown(id=WORKFLOW_START, placeholder="最近月份",
                                         className="workflow-dropdown")),
            labelled("截止月份", dcc.Dropdown(id=WORKFLOW_END, placeholder="同起始月份",
                                         className="workflow-dropdown")),
            labelled("区域层级", dcc.RadioItems(LEVEL_OPTIONS, _layout_level(), id=WORKFLOW_LEVEL,
                                           inline=True, className="workflow-radio")),
            labelled("排名指标", dcc.Dropdown(METRIC_OPTIONS, DEFAULT_METRIC, id=WORKFLOW_METRIC,
                                         clearable=False, className="workflow-dropdown")),
            labelled("责任部门（环节时效、超期清单）",
                    dcc.Dropdown(id=WORKFLOW_DEPARTMENT, placeholder="全部部门",
                                 className="workflow-dropdown workflow-department")),
        ], className="filters workflow-filters"),
        html.Div(id=WORKFLOW_PERIOD, className="workflow-period"),
        html.Div([
            counter("立案数", WORKFLOW_ACCEPTED, "件"),
            counter("应结案", WORKFLOW_DUE, "件"),
            counter("结案率", WORKFLOW_CLOSURE, "%"),
            counter("按期结案率", WORKFLOW_ON_TIME, "%"),
            counter("返工率", WORKFLOW_REWORK, "%"),
            counter("延期率", WORKFLOW_EXTENSION, "%"),
        ], className="counter-row workflow-counters"),
        html.Div([
            panel("各环节时效（所选期间内结案的案件，自然小时）",
                  graph(WORKFLOW_STAGES, "各环节时效", class_name="chart workflow-chart")),
            panel("超期在办清单（截至数据时点）",
                  html.Div(id=WORKFLOW_OVERDUE_TOTAL, className="workflow-note"),
                  grid(WORKFLOW_OVERDUE, OVERDUE_COLUMNS),
                  pager(WORKFLOW_OVERDUE_PREV, WORKFLOW_OVERDUE_NEXT, WORKFLOW_OVERDUE_PAGES),
                  dcc.Store(id=WORKFLOW_OVERDUE_PAGE, data=0)),
        ], className="grid-2"),
        html.Div([
            panel("区域绩效排名",
                  html.Div(graph(WORKFLOW_AREA_BARS, "区域绩效排名", class_name="workflow-tall"),
                           className="workflow-scroll")),
            panel("区域考核指标（点击列名排序）", _kpi_table(WORKFLOW_AREA_TABLE)),
        ], className="grid-2 workflow-ranking"),
        html.Div([
            panel("部门绩效排名",
                  html.Div(graph(WORKFLOW_DEPT_BARS, "部门绩效排名", class_name="workflow-tall"),
                           className="workflow-scroll")),
            panel("部门考核指标（点击列名排序）", _kpi_table(WORKFLOW_DEPT_TABLE)),
        ], className="grid-2 workflow-ranking"),
        html.Div(SCORE_NOTE, className="workflow-note workflow-score-note"),
    ], className="workflow-page")


def _month_label(m: dt.date) -> str:
    return f"{m.year}年{m.month:02d}月"


@callback(Output(WORKFLOW_AREA, "options"), Output(WORKFLOW_AREA, "value"),
          Output(WORKFLOW_START, "options"), Output(WORKFLOW_END, "options"),
          Output(WORKFLOW_DEPARTMENT, "options"),
          Input(ids.GENERATION, "data"), State(WORKFLOW_AREA, "value"))
def filter_options(_generation, area):
    """Choices from the served generation; the area keeps its value unless it left the scope."""
    scope = viewer_scope()
    choices, months, depts = choices_view(warehouse(), scope)
    value = area if area in {o["value"] for o in choices} else scope.code
    return choices, no_update if value == area else value, months, months, depts


@view
def choices_view(wh: Snapshot, scope: Scope) -> tuple:
    """Areas, months and departments to choose from: once per generation and scope."""
    months = [{"label": _month_label(m), "value": m.isoformat()} for m in q.months(wh, scope)]
    return (area_options(wh, scope), months,
            [{"label": d, "value": d} for d in q.departments(wh, scope)])


def resolve(wh, viewer: Scope, area, start, end, level, department, metric=DEFAULT_METRIC):
    """Browser values made safe: the area only narrows the viewer's scope, everything else is
    checked against what the warehouse knows. Months default to the newest one."""
    scope = viewer.narrow(area)
    months = q.months(wh, viewer)
    known = {m.isoformat(): m for m in months}
    start_m = known.get(start) or (months[0] if months else None)
    end_m = known.get(end) or start_m
    if start_m and end_m and end_m < start_m:
        start_m, end_m = end_m, start_m
    level = level if level in q.LEVELS else q.default_level(scope)
    if CODE_LENGTH[level] < len(scope.code):        # a level above the area: the area itself
        level = areas.level_of(scope.code)
    department = department if department in set(q.departments(wh, viewer)) else ""
    metric = metric if metric in fig.METRICS else DEFAULT_METRIC
    return scope, start_m, end_m, level, department, metric


def _pct_text(part: int, whole: int) -> str:
    """Percentage with two decimals, "—" when nothing was due (the rate is undefined, not zero)."""
    return f"{100 * part / whole:.2f}" if whole else "—"


@callback(
    Input(WORKFLOW_AREA, "value"), Input(WORKFLOW_START, "value"), Input(WORKFLOW_END, "value"),
    Input(WORKFLOW_LEVEL, "value"), Input(WORKFLOW_DEPARTMENT, "value"),
    Input(WORKFLOW_METRIC, "value"), Input(ids.GENERATION, "data"),
    output=dict(
        period=Output(WORKFLOW_PERIOD, "children"),
        accepted=Output(WORKFLOW_ACCEPTED, "children"), due=Output(WORKFLOW_DUE, "children"),
        closure=Output(WORKFLOW_CLOSURE, "children"), on_time=Output(WORKFLOW_ON_TIME, "children"),
        rework=Output(WORKFLOW_REWORK, "children"), extension=Output(WORKFLOW_EXTENSION, "children"),
        stages=Output(WORKFLOW_STAGES, "figure"),
        area_bars=Output(WORKFLOW_AREA_BARS, "figure"), area_table=Output(WORKFLOW_AREA_TABLE, "rowData"),
        department_bars=Output(WORKFLOW_DEPT_BARS, "figure"),
        department_table=Output(WORKFLOW_DEPT_TABLE, "rowData"),
        area_size=Output(WORKFLOW_AREA_TABLE, "columnSize"), department_size=Output(WORKFLOW_DEPT_TABLE, "columnSize"),
    ),
)
def refresh_workflow(area, start, end, level, department, metric, _generation):
    return {**workflow_view(warehouse(), viewer_scope(), area, start, end, level, department, metric),
            "area_size": AUTO_SIZE, "department_size": AUTO_SIZE}


COUNTERS = ("accepted", "due", "closure", "on_time", "rework", "extension")


@view
def workflow_view(wh: Snapshot, viewer: Scope, area, start, end, level, department, metric) -> dict:
    scope, start_m, end_m, level, department, metric = resolve(
        wh, viewer, area, start, end, level, department, metric)
    if start_m is None:                      # no case at all in the jurisdiction
        nothing = fig.empty()
        return dict(period="无数据", **dict.fromkeys(COUNTERS, "—"), stages=nothing, area_bars=nothing,
                    area_table=[], department_bars=nothing, department_table=[])
    t = q.totals(wh, scope, start_m, end_m)
    stages = q.stage_times(wh, scope, start_m, end_m, department)
    by_area = q.area_kpis(wh, scope, level, start_m, end_m)
    by_dept = q.department_kpis(wh, scope, start_m, end_m)
    span = _month_label(start_m) if start_m == end_m else f"{_month_label(start_m)}至{_month_label(end_m)}"
    period = (f"{areas.name_of(wh, viewer, scope.code)} · {span}"
              "（考核指标按处置时限所在月份统计；环节时效按结案时间统计）")
    return dict(period=period, accepted=f"{t['accepted']:,}", due=f"{t['due']:,}",
                closure=_pct_text(t["closed"], t["due"]), on_time=_pct_text(t["closed_on_time"], t["due"]),
                rework=_pct_text(t["reworked"], t["due"]), extension=_pct_text(t["extended"], t["due"]),
                stages=fig.stage_times(stages),
                area_bars=fig.kpi_bars(by_area, metric), area_table=records(by_area),
                department_bars=fig.kpi_bars(by_dept, metric), department_table=records(by_dept))


def _triggered_id():
    """The input that fired the callback (None when called outside Dash, as in tests)."""
    try:
        return ctx.triggered_id
    except MissingCallbackContextException:
        return None


@callback(
    Input(WORKFLOW_AREA, "value"), Input(WORKFLOW_DEPARTMENT, "value"),
    Input(WORKFLOW_OVERDUE_PREV, "n_clicks"), Input(WORKFLOW_OVERDUE_NEXT, "n_clicks"),
    Input(ids.GENERATION, "data"), State(WORKFLOW_OVERDUE_PAGE, "data"),
    output=dict(rows=Output(WORKFLOW_OVERDUE, "rowData"), size=Output(WORKFLOW_OVERDUE, "columnSize"), pages=Output(WORKFLOW_OVERDUE_PAGES, "children"),
                page=Output(WORKFLOW_OVERDUE_PAGE, "data"), total=Output(WORKFLOW_OVERDUE_TOTAL, "children")),
)
def overdue_page(area, department, _prev, _next, _generation, page):
    """One page of the overdue list, read from the warehouse: a new filter starts at the first."""
    trigger = _triggered_id()
    page = 0 if trigger in (WORKFLOW_AREA, WORKFLOW_DEPARTMENT) else \
        page_asked(trigger, WORKFLOW_OVERDUE_PREV, WORKFLOW_OVERDUE_NEXT, page)
    rows, pages, page, total = overdue_view(warehouse(), viewer_scope(), area, department, page,
                                            OVERDUE_PAGE_SIZE)
    return dict(rows=rows, size=AUTO_SIZE, pages=f"第 {page + 1} / {pages} 页", page=page, total=total)


@view
def overdue_view(wh: Snapshot, viewer: Scope, area, department, page, page_size) -> tuple:
    scope, _start, _end, _level, department, _metric = resolve(
        wh, viewer, area, None, None, None, department)
    size = page_size if isinstance(page_size, int) and 0 < page_size <= 100 else OVERDUE_PAGE_SIZE
    total = q.overdue_count(wh, scope, department)
    pages = max(1, -(-total // size))
    page = 0 if not isinstance(page, int) or page < 0 else min(page, pages - 1)
    rows = q.overdue(wh, scope, page, size, department)
    rows["deadline"] = rows["deadline"].dt.strftime("%Y-%m-%d %H:%M")
    note = (f"共 {total:,} 件超期未处置（处置时限已过且尚未处置完毕），按超期时长排序"
            if total else "无数据（没有超期在办案件）")
    return records(rows), pages, page, note
