"""事件热力: where (hexagon density) and when (weekday × hour, calendar) events are reported,
for a period, an event category and an area of the viewer's jurisdiction."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit import geometry, ids
from cockpit.cache import cache, view
from cockpit.components.counter import panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.context import layout_area, viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import heatmap as fig
from cockpit.options import area_options
from cockpit.queries import areas, heatmap as q
from cockpit.queries.filters import EventFilter, last_days
from cockpit.scope import Scope

dash.register_page(__name__, path="/heatmap", name="事件热力", title="网格治理数字驾驶舱 · 事件热力",
                   order=2)

HEATMAP_PRESET = "heatmap-preset"
HEATMAP_RANGE = "heatmap-range"
HEATMAP_CLASS = "heatmap-class"
HEATMAP_SUBCLASS = "heatmap-subclass"
HEATMAP_AREA = "heatmap-area"
HEATMAP_TOTAL = "heatmap-total"
HEATMAP_DETAIL = "heatmap-detail"
HEATMAP_HEX_MAP = "heatmap-hex-map"
HEATMAP_WEEKDAY_HOUR = "heatmap-weekday-hour"
HEATMAP_CALENDAR = "heatmap-calendar"

CUSTOM = "custom"
PRESET_OPTIONS = [{"label": "近7日", "value": "7"}, {"label": "近30日", "value": "30"},
                  {"label": "近90日", "value": "90"}, {"label": "近一年", "value": "365"},
                  {"label": "自定义", "value": CUSTOM}]
DEFAULT_PRESET = "30"

def layout(**_query):
    return html.Div([
        html.Div([
            labelled("时段", dcc.RadioItems(PRESET_OPTIONS, DEFAULT_PRESET, id=HEATMAP_PRESET,
                                          inline=True, className="heatmap-presets")),
            labelled("起止日期", dcc.DatePickerRange(id=HEATMAP_RANGE, display_format="YYYY-MM-DD",
                                                first_day_of_week=1, minimum_nights=0,
                                                start_date_placeholder_text="开始日期",
                                                end_date_placeholder_text="结束日期")),
            labelled("事件大类", dcc.Dropdown(id=HEATMAP_CLASS, placeholder="全部大类",
                                         className="heatmap-dropdown")),
            labelled("事件小类", dcc.Dropdown(id=HEATMAP_SUBCLASS, placeholder="全部小类",
                                         className="heatmap-dropdown")),
            labelled("区域", dcc.Dropdown(id=HEATMAP_AREA, value=layout_area(), clearable=False,
                                       className="heatmap-dropdown heatmap-area")),
        ], className="filters heatmap-filters"),
        html.Div([
            html.Span("所选条件下事件", className="heatmap-total-label"),
            html.Span("—", id=HEATMAP_TOTAL, className="heatmap-total"),
            html.Span("件", className="heatmap-total-unit"),
            html.Span(id=HEATMAP_DETAIL, className="heatmap-detail"),
        ], className="heatmap-totals"),
        html.Div([
            panel("事件空间密度（六边形分箱）", graph(HEATMAP_HEX_MAP, "事件空间密度",
                                               class_name="chart heatmap-map")),
            panel("星期 × 时段分布（上报时间）", graph(HEATMAP_WEEKDAY_HOUR, "星期时段热力",
                                             class_name="chart heatmap-weekday-hour")),
        ], className="heatmap-grid"),
        panel("日历热力（每日事件数）", graph(HEATMAP_CALENDAR, "日历热力",
                                      class_name="chart heatmap-calendar")),
    ], className="heatmap-page")


@cache.memoize()
def _categories(wh: Snapshot, scope: Scope):
    return q.categories(wh, scope)


@callback(Output(HEATMAP_CLASS, "options"), Output(HEATMAP_AREA, "options"),
          Output(HEATMAP_AREA, "value"), Output(HEATMAP_RANGE, "min_date_allowed"),
          Output(HEATMAP_RANGE, "max_date_allowed"),
          Input(ids.GENERATION, "data"), State(HEATMAP_AREA, "value"))
def filter_options(_generation, area):
    """Options from the served generation; the area keeps its value unless it left the scope."""
    scope = viewer_scope()
    classes, choices, first, as_of = choices_view(warehouse(), scope)
    value = area if area in {o["value"] for o in choices} else scope.code
    return classes, choices, no_update if value == area else value, first, as_of


@view
def choices_view(wh: Snapshot, scope: Scope) -> tuple:
    """Classes, areas and the days a period may cover: once per generation and scope."""
    cats = _categories(wh, scope).drop_duplicates("class_code")
    first, as_of = q.span(wh, scope)
    return ([{"label": r.class_name, "value": r.class_code} for r in cats.itertuples()],
            area_options(wh, scope), first.isoformat() if first else None,
            as_of.isoformat() if as_of else None)


@callback(Output(HEATMAP_SUBCLASS, "options"), Output(HEATMAP_SUBCLASS, "value"),
          Input(HEATMAP_CLASS, "value"), Input(HEATMAP_SUBCLASS, "value"))
def subclass_options(class_code, subclass_code):
    """小类 of the chosen 大类 (all of them when none is chosen); a 小类 of another 大类 is cleared."""
    cats = _categories(warehouse(), viewer_scope())
    if class_code:
        cats = cats[cats["class_code"] == class_code]
    options = [{"label": r.subclass_name, "value": r.subclass_code} for r in cats.itertuples()]
    keep = subclass_code in set(cats["subclass_code"])
    return options, no_update if keep or subclass_code is None else None


@callback(Output(HEATMAP_PRESET, "value"), Output(HEATMAP_RANGE, "start_date"),
          Output(HEATMAP_RANGE, "end_date"),
          Input(HEATMAP_PRESET, "value"), Input(HEATMAP_RANGE, "start_date"),
          Input(HEATMAP_RANGE, "end_date"), Input(ids.GENERATION, "data"))
def sync_period(preset, start, end, _generation):
    return period_update(ctx.triggered_id, preset, start, end)


def period_update(trigger, preset, start, end):
    """A preset sets the dates (relative to the data's as-of day, so a new generation moves
    them); picking dates by hand switches to 自定义."""
    if trigger == HEATMAP_RANGE:
        return (CUSTOM if preset != CUSTOM else no_update), no_update, no_update
    if preset not in q.PRESETS:
        return no_update, no_update, no_update
    _first, as_of = q.span(warehouse(), viewer_scope())
    if as_of is None:
        return no_update, no_update, no_update
    period = last_days(as_of, q.PRESETS[preset])
    s, e = period.first_day.isoformat(), period.last_day.isoformat()
    return no_update, (s if s != start else no_update), (e if e != end else no_update)


def _describe(f: EventFilter, cats, area_name: str) -> str:
    if f.subclass_code:
        cat = cats.loc[cats["subclass_code"] == f.subclass_code, "subclass_name"].iloc[0]
    elif f.class_code:
        cat = cats.loc[cats["class_code"] == f.class_code, "class_name"].iloc[0] + "（全部小类）"
    else:
        cat = "全部类别"
    w = f.window
    return f"{w.first_day:%Y-%m-%d} 至 {w.last_day:%Y-%m-%d}（{w.days} 天）· {area_name} · {cat}"


@callback(Output(HEATMAP_TOTAL, "children"), Output(HEATMAP_DETAIL, "children"),
          Output(HEATMAP_HEX_MAP, "figure"), Output(HEATMAP_WEEKDAY_HOUR, "figure"),
          Output(HEATMAP_CALENDAR, "figure"),
          Input(HEATMAP_RANGE, "start_date"), Input(HEATMAP_RANGE, "end_date"),
          Input(HEATMAP_CLASS, "value"), Input(HEATMAP_SUBCLASS, "value"),
          Input(HEATMAP_AREA, "value"), Input(ids.GENERATION, "data"))
def refresh_heatmap(start, end, class_code, subclass_code, area, _generation):
    if not start and not end:       # first render: sync_period fills the dates, then we run
        raise PreventUpdate
    return heatmap_view(warehouse(), viewer_scope(), start, end, class_code, subclass_code, area)


@view
def heatmap_view(wh: Snapshot, viewer: Scope, start, end, class_code, subclass_code, area) -> tuple:
    scope = viewer.narrow(area)                   # a code from the browser only ever narrows
    scope = Scope(scope.code, areas.name_of(wh, viewer, scope.code))
    cats = _categories(wh, viewer)
    _first, as_of = q.span(wh, viewer)
    if as_of is None:                             # a warehouse without events
        return "0", "无数据（暂无事件）", fig.empty(), fig.empty(), fig.empty()
    f = q.make_filter(cats, as_of, start, end, class_code, subclass_code)
    n = q.total(wh, scope, f)
    where = _describe(f, cats, scope.name)
    if n["events"] == 0:
        return "0", f"{where} · {fig.NO_DATA}", fig.empty(), fig.empty(), fig.empty()
    unplaced = n["events"] - n["located"]
    detail = (f"{where} · 日均 {n['events'] / f.window.days:,.1f} 件"
              + (f" · 其中 {unplaced:,} 件无坐标，未上图" if unplaced else ""))
    grid = geometry.hex_grid(wh, scope.code)      # None: the area has no polygons to bin within
    bins = q.hexbins(wh, scope, f, grid) if grid else None
    hex_fig = (fig.hex_map(bins, geometry.url(wh, geometry.HEX, scope.code),
                           geometry.outlines(wh, scope.code), grid.width_m)
               if bins is not None and len(bins) else fig.empty("无数据（所选事件均无坐标）"))
    return (f"{n['events']:,}", detail, hex_fig, fig.weekday_hour(q.weekday_hour(wh, scope, f)),
            fig.calendar(q.daily(wh, scope, f)))
