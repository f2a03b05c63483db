"""The big screen's map: areas coloured by events per 1,000 residents, or, for a jurisdiction of
one grid, the period's events as points on that grid's polygon.

Drawn with the `geo` subplot (SVG, no WebGL, no map tiles). plotly.js still loads a base
topojson for geo subplots; the page's dcc.Graph config points it at a local file
(topojsonURL in cockpit/components/graph.py). `geojson` may be a URL (cockpit/geometry.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme
from warehouse.personal import scrub

# an event's state at as-of → (legend label, colour), worst first
POINT_STATES = {"overdue": ("超期在办", "#ff4d4f"), "open": ("在办", "#f5c542"),
                "closed": ("已结案", "#29d3ff"), "rejected": ("不予立案", "#7f8fa3")}
OUTLINE_FILL = "rgba(41, 211, 255, 0.08)"


def area_map(metrics: pd.DataFrame, geojson: dict | str, days: int) -> go.Figure:
    """Communities or grids (screen__area_metrics.sql) coloured by events per 1,000 residents;
    areas all alike (or one area) get one colour and no colour bar (theme.varies)."""
    rate = 100 * metrics["closed"] / metrics["due"].where(metrics["due"] > 0)
    closure = rate.map(lambda r: "—" if pd.isna(r) else f"{r:.1f}%")     # nothing due: no rate
    z = metrics["events_per_1000"].fillna(0)
    hover = np.stack([
        metrics["name"], metrics["parent_name"], metrics["residents"], metrics["households"],
        metrics["events"], z, closure,
    ], axis=-1)
    shown = theme.varies(z)
    fig = go.Figure(go.Choropleth(
        geojson=geojson, featureidkey="properties.code",
        locations=metrics["code"], z=z,
        colorscale=theme.HEAT_SCALE if shown else [[0, theme.HEAT_SCALE[1][1]], [1, theme.HEAT_SCALE[1][1]]],
        showscale=shown, marker_line_color="#7fd8ff", marker_line_width=0.6,
        customdata=hover,
        hovertemplate=("<b>%{customdata[0]}</b><br>所属：%{customdata[1]}<br>"
                       "实有人口：%{customdata[2]:,} 人　户数：%{customdata[3]:,}<br>"
                       f"近{days}日事件：" "%{customdata[4]:,} 件<br>"
                       "每千人事件数：%{customdata[5]:.1f}<br>结案率：%{customdata[6]}"
                       "<extra></extra>"),
        colorbar=dict(title=dict(text="每千人<br>事件数", font=dict(color=theme.TEXT)),
                      tickfont=dict(color=theme.TEXT), thickness=12, len=0.6, x=0.98),
    ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                    bgcolor=theme.BACKGROUND)
    return theme.dark(fig, legend=False, margin=dict(l=0, r=0, t=0, b=0))


def point_state(row) -> str:
    if row.overdue_open:
        return "overdue"
    if row.is_open:
        return "open"
    return "rejected" if row.status == "不予立案" else "closed"


def event_points(points: pd.DataFrame, codes: list[str], outline: dict | str, days: int,
                 marker_size: int = 11) -> go.Figure:
    """One grid's polygon (`outline`: GeoJSON or its URL, features `codes`) and the events of the
    period on it (screen__event_points.sql), coloured by their state at as-of. The address is
    free text: scrubbed of ID and mobile numbers before it goes into the hover."""
    fig = go.Figure(go.Choropleth(
        geojson=outline, featureidkey="properties.code", locations=list(codes), z=[0] * len(codes),
        colorscale=[[0, OUTLINE_FILL], [1, OUTLINE_FILL]], showscale=False,
        marker_line_color="#7fd8ff", marker_line_width=1.6, hoverinfo="skip", name="网格"))
    states = [point_state(r) for r in points.itertuples()]
    # the worst drawn last, on top of the others at the same spot; listed first in the legend
    for rank, (key, (label, colour)) in reversed(list(enumerate(POINT_STATES.items()))):
        part = points[[s == key for s in states]]
        if part.empty:
            continue
        custom = np.stack([part["subclass_name"], part["reported_at"].dt.strftime("%Y-%m-%d %H:%M"),
                           part["status"], part["department"].fillna("—"),
                           part["address"].map(lambda a: scrub(a) if isinstance(a, str) else "—")],
                          axis=-1)
        fig.add_trace(go.Scattergeo(
            lon=part["lon"], lat=part["lat"], mode="markers", name=f"{label}（{len(part):,}）", legendrank=rank + 1,
            marker=dict(size=marker_size, color=colour, opacity=0.9, line=dict(color="#04101f", width=1)),
            customdata=custom,
            hovertemplate=("<b>%{customdata[0]}</b><br>上报：%{customdata[1]}<br>状态：%{customdata[2]}"
                           "<br>处置部门：%{customdata[3]}<br>地址：%{customdata[4]}<extra></extra>")))
    if points.empty:
        fig.add_annotation(text=f"近{days}日本网格无上报事件", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper", font=dict(size=18, color="#7aa7c9"))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                    bgcolor=theme.BACKGROUND)
    fig.update_layout(legend=dict(orientation="h", y=1.0, x=0.01, yanchor="bottom", font=dict(size=13)))
    return theme.dark(fig, legend=True, margin=dict(l=0, r=0, t=30, b=0))
