"""流转时效: how long each workflow stage takes, GB/T 30428 KPIs and rankings per area and
department for a period of months, and the list of open cases past their deadline."""
from __future__ import annotations

import datetime as dt

import dash
from dash import Input, Output, State, callback, ctx, dash_table, dcc, html, no_update
from dash.dash_table import FormatTemplate
from dash.dash_table.Format import Format, Scheme
from dash.exceptions import MissingCallbackContextException

from cockpit import ids
from cockpit.cache import view
from cockpit.components.counter import counter, panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.components.table import records
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

LEVEL_OPTIONS = [{"label": LEVEL_NAMES[lv], "value": lv} for lv in q.LEVELS]
METRIC_OPTIONS = [{"label": label, "value": key} for key, (label, _) in fig.METRICS.items()]
DEFAULT_METRIC = "score"
OVERDUE_PAGE_SIZE = 10
SCORE_NOTE = ("综合得分 = 100 ×（0.4×按期结案率 + 0.3×结案率 + 0.15×(1−返工率) + 0.15×(1−延期率)），"
              "按得分降序排名（同分同名次），无应结案的不参与排名。各率分母均为应结案数（期限落在所选月份内、"
              "截至数据时点的已立案案件，GB/T 30428）。")

_pct = FormatTemplate.percentage(2)
_score = Format(precision=2, scheme=Scheme.fixed)
KPI_COLUMNS = [
    {"name": "名次", "id": "rank", "type": "numeric"},
    {"name": "名称", "id": "name", "type": "text"},
    {"name": "立案数", "id": "accepted", "type": "numeric"},
    {"name": "应结案", "id": "due", "type": "numeric"},
    {"name": "结案", "id": "closed", "type": "numeric"},
    {"name": "按期结案", "id": "closed_on_time", "type": "numeric"},
    {"name": "结案率", "id": "closure_rate", "type": "numeric", "format": _pct},
    {"name": "按期结案率", "id": "on_time_rate", "type": "numeric", "format": _pct},
    {"name": "返工率", "id": "rework_rate", "type": "numeric", "format": _pct},
    {"name": "延期率", "id": "extension_rate", "type": "numeric", "format": _pct},
    {"name": "综合得分", "id": "score", "type": "numeric", "format": _score},
]
OVERDUE_COLUMNS = [
    {"name": "事件编号", "id": "event_id"}, {"name": "大类", "id": "class_name"},
    {"name": "小类", "id": "subclass_name"}, {"name": "网格", "id": "grid_name"},
    {"name": "社区", "id": "community_name"}, {"name": "责任部门", "id": "department"},
    {"name": "处置时限", "id": "deadline"}, {"name": "超期（小时）", "id": "hours_overdue"},
]
TABLE_STYLE = dict(
    style_table={"overflowX": "auto"},
    style_cell={"fontFamily": "inherit", "fontSize": "13px", "padding": "4px 8px",
                "textAlign": "right", "whiteSpace": "nowrap"},
    style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "left"}
                            for c in ("name", "event_id", "class_name", "subclass_name",
                                      "grid_name", "community_name", "department", "deadline")],
    style_header={"fontWeight": "bold"},
)


def _kpi_table(table_id: str) -> dash_table.DataTable:
    return dash_table.DataTable(id=table_id, columns=KPI_COLUMNS, data=[], sort_action="native",
                                page_action="native", page_size=12, cell_selectable=False,
                                **TABLE_STYLE)


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
                  dash_table.DataTable(id=WORKFLOW_OVERDUE, columns=OVERDUE_COLUMNS, data=[],
                                       page_action="custom", page_current=0,
                                       page_size=OVERDUE_PAGE_SIZE, page_count=1,
                                       cell_selectable=False, **TABLE_STYLE)),
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
        area_bars=Output(WORKFLOW_AREA_BARS, "figure"), area_table=Output(WORKFLOW_AREA_TABLE, "data"),
        department_bars=Output(WORKFLOW_DEPT_BARS, "figure"),
        department_table=Output(WORKFLOW_DEPT_TABLE, "data"),
    ),
)
def refresh_workflow(area, start, end, level, department, metric, _generation):
    return workflow_view(warehouse(), viewer_scope(), area, start, end, level, department, metric)


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
    Output(WORKFLOW_OVERDUE, "data"), Output(WORKFLOW_OVERDUE, "page_count"),
    Output(WORKFLOW_OVERDUE, "page_current"), Output(WORKFLOW_OVERDUE_TOTAL, "children"),
    Input(WORKFLOW_AREA, "value"), Input(WORKFLOW_DEPARTMENT, "value"),
    Input(WORKFLOW_OVERDUE, "page_current"), Input(WORKFLOW_OVERDUE, "page_size"),
    Input(ids.GENERATION, "data"),
)
def overdue_page(area, department, page, page_size, _generation):
    """One page of the overdue list, read from the warehouse (page_action='custom')."""
    filters_changed = _triggered_id() in (WORKFLOW_AREA, WORKFLOW_DEPARTMENT)
    return overdue_view(warehouse(), viewer_scope(), area, department,
                        0 if filters_changed else page, page_size)


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
