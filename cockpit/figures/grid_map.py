"""The drill-down map: the children of one area coloured by a chosen metric.

Trace 0 is the choropleth of the areas in force at the period end (its geometry a URL), trace 1
marks retired grids (split during the period) that still have events or needs in it, at their
last centroid, trace 2 the area names. Both coloured traces share `layout.coloraxis`, so
`recolour()` can change metric or period with a dash Patch that never resends the geometry."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Patch

from cockpit.figures import theme

NO_DATA = "#3b4a5c"     # grey for areas where the metric is undefined (no residents, nothing rated)


@dataclass(frozen=True)
class Metric:
    label: str
    unit: str
    digits: int = 0
    periodic: bool = True            # counted over the period (else: the register as it stands)
    higher_is_better: bool = False   # colours run the other way, the ranking starts at the bottom


METRICS = {
    "events": Metric("事件数", "件"),
    "events_per_1000": Metric("每千人事件数", "件/千人", 1),
    "open": Metric("在办事件", "件"),
    "overdue_open": Metric("超期在办", "件"),
    "elderly_alone": Metric("独居老人", "人", periodic=False),
    "needs_open": Metric("未办结需求", "件"),
    "satisfaction": Metric("满意度", "%", 1, higher_is_better=True),
}


def fmt(value, digits: int = 0) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def short_name(name: str, parent: str) -> str:
    """庆丰社区第6网格 under 庆丰社区 → 第6网格: the map label without the repeated parent."""
    return name[len(parent):] if parent and name.startswith(parent) and len(name) > len(parent) else name


def _hover(frame: pd.DataFrame, days_label: str) -> tuple[list, str]:
    def row(r):
        title = r.name if not r.retired else f"{r.name}（已撤销，{_day(r.valid_to)}起停用）"
        return [title, r.parent_name, fmt(r.residents), fmt(r.events), fmt(r.events_per_1000, 1),
                fmt(r.open), fmt(r.overdue_open), fmt(r.needs_open), fmt(r.elderly_alone),
                fmt(r.satisfaction, 1), fmt(r.rated)]
    custom = [row(r) for r in frame.itertuples()]
    template = ("<b>%{customdata[0]}</b><br>所属：%{customdata[1]}<br>"
                "实有人口：%{customdata[2]} 人　独居老人：%{customdata[8]} 人<br>"
                f"{days_label}事件：" "%{customdata[3]} 件　每千人：%{customdata[4]}<br>"
                "在办：%{customdata[5]} 件　超期在办：%{customdata[6]} 件<br>"
                "未办结需求：%{customdata[7]} 件<br>"
                "满意度：%{customdata[9]}%（已评价 %{customdata[10]} 件）<extra></extra>")
    return custom, template


def _day(ts) -> str:
    return "—" if ts is None or pd.isna(ts) else f"{pd.Timestamp(ts):%Y-%m-%d}"


def color_axis(values: pd.Series, metric: str) -> tuple[dict, list[float]]:
    """The shared colour axis and the z values. Undefined values (NaN) get a grey band below the
    scale, labelled 无数据 on the colour bar, instead of vanishing from the map."""
    m = METRICS[metric]
    v = pd.to_numeric(values, errors="coerce").astype(float)
    real = v.dropna()
    if not theme.varies(real):
        # one area, or all alike: one colour (grey where undefined) and no colour bar, never a
        # bar spanning a single value (the 50–51 scale a one-grid map drew)
        colour = theme.HEAT_SCALE[2][1]
        axis = dict(colorscale=[[0, NO_DATA], [0.5, NO_DATA], [0.5, colour], [1, colour]],
                    cmin=0, cmax=1, showscale=False)
        return axis, v.notna().astype(float).tolist()
    lo, hi = float(real.min()), float(real.max())
    scale = theme.HEAT_SCALE
    if m.higher_is_better:     # low satisfaction is the hot spot
        scale = [[1 - p, c] for p, c in reversed(scale)]
    title = f"{m.label}<br>（{m.unit}）"
    colorbar = dict(title=dict(text=title, font=dict(color=theme.TEXT)),
                    tickfont=dict(color=theme.TEXT), thickness=12, len=0.6, x=0.98)
    if v.isna().any():
        band = (hi - lo) * 0.15     # tall enough that 无数据 and the lowest tick never overlap
        cmin = lo - band
        frac = band / (hi - cmin)
        scale = [[0.0, NO_DATA], [frac, NO_DATA]] + [[frac + (1 - frac) * p, c] for p, c in scale]
        ticks = np.linspace(lo, hi, 5)
        colorbar.update(tickmode="array", tickvals=[cmin + band / 2, *ticks.tolist()],
                        ticktext=["无数据", *[fmt(t, m.digits) for t in ticks]])
        v = v.fillna(cmin)
    else:
        cmin = lo
    axis = dict(colorscale=scale, cmin=cmin, cmax=hi, showscale=True, colorbar=colorbar)
    return axis, [float(x) for x in v]


def _parts(frame: pd.DataFrame, metric: str, days_label: str) -> tuple[dict, dict, dict]:
    """What changes with metric or period: (choropleth props, retired-marker props, coloraxis)."""
    axis, z = color_axis(frame[metric], metric)
    custom, template = _hover(frame, days_label)
    retired = frame["retired"].to_numpy(dtype=bool)
    pick = lambda items, mask: [x for x, keep in zip(items, mask) if keep]   # noqa: E731
    current = {"locations": frame.loc[~retired, "code"].tolist(), "z": pick(z, ~retired),
               "customdata": pick(custom, ~retired), "hovertemplate": template}
    old = frame[retired]
    marks = {"lon": old["centroid_lon"].tolist(), "lat": old["centroid_lat"].tolist(),
             "marker.color": pick(z, retired), "customdata": pick(custom, retired),
             "hovertemplate": template}
    return current, marks, axis


def grid_map(frame: pd.DataFrame, shapes: dict | str, metric: str, days_label: str) -> go.Figure:
    """The full figure: geometry, colours, hover, names. `frame` is grid_map__metrics.sql's."""
    current, marks, axis = _parts(frame, metric, days_label)
    fig = go.Figure()
    fig.add_trace(go.Choropleth(
        geojson=shapes, featureidkey="properties.code", locations=current["locations"],
        z=current["z"], coloraxis="coloraxis", customdata=current["customdata"],
        hovertemplate=current["hovertemplate"], marker_line_color="#7fd8ff", marker_line_width=0.7,
        name="区域"))
    fig.add_trace(go.Scattergeo(
        lon=marks["lon"], lat=marks["lat"], mode="markers", name="已撤销网格",
        marker=dict(symbol="diamond", size=15, color=marks["marker.color"], coloraxis="coloraxis",
                    line=dict(color="#ffffff", width=1.5)),
        customdata=marks["customdata"], hovertemplate=marks["hovertemplate"]))
    shown = frame[~frame["retired"]]
    fig.add_trace(go.Scattergeo(
        lon=shown["centroid_lon"], lat=shown["centroid_lat"], mode="text", hoverinfo="skip",
        text=[short_name(n, p) for n, p in zip(shown["name"], shown["parent_name"])],
        textfont=dict(color="#f2fbff", size=12, family=theme.FONT_FAMILY, shadow="auto"),
        name="名称"))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                    bgcolor=theme.BACKGROUND, domain=dict(x=[0, 0.92], y=[0.03, 0.97]))
    theme.dark(fig, legend=False, margin=dict(l=0, r=0, t=0, b=0))
    fig.update_layout(coloraxis=axis, clickmode="event")
    return fig


def recolour(frame: pd.DataFrame, metric: str, days_label: str) -> Patch:
    """Same drill position, other metric or period: only values, hover and colour axis travel."""
    current, marks, axis = _parts(frame, metric, days_label)
    patch = Patch()
    for key, value in current.items():
        patch["data"][0][key] = value
    patch["data"][1]["lon"] = marks["lon"]
    patch["data"][1]["lat"] = marks["lat"]
    patch["data"][1]["marker"]["color"] = marks["marker.color"]
    patch["data"][1]["customdata"] = marks["customdata"]
    patch["data"][1]["hovertemplate"] = marks["hovertemplate"]
    patch["layout"]["coloraxis"] = axis
    return patch


def empty_map(message: str = "无数据") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=22, color=theme.TEXT),
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return theme.dark(fig, legend=False, margin=dict(l=0, r=0, t=0, b=0))
