"""事件查询: find events by period, area, category, source, status and department; a server-side
paged and sorted table, events per day, and CSV / Excel export of exactly the filtered rows."""
from __future__ import annotations

import json
import math

import dash
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from cockpit import ids
from cockpit.auth import audit
from cockpit.cache import cache, view
from cockpit.components.counter import panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.components.table import AUTO_SIZE, column, grid, page_asked, pager, sort_of
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures.explorer import daily_bars
from cockpit.options import area_options
from cockpit.queries import explorer as q
from cockpit.queries.filters import last_days
from cockpit.scope import Scope

dash.register_page(__name__, path="/explorer", name="事件查询", title="网格治理数字驾驶舱 · 事件查询",
                   order=7)

EXPLORER_PERIOD = "explorer-period"
EXPLORER_AREA = "explorer-area"
EXPLORER_CLASS = "explorer-class"
EXPLORER_SUBCLASS = "explorer-subclass"
EXPLORER_SOURCE = "explorer-source"
EXPLORER_STATUS = "explorer-status"
EXPLORER_DEPARTMENT = "explorer-department"
EXPLORER_COUNT = "explorer-count"
EXPLORER_TABLE = "explorer-table"
EXPLORER_EMPTY = "explorer-empty"
EXPLORER_CHART = "explorer-chart"
EXPLORER_CSV = "explorer-csv"
EXPLORER_XLSX = "explorer-xlsx"
EXPLORER_DOWNLOAD = "explorer-download"
EXPLORER_EXPORT_NOTE = "explorer-export-note"
EXPLORER_PAGE = "explorer-page"          # {"page": shown page (0-based), "sort": [column, descending]}
EXPLORER_PREV = "explorer-prev"
EXPLORER_NEXT = "explorer-next"
EXPLORER_PAGES = "explorer-pages"

_VALUE_FILTERS = ((EXPLORER_SOURCE, "来源", "source"), (EXPLORER_STATUS, "状态", "status"),
                  (EXPLORER_DEPARTMENT, "处置部门", "department"))


DROPDOWN_LABELS = {"search": "搜索", "clear_search": "清除搜索", "clear_selection": "清除选择",
                   "no_options_found": "无匹配项", "select_all": "全选", "deselect_all": "全不选"}


def _dropdown(component_id: str, placeholder: str = "全部", clearable: bool = True) -> dcc.Dropdown:
    return dcc.Dropdown(id=component_id, options=[], placeholder=placeholder, clearable=clearable,
                        labels=DROPDOWN_LABELS, className="explorer-dropdown")


def layout(**_query):
    # Options and the default period come from the warehouse in fill_filters (a callback), so the
    # layout itself never touches the data.
    return html.Div([
        html.Div([
            labelled("上报日期", dcc.DatePickerRange(
                id=EXPLORER_PERIOD, display_format="YYYY-MM-DD", month_format="YYYY年M月", first_day_of_week=1,
                start_date_placeholder_text="开始日期", end_date_placeholder_text="结束日期"),
                "filter explorer-period"),
            labelled("区域", _dropdown(EXPLORER_AREA, "本辖区", clearable=False), "filter explorer-area"),
            labelled("大类", _dropdown(EXPLORER_CLASS)),
            labelled("小类", _dropdown(EXPLORER_SUBCLASS)),
            *[labelled(label, _dropdown(cid)) for cid, label, _ in _VALUE_FILTERS],
        ], className="filters explorer-filters"),
        html.Div([
            html.Div("—", id=EXPLORER_COUNT, className="explorer-count"),
            html.Div(id=EXPLORER_EXPORT_NOTE, className="explorer-export-note"),
            html.Button("导出 CSV", id=EXPLORER_CSV, className="explorer-button", n_clicks=0),
            html.Button("导出 Excel", id=EXPLORER_XLSX, className="explorer-button", n_clicks=0),
            dcc.Download(id=EXPLORER_DOWNLOAD),
        ], className="explorer-toolbar"),
        panel("每日事件数", graph(EXPLORER_CHART, "事件查询_每日事件数", "chart explorer-chart")),
        panel("事件列表", _events_table(),
              pager(EXPLORER_PREV, EXPLORER_NEXT, EXPLORER_PAGES), dcc.Store(id=EXPLORER_PAGE),
              html.Div("无数据：没有符合筛选条件的事件", id=EXPLORER_EMPTY, className="empty-note",
                       style={"display": "none"}), class_name="explorer-table-panel"),
    ], className="explorer")


def _events_table():
    """One page of events as the server sorted it: a click on a header asks the server (its column
    state is an input); the grid's own sort keeps the server's order (every comparison equal)."""
    sort_column, descending = q.DEFAULT_SORT
    return grid(EXPLORER_TABLE,
                [column(cid, header, **({"fill": 200} if cid == "address" else {"maxWidth": 260}),
                        **({"sort": "desc" if descending else "asc"} if cid == sort_column else {}))
                 for cid, header in q.COLUMNS.items()],
                sortable=True, noted=True, column_options={"comparator": {"function": "0"}})


