"""网格地图: drill down district → street → community → grid on a choropleth of a chosen metric.

The drill position lives in the browser (a dcc.Store) but is only a request: every callback
narrows it with viewer_scope().narrow, so a forged code can never widen the view. The figure
names its polygons by URL (cockpit/geometry.py, fetched and kept by the browser); a change of
metric or period sends a Patch with values only.

A grid is the last level of areas: drilled into (or signed in as its grid worker) the map shows the
period's events as points on the grid's own polygon, with the grid's numbers and its open items,
overdue first, beside it (what a grid worker works with)."""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit import geometry, ids
from cockpit.cache import view
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import grid_map as fig
from cockpit.figures.area_map import event_points
from cockpit.pages.screen import deadline_text
from cockpit.queries import grid_map as q, screen as screen_q
from cockpit.scope import Scope
from warehouse.areas import LEVEL_NAMES, LEVEL_OF_LENGTH

dash.register_page(__name__, path="/map", name="网格地图", title="网格治理数字驾驶舱 · 网格地图",
                   order=1)

GRID_MAP_POSITION = "grid-map-position"   # the drill position the browser asks for (a request)
GRID_MAP_DRAWN = "grid-map-drawn"         # which geometry the graph holds: generation|scope|position
GRID_MAP_METRIC = "grid-map-metric"
GRID_MAP_PERIOD = "grid-map-period"
GRID_MAP_CRUMBS = "grid-map-crumbs"
GRID_MAP_CRUMB = "grid-map-crumb"         # pattern-matching type of one breadcrumb button
GRID_MAP_TITLE = "grid-map-title"
GRID_MAP_GRAPH = "grid-map-graph"
GRID_MAP_NOTE = "grid-map-note"
GRID_MAP_RANKING = "grid-map-ranking"

PERIODS = {"7": ("近7日", 7), "30": ("近30日", 30), "90": ("近90日", 90), "365": ("近一年", 365)}
DEFAULT_METRIC, DEFAULT_PERIOD = "events", "30"
RANKING_ROWS = 15
OPEN_ROWS = 12            # a grid's open items listed beside its map


def _chips(component_id: str, options: dict, value: str) -> dcc.RadioItems:
    return dcc.RadioItems(id=component_id, options=[{"label": v, "value": k} for k, v in options.items()],
                          value=value, inline=True, className="grid-map-chips")


def layout(**_query):
    return html.Div([
        dcc.Store(id=GRID_MAP_POSITION, data=None),
        dcc.Store(id=GRID_MAP_DRAWN, data=None),
        html.Div([
            labelled("指标", _chips(GRID_MAP_METRIC, {k: m.label for k, m in fig.METRICS.items()},
                                   DEFAULT_METRIC)),
            labelled("统计周期", _chips(GRID_MAP_PERIOD, {k: v[0] for k, v in PERIODS.items()}, DEFAULT_PERIOD)),
        ], className="filters"),
        html.Nav(id=GRID_MAP_CRUMBS, className="grid-map-crumbs"),
        html.Div([
            html.Div([html.Div(id=GRID_MAP_TITLE, className="panel-title"),
                      graph(GRID_MAP_GRAPH, "网格地图", class_name="grid-map-graph"),
                      html.Div(id=GRID_MAP_NOTE, className="grid-map-note")],
                     className="panel grid-map-panel"),
            html.Div(id=GRID_MAP_RANKING, className="panel grid-map-ranking"),
        ], className="grid-map-body"),
    ], className="grid-map")


# ---------------------------------------------------------------- drill position (server side)

def default_position(wh: Snapshot, scope: Scope) -> Scope:
    """Open at the first level with more than one area (a city scope over one district opens on
    that district's streets); never below the community (whose grids are drawn as areas)."""
    counts = q.child_counts(wh, scope)
    code = scope.code
    while len(code) < 12 and counts.get(code, (0, ""))[0] == 1:
        code = counts[code][1]
    return scope.narrow(code)


def resolve_position(wh: Snapshot, scope: Scope, requested) -> tuple[Scope, list[tuple[str, str]]]:
    """The position to show for a request from the browser, and the breadcrumb (code, name) from
    the viewer's scope down to it. Outside the scope, or not a known area: the viewer's scope."""
    position = default_position(wh, scope) if requested is None else scope.narrow(requested)
    lineage = q.lineage(wh, scope, position)
    names = dict(zip(lineage["code"], lineage["name"]))
    if position.code != scope.code and position.code not in names:
        position = scope                     # a well-formed code that names no area
    crumbs = [(scope.code, names.get(scope.code, scope.name))]
    crumbs += [(c, n) for c, n in names.items() if len(c) > len(scope.code)
               and position.code.startswith(c)]
    return Scope(position.code, crumbs[-1][1]), crumbs


