"""The community choropleth: polygons coloured by events per 1,000 residents.

Drawn with the `geo` subplot (SVG, no WebGL, no map tiles). plotly.js still loads a base
topojson for geo subplots; the page's dcc.Graph config points it at a local file
(topojsonURL in cockpit/components/graph.py). `geojson` may be a URL (cockpit/geometry.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme


def community_map(metrics: pd.DataFrame, geojson: dict | str, days: int) -> go.Figure:
    rate = 100 * metrics["closed"] / metrics["due"].where(metrics["due"] > 0)
    closure = rate.map(lambda r: "—" if pd.isna(r) else f"{r:.1f}%")     # nothing due: no rate
    hover = np.stack([
        metrics["name"], metrics["street_name"], metrics["residents"], metrics["households"],
        metrics["events"], metrics["events_per_1000"].fillna(0), closure,
    ], axis=-1)
    fig = go.Figure(go.Choropleth(
        geojson=geojson, featureidkey="properties.code",
        locations=metrics["code"], z=metrics["events_per_1000"].fillna(0),
        colorscale=theme.HEAT_SCALE, marker_line_color="#7fd8ff", marker_line_width=0.6,
        customdata=hover,
        hovertemplate=("<b>%{customdata[0]}</b><br>所属街道：%{customdata[1]}<br>"
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