@cache.memoize()
def _allowed(wh: Snapshot, scope: Scope):
    """The whitelist of filter values: three DISTINCTs over the events, once per generation."""
    return q.values(wh, scope)


@cache.memoize()
def _options(allowed, kind: str, parent: str | None = None) -> list[dict]:
    rows = allowed[allowed["kind"] == kind]
    if parent is not None:
        rows = rows[rows["parent"] == parent]
    return [{"label": r.label, "value": r.value} for r in rows.itertuples()]


@callback(
    Input(ids.GENERATION, "data"),
    State(EXPLORER_AREA, "value"), State(EXPLORER_PERIOD, "start_date"),
    output=dict(
        areas=Output(EXPLORER_AREA, "options"), area=Output(EXPLORER_AREA, "value"),
        classes=Output(EXPLORER_CLASS, "options"),
        **{kind: Output(cid, "options") for cid, _, kind in _VALUE_FILTERS},
        start=Output(EXPLORER_PERIOD, "start_date"), end=Output(EXPLORER_PERIOD, "end_date"),
        last_day=Output(EXPLORER_PERIOD, "max_date_allowed"),
    ),
)
def fill_filters(_generation, area, start):
    """Options from the served generation; the default period (last 30 days up to the data's
    as-of day) only when none is chosen yet, so a new generation keeps the viewer's choice."""
    wh, scope = warehouse(), viewer_scope()
    allowed = _allowed(wh, scope)
    end_day = q.as_of_day(wh)
    if start is None:
        default = last_days(end_day, q.DEFAULT_DAYS)
        period = {"start": default.first_day.isoformat(), "end": default.last_day.isoformat()}
    else:
        period = {"start": no_update, "end": no_update}
    return dict(areas=area_options(wh, scope), area=no_update if area else scope.code,
                classes=_options(allowed, "class"),
                **{kind: _options(allowed, kind) for _, _, kind in _VALUE_FILTERS},
                **period, last_day=end_day.isoformat())


@callback(
    Output(EXPLORER_SUBCLASS, "options"), Output(EXPLORER_SUBCLASS, "value"),
    Input(EXPLORER_CLASS, "value"), State(EXPLORER_SUBCLASS, "value"),
)
def fill_subclasses(class_code, subclass):
    """Subclasses of the chosen class (all when none); a subclass of another class is cleared."""
    allowed = _allowed(warehouse(), viewer_scope())
    options = _options(allowed, "subclass", class_code) if class_code else _options(allowed, "subclass")
    keep = subclass if subclass in {o["value"] for o in options} else None
    return options, keep


def _cleaned(wh: Snapshot, viewer: Scope, start, end, area, class_code, subclass, source, status,
             department):
    """(narrowed scope, cleaned filter) from what the browser sent."""
    raw = {"start_day": start, "end_day": end, "class_code": class_code, "subclass_code": subclass,
           "source": source, "status": status, "department": department}
    return viewer.narrow(area), q.clean_filter(wh, viewer, raw, _allowed(wh, viewer))


def _sort(column_state) -> tuple[str, bool]:
    """The table's sort (its column state), or the default when none is set or the column is not
    whitelisted."""
    try:
        return q.check_sort(*sort_of(column_state))
    except (TypeError, ValueError):
        return q.DEFAULT_SORT


_FILTER_INPUTS = [Input(EXPLORER_PERIOD, "start_date"), Input(EXPLORER_PERIOD, "end_date"),
                  Input(EXPLORER_AREA, "value"), Input(EXPLORER_CLASS, "value"),
                  Input(EXPLORER_SUBCLASS, "value"), Input(EXPLORER_SOURCE, "value"),
                  Input(EXPLORER_STATUS, "value"), Input(EXPLORER_DEPARTMENT, "value")]


def _area_name(wh: Snapshot, viewer: Scope, scope: Scope) -> str:
    labels = {o["value"]: o["label"].strip("\u3000") for o in area_options(wh, viewer)}
    return labels.get(scope.code, scope.name)


def table_view(start, end, area, class_code, subclass, source, status, department,
               page_current, sort_by) -> dict:
    """The table's page, its page label and stored page, the count line, the chart and the empty
    note's style."""
    return _table_view(warehouse(), viewer_scope(), start, end, area, class_code, subclass, source,
                       status, department, page_current, _sort(sort_by))