# ---------------------------------------------------------------- callbacks

@callback(
    Output(GRID_MAP_POSITION, "data"),
    Input(GRID_MAP_GRAPH, "clickData"),
    Input({"type": GRID_MAP_CRUMB, "code": ALL}, "n_clicks"),
    State(GRID_MAP_POSITION, "data"),
    prevent_initial_call=True,
)
def drill(click, _crumb_clicks, requested):
    """A click on a polygon asks for that area; a breadcrumb asks for its area. Only a request:
    render() narrows it to the viewer's scope."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):            # a breadcrumb (re-rendered ones arrive with no clicks)
        if not ctx.triggered[0]["value"]:
            raise PreventUpdate
        return trigger["code"]
    points = (click or {}).get("points") or []
    code = points[0].get("location") if points else None
    if not isinstance(code, str):            # the name labels or a retired grid's mark
        raise PreventUpdate
    wh, scope = warehouse(), viewer_scope()
    position, _ = resolve_position(wh, scope, requested)
    if len(position.code) == 15 or len(code) != q.child_len(position) or not code.startswith(position.code):
        raise PreventUpdate                  # a grid shows its events; stale clicks are ignored
    return code


def _crumb_buttons(crumbs: list[tuple[str, str]]) -> list:
    out = []
    for i, (code, name) in enumerate(crumbs):
        if i:
            out.append(html.Span("›", className="grid-map-crumb-sep"))
        last = i == len(crumbs) - 1
        out.append(html.Button(name, id={"type": GRID_MAP_CRUMB, "code": code}, n_clicks=0,
                               disabled=last, className="grid-map-crumb" + (" is-current" if last else "")))
    return out


def _summary(frame) -> dict:
    """The position's totals: counts summed over its rows, rates recomputed from the sums."""
    events, residents = int(frame["events"].sum()), int(frame["residents"].fillna(0).sum())
    rated = int(frame["rated"].sum())
    return {
        "events": events, "open": int(frame["open"].sum()),
        "overdue_open": int(frame["overdue_open"].sum()), "needs_open": int(frame["needs_open"].sum()),
        "elderly_alone": int(frame["elderly_alone"].fillna(0).sum()),
        "events_per_1000": 1000 * events / residents if residents else None,
        "satisfaction": 100 * int(frame["satisfied"].sum()) / rated if rated else None,
    }


def _ranking(frame, metric: str, period_label: str) -> list:
    m = fig.METRICS[metric]
    total = _summary(frame)[metric]
    ranked = frame.dropna(subset=[metric]).sort_values(
        [metric, "code"], ascending=[m.higher_is_better, True]).head(RANKING_ROWS)
    rows = [html.Tr([html.Td(i + 1, className="rank"),
                     html.Td(r.name + ("（已撤销）" if r.retired else "")),
                     html.Td(fig.fmt(getattr(r, metric), m.digits), className="value")])
            for i, r in enumerate(ranked.itertuples())]
    order = "最低" if m.higher_is_better else "最高"
    when = period_label if m.periodic else "当前"
    return [
        html.Div(f"{m.label}{order}（{when}）", className="panel-title"),
        html.Div([html.Span("合计", className="grid-map-total-label"),
                  html.Span(fig.fmt(total, m.digits), id="grid-map-total", className="grid-map-total"),
                  html.Span(m.unit, className="counter-unit")], className="grid-map-total-row"),
        html.Table(html.Tbody(rows), className="grid-map-table") if rows
        else html.Div("无数据", className="empty-note"),
    ]


def _note(frame, level: str, as_of, period_label: str) -> str:
    old = frame[frame["retired"]]
    text = f"绘制 {len(frame) - len(old)} 个{LEVEL_NAMES[level]}（{as_of:%Y-%m-%d} 在用版本）"
    if len(old):
        text += (f"；◆ 已撤销网格 {len(old)} 个（{period_label}事件 {int(old['events'].sum()):,} 件），"
                 "按事件发生时所在网格统计，计入上级合计")
    return text


