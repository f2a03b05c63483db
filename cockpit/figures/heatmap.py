"""事件热力 figures: hexagon density map (geo subplot, no tiles), weekday × hour, calendar."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from cockpit.figures import theme

WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
OUTLINE = "#e6f7ff"
NO_DATA = "无数据（所选时段与条件下没有事件）"


def empty(message: str = NO_DATA) -> go.Figure:
    return theme.empty(message)     # the shared "无数据" chart


def outline_lines(geoms, bounds: tuple | None) -> dict:
    """Area borders (polygons already simplified, shared edges kept) as one polyline: lon/lat
    arrays, NaN between rings (a gap in the line), plus the bounds to frame the map with."""
    if not len(geoms):
        return {"lon": [], "lat": [], "bounds": None}
    gap = np.full((1, 2), np.nan)
    xy = np.concatenate([part for ring in shapely.get_rings(shapely.get_parts(geoms))
                         for part in (shapely.get_coordinates(ring), gap)])
    return {"lon": xy[:, 0], "lat": xy[:, 1], "bounds": bounds}


def hex_geojson(ids: list[str], lon: np.ndarray, lat: np.ndarray) -> dict:
    """Hexagons (corner lon, lat: n × 7) as features with those ids; rings as arrays, as
    geo.geometry()."""
    rings = np.stack([np.asarray(lon), np.asarray(lat)], axis=-1).round(6)    # n × 7 × 2, at once
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": i, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for i, ring in zip(ids, rings)]}


def _log_ticks(top: int) -> tuple[list[float], list[str]]:
    """Colour-bar ticks at 1, 2, 5, 10, … events on a log colour scale."""
    vals = [m * 10 ** e for e in range(0, int(math.log10(max(top, 1))) + 2) for m in (1, 2, 5)]
    vals = [v for v in vals if v <= top] or [1]
    return [math.log10(v) for v in vals], [f"{v:,}" for v in vals]


def hex_map(bins: pd.DataFrame, hexagons: dict | str, outlines: dict, width_m: float) -> go.Figure:
    """Non-empty hexagons coloured by event count, area borders drawn on top. `hexagons` is
    GeoJSON (or its URL) with a feature per hexagon, its id "q,r" (hex_geojson).
    Colour on a log scale (a few hot hexagons would otherwise wash out the pattern);
    hover and colour bar give the counts themselves."""
    ids = [f"{q},{r}" for q, r in zip(bins["q"], bins["r"])]
    counts = bins["events"].astype(int).to_numpy()
    top = int(counts.max()) if len(counts) else 1
    tickvals, ticktext = _log_ticks(top)
    fig = go.Figure(go.Choropleth(
        geojson=hexagons, locations=ids, z=np.log10(counts),
        zmin=0, zmax=max(math.log10(top), 0.3), customdata=counts,
        colorscale=theme.HEAT_SCALE, marker_line_width=0,
        showscale=theme.varies(counts),                # hexagons all alike: no colour bar
        hovertemplate="该六边形内事件：%{customdata:,} 件<extra></extra>",
        colorbar=dict(title=dict(text="事件数", font=dict(color=theme.TEXT)), tickvals=tickvals,
                      ticktext=ticktext, tickfont=dict(color=theme.TEXT), thickness=12, len=0.6,
                      x=0.93),
    ))
    fig.add_trace(go.Scattergeo(lon=outlines["lon"], lat=outlines["lat"], mode="lines",
                                line=dict(color=OUTLINE, width=1.4), opacity=0.8,
                                hoverinfo="skip", showlegend=False))
    # the area's bounds with a margin (fitbounds leaves half the panel empty; plotly fits the
    # ranges to the width, so the margin keeps the north and south in view); colour bar aside
    geo = dict(visible=False, projection_type="mercator", bgcolor=theme.BACKGROUND,
               domain=dict(x=[0, 0.9], y=[0, 1]))
    if outlines["bounds"]:
        minx, miny, maxx, maxy = outlines["bounds"]
        dx, dy = (maxx - minx) * 0.08, (maxy - miny) * 0.08
        geo.update(lonaxis_range=[minx - dx, maxx + dx], lataxis_range=[miny - dy, maxy + dy])
    fig.update_geos(**geo)
    fig.add_annotation(text=f"六边形宽 {width_m:,.0f} 米 · 对数色阶", x=0.01, y=0.01,
                       xref="paper", yref="paper", showarrow=False, xanchor="left",
                       font=dict(size=12, color="#7aa7c9"))
    return theme.dark(fig, legend=False, margin=dict(l=0, r=0, t=0, b=0))


def weekday_hour(cells: pd.DataFrame) -> go.Figure:
    """7 × 24 cells: ISO weekday (周一 on top) × hour of reported_at."""
    z = cells.pivot(index="dow", columns="hour", values="events").reindex(
        index=range(1, 8), columns=range(24), fill_value=0)
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=[f"{h}时" for h in range(24)], y=WEEKDAYS, xgap=2, ygap=2,
        colorscale=theme.HEAT_SCALE, zmin=0,
        hovertemplate="%{y} %{x}：%{z:,} 件<extra></extra>",
        colorbar=dict(title=dict(text="件"), thickness=10, len=0.9),
    ))
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    fig.update_xaxes(showgrid=False, zeroline=False, tickangle=0)
    return theme.dark(fig, legend=False, margin=dict(l=48, r=8, t=8, b=30))


def _month_labels(days: pd.Series, col: np.ndarray) -> tuple[list[int], list[str]]:
    """A label in the week column where each month (and the period) begins, years shown on the
    first label and on January."""
    vals, text = [], []
    for i, day in enumerate(days):
        if i == 0 or day.day == 1:
            if vals and col[i] - vals[-1] < 3:     # too close to the last label: skip
                continue
            vals.append(int(col[i]))
            text.append(f"{day.year}年{day.month}月" if (i == 0 or day.month == 1) else f"{day.month}月")
    return vals, text


def calendar(daily: pd.DataFrame, min_columns: int = 53) -> go.Figure:
    """Daily counts laid out like a calendar: one column per week (Monday first), one row per
    weekday, month labels above. Days outside the period stay blank."""
    days = pd.to_datetime(daily["day"]).reset_index(drop=True)
    monday0 = days.iloc[0] - pd.Timedelta(days=days.iloc[0].weekday())
    col = ((days - monday0).dt.days // 7).to_numpy()
    row = days.dt.day_of_week.to_numpy()
    n_cols = int(col.max()) + 1
    z = np.full((7, n_cols), np.nan)
    text = np.full((7, n_cols), "", dtype=object)
    z[row, col] = daily["events"].to_numpy()
    text[row, col] = [f"{d:%Y-%m-%d} {WEEKDAYS[d.weekday()]}" for d in days]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(n_cols)), y=WEEKDAYS, customdata=text, xgap=2, ygap=2,
        colorscale=theme.HEAT_SCALE, zmin=0, hoverongaps=False,
        hovertemplate="%{customdata}：%{z:,} 件<extra></extra>",
        colorbar=dict(title=dict(text="件"), thickness=10, len=0.9),
    ))
    tickvals, ticktext = _month_labels(days, col)
    # at least a year's width: a short period keeps calendar-shaped cells, left-aligned
    fig.update_xaxes(tickvals=tickvals, ticktext=ticktext, side="top", showgrid=False,
                     zeroline=False, range=[-0.5, max(n_cols, min_columns) - 0.5], tickangle=0)
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    return theme.dark(fig, legend=False, margin=dict(l=48, r=8, t=30, b=8))
