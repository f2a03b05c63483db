"""预警研判 figures: one incident's course, reported against the baseline and its upper bound,
with the open backlog at each day's end."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme

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
            else f"{fmt(row['days_to_baseline'])} 天回落至基线")
    return (f"{row['area_name']} · {row['subclass_name']}（{day(row['first_day'])} 至 {day(row['last_day'])}，"
            f"{fmt(row['duration_days'])} 天）：超出基线 {fmt(row['excess'], 1)} 件"
            f"（95% 区间 {fmt(row['excess_low'], 1)}–{fmt(row['excess_high'], 1)}），"
            f"峰值为基线的 {fmt(row['peak_ratio'], 1)} 倍，{back}；"
            f"30 日内复发 {fmt(row['recur_30'])} 次，90 日内 {fmt(row['recur_90'])} 次。")
