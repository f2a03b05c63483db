"""The big screen's charts: pure functions from frames to figures, drawn for a dark 1920×1080 canvas."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme

SMALL = dict(l=8, r=12, t=8, b=24)


def _empty(fig: go.Figure, text: str) -> go.Figure:
    """A chart with nothing to draw says what it lacks."""
    fig.add_annotation(text=text, showarrow=False, font=dict(size=16, color="#4f7fa6"),
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def sources_bar(df: pd.DataFrame) -> go.Figure:
    """Events by source channel, largest on top."""
    df = df.sort_values("events")
    fig = go.Figure(go.Bar(x=df["events"], y=df["source"], orientation="h", text=df["events"],
                           texttemplate="%{text:,}", textposition="outside", cliponaxis=False,
                           marker_color=theme.ACCENT,
                           hovertemplate="%{y}：%{x:,} 件<extra></extra>"))
    theme.dark(fig, legend=False, margin=dict(l=8, r=48, t=8, b=8))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(automargin=True, ticksuffix=" ")
    return _empty(fig, "近期无上报事件") if df.empty else fig


def daily_lines(df: pd.DataFrame) -> go.Figure:
    """Reported against closed per day: the inflow and what the departments finish."""
    fig = go.Figure([
        go.Scatter(x=df["day"], y=df["reported"], name="上报", mode="lines",
                   line=dict(color=theme.ACCENT, width=2), fill="tozeroy",
                   fillcolor="rgba(41, 211, 255, 0.12)",
                   hovertemplate="%{x|%m月%d日} 上报 %{y:,} 件<extra></extra>"),
        go.Scatter(x=df["day"], y=df["closed"], name="结案", mode="lines",
                   line=dict(color="#f5c542", width=2),
                   hovertemplate="%{x|%m月%d日} 结案 %{y:,} 件<extra></extra>"),
    ])
    theme.dark(fig, margin=dict(l=36, r=8, t=24, b=24))
    fig.update_xaxes(tickformat="%m-%d", nticks=6)
    return fig


def top_bar(df: pd.DataFrame, label: str, value: str = "events", color: str = "#45d1c5") -> go.Figure:
    df = df.iloc[::-1]
    fig = go.Figure(go.Bar(x=df[value], y=df[label], orientation="h", marker_color=color,
                           text=df[value], texttemplate="%{text:,}", textposition="outside",
                           cliponaxis=False, hovertemplate="%{y}：%{x:,} 件<extra></extra>"))
    theme.dark(fig, legend=False, margin=dict(l=8, r=48, t=8, b=8))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(automargin=True, ticksuffix=" ")
    return _empty(fig, "近期无上报事件") if df.empty else fig


def stacked_days(df: pd.DataFrame, empty_text: str = "近期无事件") -> go.Figure:
    """A board's events per day, stacked by class."""
    fig = go.Figure([go.Bar(x=g["day"], y=g["events"], name=name,
                            hovertemplate=f"{name} " "%{x|%m月%d日}：%{y:,} 件<extra></extra>")
                     for name, g in df.groupby("class_name", sort=True)])
    theme.dark(fig, margin=dict(l=32, r=8, t=28, b=24))
    fig.update_layout(barmode="stack", bargap=0.15, legend=dict(font=dict(size=11)))
    fig.update_xaxes(tickformat="%m-%d", nticks=6)
    return _empty(fig, empty_text) if df.empty else fig


def stacked_months(df: pd.DataFrame, empty_text: str = "近12个月无服务活动") -> go.Figure:
    """Service activities per month, stacked by project type."""
    fig = go.Figure([go.Bar(x=g["month"], y=g["activities"], name=name,
                            hovertemplate=f"{name} " "%{x|%Y年%m月}：%{y:,} 场<extra></extra>")
                     for name, g in df.groupby("project_type", sort=True)])
    theme.dark(fig, margin=dict(l=32, r=8, t=28, b=24))
    fig.update_layout(barmode="stack", bargap=0.2, legend=dict(font=dict(size=11)))
    fig.update_xaxes(tickformat="%y-%m", dtick="M2")
    return _empty(fig, empty_text) if df.empty else fig