@callback(
    Input(GRID_MAP_POSITION, "data"), Input(GRID_MAP_METRIC, "value"),
    Input(GRID_MAP_PERIOD, "value"), Input(ids.GENERATION, "data"),
    State(GRID_MAP_DRAWN, "data"),
    output=dict(
        figure=Output(GRID_MAP_GRAPH, "figure"), drawn=Output(GRID_MAP_DRAWN, "data"),
        crumbs=Output(GRID_MAP_CRUMBS, "children"), title=Output(GRID_MAP_TITLE, "children"),
        note=Output(GRID_MAP_NOTE, "children"), ranking=Output(GRID_MAP_RANKING, "children"),
    ),
)
def render(requested, metric, period, _generation, drawn):
    wh, scope = warehouse(), viewer_scope()
    v = map_view(wh, scope, requested, metric, period)
    out = {"drawn": v["key"], "crumbs": v["crumbs"], "title": v["title"], "note": v.get("note"),
           "ranking": v["ranking"]}
    if v["key"] is None:
        return {**out, "figure": fig.empty_map(), "note": "无数据"}
    if v["points"]:                   # one grid: its events; a metric change redraws nothing
        figure = no_update if drawn == v["key"] else map_figure(wh, scope, requested, metric, period)
        return {**out, "figure": figure}
    if drawn == v["key"]:             # same geometry on screen: recolour only
        patch = fig.recolour(v["frame"], v["metric"], v["period_label"])
        return {**out, "figure": patch, "drawn": no_update, "crumbs": no_update}
    return {**out, "figure": map_figure(wh, scope, requested, metric, period)}


@view
def map_view(wh: Snapshot, scope: Scope, requested, metric, period) -> dict:
    """Everything but the figure, with the metric frame the figure and a recolouring use."""
    metric = metric if metric in fig.METRICS else DEFAULT_METRIC       # whitelist browser values
    period_label, days = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    position, crumbs = resolve_position(wh, scope, requested)
    level = LEVEL_OF_LENGTH[q.child_len(position)]
    frame = q.metrics(wh, position, days)
    if len(position.code) == 15:
        return grid_view(wh, position, crumbs, frame, metric, period_label, days)
    m = fig.METRICS[metric]
    v = {"metric": metric, "period_label": period_label, "level": level, "position": position.code,
         "frame": frame, "crumbs": _crumb_buttons(crumbs), "key": None, "points": False,
         "title": f"{position.name} · 各{LEVEL_NAMES[level]}{m.label}"
                  f"（{period_label if m.periodic else '当前登记'}）",
         "ranking": _ranking(frame, metric, period_label)}
    if frame.empty:
        return v
    frame["parent_name"] = frame["parent_name"].where(frame["parent_name"] != "", scope.name)
    as_of = wh.query("SELECT as_of FROM ops.meta").iloc[0, 0]
    return {**v, "key": f"{wh.generation}|{scope.code}|{position.code}",
            "note": _note(frame, level, as_of, period_label)}


def grid_view(wh: Snapshot, grid: Scope, crumbs, frame, metric: str, period_label: str, days: int) -> dict:
    """A grid's own page of the map: its events as points, its numbers and its open items."""
    points = screen_q.event_points(wh, grid, days)
    open_items = screen_q.open_items(wh, grid, OPEN_ROWS)
    row = frame[~frame["retired"]].head(1)
    facts = [html.Tr([html.Td(m.label + ("" if m.periodic else "（当前）")),
                      html.Td(fig.fmt(row[key].iloc[0] if len(row) else None, m.digits) + " " + m.unit,
                              className="value")],
                     className="is-chosen" if key == metric else "")
             for key, m in fig.METRICS.items()]
    items = [html.Tr([html.Td(r.subclass_name), html.Td(r.department or "待派遣"),
                      html.Td(deadline_text(r.minutes_to_deadline),
                              className="value overdue" if r.overdue_open else "value")])
             for r in open_items.itertuples()]
    ranking = [
        html.Div(f"{grid.name} · 本网格指标（{period_label}）", className="panel-title"),
        html.Table(html.Tbody(facts), className="grid-map-table grid-map-facts"),
        html.Div("在办事项（超期在前）", className="panel-title grid-map-subtitle"),
        html.Table(html.Tbody(items), className="grid-map-table") if items
        else html.Div("本网格当前无在办事件", className="empty-note"),
    ]
    note = (f"{period_label}本网格上报事件 {len(points):,} 件，按办理状态着色；悬停查看事件"
            "（地址中的身份证号、手机号已脱敏）")
    return {"metric": metric, "period_label": period_label, "level": "grid", "position": grid.code,
            "frame": frame, "crumbs": _crumb_buttons(crumbs), "points": True,
            "key": f"{wh.generation}|{grid.code}|points|{days}",
            "title": f"{grid.name} · 事件分布（{period_label}）", "ranking": ranking, "note": note,
            "days": days}


@view
def map_figure(wh: Snapshot, scope: Scope, requested, metric, period) -> dict:
    v = map_view(wh, scope, requested, metric, period)
    if v["points"]:
        return event_points(screen_q.event_points(wh, Scope(v["position"], v["position"]), v["days"]),
                            [v["position"]], geometry.url(wh, "grid", v["position"]), v["days"],
                            marker_size=13)
    return fig.grid_map(v["frame"], geometry.url(wh, v["level"], v["position"]), v["metric"],
                        v["period_label"])
