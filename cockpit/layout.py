"""The frame around every page: title, jurisdiction, data-as-of stamp, navigation."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from cockpit import ids
from cockpit.context import viewer_scope, warehouse
from cockpit.queries.overview import generation


def frame(refresh_ms: int) -> html.Div:
    return html.Div([
        dcc.Interval(id=ids.FRAME_TICK, interval=refresh_ms, n_intervals=0),
        html.Header([
            html.Div(id=ids.SCOPE_NAME, className="header-scope"),
            html.H1("网格治理数字驾驶舱", className="header-title"),
            html.Div(id=ids.AS_OF, className="header-as-of"),
        ], className="header"),
        html.Main(dash.page_container, className="page"),
    ], className="frame")


@callback(Output(ids.AS_OF, "children"), Output(ids.SCOPE_NAME, "children"),
          Input(ids.FRAME_TICK, "n_intervals"))
def show_generation(_tick):
    as_of = generation(warehouse())["as_of"]
    stamp = "数据截至 —（暂无事件）" if as_of is None or as_of != as_of else f"数据截至 {as_of:%Y-%m-%d %H:%M}"
    return stamp, f"辖区：{viewer_scope().name}"
