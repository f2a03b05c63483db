"""预警研判 figures: the map (areas shaded by today's incidents, their grids on top, the chosen
incident outlined) and one incident's course, reported against the baseline and its upper
bound, with the open backlog at each day's end."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme

HOT = "rgba(255, 77, 79, 0.78)"
DROP = "rgba(159, 122, 234, 0.85)"
OUTLINE = "#f5c542"
QUIET = "#16324f"       # an area with no active alert
ALERT_SCALE = [[0.0, QUIET], [0.001, "#1f6f9f"], [0.5, "#45d1c5"], [1.0, "#f5c542"]]

NO_INCIDENT = "请选择一个研判事件"
NO_DAYS = "无数据（该事件没有逐日记录）"


def timeline(days: pd.DataFrame, first_day=None, last_day=None) -> go.Figure:
    if days.empty:
        return theme.empty(NO_DAYS)
    fig = go.Figure()
    fig.add_bar(x=days["day"], y=days["open_end"], name="日末在办", yaxis="y2",
                marker_color="rgba(159, 122, 234, 0.35)",
                hovertemplate="%{x|%m-%d}<br>日末在办：%{y:,} 件<extra></extra>")
    fig.add_scatter(x=days["day"], y=days["upper"], name="预期上限", mode="lines",
                    line=dict(color=theme.SERIES[3], width=1.5, dash="dash"),
                    hovertemplate="%{x|%m-%d}<br>预期上限：%{y:.1f} 件<extra></extra>")
    fig.add_scatter(x=days["day"], y=days["expected"], name="基线预期", mode="lines",
                    line=dict(color=theme.SERIES[2], width=2),
                    hovertemplate="%{x|%m-%d}<br>基线预期：%{y:.2f} 件<extra></extra>")
    fig.add_scatter(x=days["day"], y=days["reported"], name="上报", mode="lines+markers",
                    line=dict(color=theme.SERIES[0], width=2), marker=dict(size=5),
                    hovertemplate="%{x|%m-%d}<br>上报：%{y:,.0f} 件<extra></extra>")
    if first_day is not None and last_day is not None and not pd.isna(first_day):
        fig.add_vrect(x0=pd.Timestamp(first_day) - pd.Timedelta(hours=12),
                      x1=pd.Timestamp(last_day) + pd.Timedelta(hours=12),
                      fillcolor="rgba(255, 77, 79, 0.12)", line_width=0, layer="below")
    fig.update_xaxes(tickformat="%m-%d")
    fig.update_layout(yaxis=dict(title_text="每日上报（件）", rangemode="tozero"),
                      yaxis2=dict(title_text="日末在办（件）", overlaying="y", side="right",
                                  rangemode="tozero", showgrid=False))
    return theme.dark(fig, margin=dict(l=56, r=56, t=36, b=36))


def alert_map(areas: pd.DataFrame, area_shapes: dict | str, hot: pd.DataFrame, hot_shapes: dict,
              outline: pd.DataFrame, outline_shapes: dict) -> go.Figure:
    """Trace 0: the areas (warning__map_areas.sql) coloured by today's incidents on or inside
    each; trace 1: the grids of today's incidents (warning__map_grids.sql), red for an excess,
    violet for a drop; trace 2: the chosen incident's grids or area (warning__incident_area.sql),
    outlined. Shapes: GeoJSON or its URL (cockpit/geometry.py)."""
    if areas.empty:
        return theme.empty("本辖区没有可绘制的区域")
    fig = go.Figure()
    fig.add_trace(go.Choropleth(
        geojson=area_shapes, featureidkey="properties.code", locations=areas["code"],
        z=areas["incidents"], zmin=0, zmax=max(1, int(areas["incidents"].max())), colorscale=ALERT_SCALE,
        marker_line_color="#7fd8ff", marker_line_width=0.6, name="区域",
        showscale=theme.varies(areas["incidents"]),      # one area or all alike: no colour bar
        colorbar=dict(title=dict(text="今日事件（起）"), thickness=12, len=0.6, x=0.98),
        customdata=np.stack([areas["name"], areas["top_subject"].map(lambda s: fmt(s))], axis=-1),
        hovertemplate="%{customdata[0]}<br>今日事件：%{z:,} 起<br>最强：%{customdata[1]}<extra></extra>"))
    reasons = [f"{r.kind_name}：{fmt(r.top_subject)}（{r.incidents:,} 起）" for r in hot.itertuples()]
    drop = hot["has_drop"].astype(bool).to_numpy() if len(hot) else np.zeros(0, bool)
    fig.add_trace(go.Choropleth(
        geojson=hot_shapes, featureidkey="properties.code", locations=hot["code"], z=drop.astype(float),
        zmin=0, zmax=1, colorscale=[[0, HOT], [1, DROP]], showscale=False, marker_line_color="#ffd6d6",
        marker_line_width=1.2, name="事件网格",
        customdata=np.column_stack([hot["name"].to_numpy(dtype=object), np.array(reasons, dtype=object)]),
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>"))
    fig.add_trace(go.Choropleth(
        geojson=outline_shapes, featureidkey="properties.code", locations=outline["code"],
        z=np.ones(len(outline)), colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale=False,
        marker_line_color=OUTLINE, marker_line_width=3, name="所选事件", hoverinfo="skip"))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                    bgcolor=theme.BACKGROUND)
    theme.dark(fig, legend=False, margin=dict(l=0, r=0, t=0, b=0))
    return fig


def subject(text, most: int = 4) -> str:
    """An incident's subject (its subclasses joined by 、) for display: at most `most` by name,
    then how many there are."""
    names = [n for n in str(text or "").split("、") if n]
    return "、".join(names[:most]) + (f" 等 {len(names)} 类" if len(names) > most else "")


def fmt(value, digits: int = 0, unit: str = "") -> str:
    """A number for display; a missing one (None, NaN, empty) as —; anything else as text."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value + unit if value.strip() else "—"
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return "—" if pd.isna(value) else f"{value:,.{digits}f}{unit}"
    return str(value) + unit


def share(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def day(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def review_line(row) -> str:
    """One ended incident's after-analysis in a sentence (事后评估)."""
    back = ("未回落至基线" if pd.isna(row["days_to_baseline"])
            else f"{fmt(row['days_to_baseline'])} 天回到基线")
    size = (f"少于基线 {fmt(-row['excess'], 1)} 件" if row["kind"] == "drop"
            else f"超出基线 {fmt(row['excess'], 1)} 件（95% 区间 {fmt(row['excess_low'], 1)}–{fmt(row['excess_high'], 1)}），"
                 f"峰值为基线的 {fmt(row['peak_ratio'], 1)} 倍")
    return (f"{row['area_name']} · {row['subject']}（{row['kind_name']}，{day(row['first_day'])} 至 {day(row['last_day'])}，"
            f"{fmt(row['duration_days'])} 天）：{size}，{back}；"
            f"30 日内复发 {fmt(row['recur_30'])} 天，90 日内 {fmt(row['recur_90'])} 天。")
