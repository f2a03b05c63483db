"""总览: the first screen. Counters and the community map of events per 1,000 residents."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from cockpit import ids
from cockpit.cache import cache
from cockpit.components.counter import counter, panel
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures.community_map import community_map, shapes_geojson
from cockpit.queries import overview as q
from cockpit.scope import Scope

dash.register_page(__name__, path="/", title="网格治理数字驾驶舱 · 总览", name="总览")

WINDOW_DAYS = 30


def layout(**_query):
    return html.Div([
        html.Div([
            counter("实有人口", ids.KPI_RESIDENTS, "人"),
            counter("实有户数", ids.KPI_HOUSEHOLDS, "户"),
            counter("网格数", ids.KPI_GRIDS, "个"),
            counter(f"近{WINDOW_DAYS}日事件", ids.KPI_EVENTS_30D, "件"),
            counter(f"近{WINDOW_DAYS}日结案率", ids.KPI_CLOSURE_RATE, "%", ids.KPI_CLOSURE_DETAIL),
        ], className="counter-row"),
        panel(f"社区事件密度（近{WINDOW_DAYS}日，每千人事件数）",
              dcc.Graph(id=ids.COMMUNITY_MAP, className="map-graph",
                        config={"displayModeBar": False, "topojsonURL": "/assets/topojson/"}),
              class_name="map-panel"),
        html.Div(id=ids.OVERVIEW_GENERATION, className="generation-stamp"),
    ], className="overview")


@cache.memoize()
def _geojson(wh: Snapshot, scope: Scope) -> dict:
    """Community polygons change only with a new generation (named in the snapshot's repr, so
    in the cache key): simplify once per generation and scope."""
    return shapes_geojson(q.community_shapes(wh, scope))


def _fmt_rate(value):
    return "—" if value is None else f"{value:.2f}"


@callback(
    Output(ids.KPI_RESIDENTS, "children"), Output(ids.KPI_HOUSEHOLDS, "children"),
    Output(ids.KPI_GRIDS, "children"), Output(ids.KPI_EVENTS_30D, "children"),
    Output(ids.KPI_CLOSURE_RATE, "children"), Output(ids.KPI_CLOSURE_DETAIL, "children"),
    Output(ids.COMMUNITY_MAP, "figure"), Output(ids.OVERVIEW_GENERATION, "children"),
    Input(ids.FRAME_TICK, "n_intervals"),   # the frame ticks: open screens re-read the warehouse
)
def refresh_overview(_tick):
    wh, scope = warehouse(), viewer_scope()
    n = q.counters(wh, scope, WINDOW_DAYS)
    geojson = _geojson(wh, scope)
    fig = community_map(q.community_metrics(wh, scope, WINDOW_DAYS), geojson, WINDOW_DAYS)
    detail = (f"应结案 {n['due']:,} · 结案 {n['closed']:,} · "
              f"按期 {n['closed_on_time']:,}（{_fmt_rate(n['on_time_rate'])}%）")
    return (f"{n['residents']:,}", f"{n['households']:,}", f"{n['grids']:,}", f"{n['events']:,}",
            _fmt_rate(n["closure_rate"]), detail, fig, f"数据版本 {wh.generation}")