@view
def _table_view(wh: Snapshot, viewer: Scope, start, end, area, class_code, subclass, source, status,
                department, page_current, sort: tuple[str, bool]) -> dict:
    scope, f = _cleaned(wh, viewer, start, end, area, class_code, subclass, source, status, department)
    per_day = q.daily(wh, scope, f)
    total = int(per_day["events"].sum())
    pages = max(1, math.ceil(total / q.PAGE_SIZE))
    page = min(max(page_current if isinstance(page_current, int) else 0, 0), pages - 1)
    frame = q.rows(wh, scope, f, sort, limit=q.PAGE_SIZE, offset=page * q.PAGE_SIZE)
    line = (f"{_area_name(wh, viewer, scope)} · {f.window.first_day:%Y-%m-%d} 至 {f.window.last_day:%Y-%m-%d}"
            f" · 共 {total:,} 条事件 · 第 {page + 1}/{pages} 页")
    empty_style = {"display": "block"} if total == 0 else {"display": "none"}
    return dict(rows=q.display(frame).to_dict("records"), pages=f"第 {page + 1} / {pages} 页",
                page={"page": page, "sort": list(sort)}, count=line, chart=daily_bars(per_day), empty=empty_style)


def page_wanted(triggered: set[str], shown, sort_by) -> int:
    """The page to show: paging, a new generation or a column state that keeps the sort (a column
    resized) keep the page shown or step from it; a new filter or sort starts at the first page."""
    shown = shown if isinstance(shown, dict) else {}
    keeps = {f"{EXPLORER_PREV}.n_clicks", f"{EXPLORER_NEXT}.n_clicks", f"{ids.GENERATION}.data",
             f"{EXPLORER_TABLE}.columnState"}
    same_sort = list(_sort(sort_by)) == shown.get("sort")
    if not (triggered <= keeps and (same_sort or f"{EXPLORER_TABLE}.columnState" not in triggered)):
        return 0
    return page_asked(triggered, EXPLORER_PREV, EXPLORER_NEXT, shown.get("page"))


@callback(
    *_FILTER_INPUTS,
    Input(EXPLORER_PREV, "n_clicks"), Input(EXPLORER_NEXT, "n_clicks"), Input(EXPLORER_TABLE, "columnState"),
    Input(ids.GENERATION, "data"), State(EXPLORER_PAGE, "data"),
    output=dict(
        rows=Output(EXPLORER_TABLE, "rowData"), size=Output(EXPLORER_TABLE, "columnSize"), pages=Output(EXPLORER_PAGES, "children"),
        page=Output(EXPLORER_PAGE, "data"), count=Output(EXPLORER_COUNT, "children"),
        chart=Output(EXPLORER_CHART, "figure"), empty=Output(EXPLORER_EMPTY, "style"),
    ),
)
def update_table(start, end, area, class_code, subclass, source, status, department,
                 _prev, _next, sort_by, _generation, shown):
    page = page_wanted(set(ctx.triggered_prop_ids), shown, sort_by)
    # the columns are measured on the first answer only: measuring changes the column state, an
    # input here (a sort), so measuring on every answer would ask again and again
    return {**table_view(start, end, area, class_code, subclass, source, status, department, page, sort_by),
            "size": AUTO_SIZE if shown is None else no_update}


@callback(
    Output(EXPLORER_DOWNLOAD, "data"), Output(EXPLORER_EXPORT_NOTE, "children"),
    Input(EXPLORER_CSV, "n_clicks"), Input(EXPLORER_XLSX, "n_clicks"),
    *[State(i.component_id, i.component_property) for i in _FILTER_INPUTS],
    State(EXPLORER_TABLE, "columnState"),
    prevent_initial_call=True,
)
def export(_csv, _xlsx, start, end, area, class_code, subclass, source, status, department, sort_by):
    fmt = "xlsx" if ctx.triggered_id == EXPLORER_XLSX else "csv"
    return export_file(fmt, start, end, area, class_code, subclass, source, status, department, sort_by)


def export_file(fmt, start, end, area, class_code, subclass, source, status, department, sort_by):
    """Every filtered row in the table's order and columns; refused beyond the format's cap."""
    wh = warehouse()
    scope, f = _cleaned(wh, viewer_scope(), start, end, area, class_code, subclass, source, status,
                        department)
    total = q.count(wh, scope, f)
    if total == 0:
        return no_update, "无数据：没有可导出的事件"
    if total > q.EXPORT_CAP:
        return no_update, (f"筛选结果 {total:,} 条，超过导出上限 {q.EXPORT_CAP:,} 条，"
                           "请缩小日期范围或增加筛选条件后再导出")
    if fmt == "xlsx" and total > q.XLSX_CAP:
        return no_update, (f"筛选结果 {total:,} 条，超过 Excel 导出上限 {q.XLSX_CAP:,} 条，"
                           f"请导出 CSV（上限 {q.EXPORT_CAP:,} 条）或缩小筛选范围")
    frame = q.export_rows(wh, scope, f, _sort(sort_by))
    name = f"事件查询_{f.window.first_day:%Y%m%d}-{f.window.last_day:%Y%m%d}"
    encode = q.xlsx_bytes if fmt == "xlsx" else q.csv_bytes
    audit("export", "/explorer", f"{name}.{fmt} · {len(frame):,} 条 · {scope.code} · "
                                 f"{json.dumps(f.params(), ensure_ascii=False, default=str)}")
    return dcc.send_bytes(encode(frame), f"{name}.{fmt}"), f"已导出 {len(frame):,} 条"
