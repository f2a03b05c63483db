"""事中研判 figures: backlog age, the SLA clock, inflow against closures, dispatch delay."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme
from cockpit.figures.workflow import empty

NO_DATA = "无数据（所选条件下没有事件）"
# 已超期 red, due soon amber, later calm
SLA_COLOURS = {"已超期": "#ff4d4f", "4小时内到期": "#ff7a45", "24小时内到期": "#f5c542", "更久": "#45d1c5"}


def _count_bars(frame: pd.DataFrame, colours, axis_title: str) -> go.Figure:
    if frame["events"].sum() == 0:
        return empty(NO_DATA)
    fig = go.Figure(go.Bar(x=frame["bucket"], y=frame["events"], marker_color=colours,
                           text=[f"{v:,}" for v in frame["events"]], textposition="outside",
                           cliponaxis=False,
                           hovertemplate="%{x}：%{y:,} 件<extra></extra>"))
    fig.update_yaxes(title_text=axis_title, rangemode="tozero")
    return theme.dark(fig, legend=False, margin=dict(l=56, r=16, t=24, b=40))


def backlog_age(age: pd.DataFrame) -> go.Figure:
    return _count_bars(age, theme.SERIES[0], "在办事件（件）")


def sla_clock(clock: pd.DataFrame) -> go.Figure:
    return _count_bars(clock, [SLA_COLOURS[b] for b in clock["bucket"]], "在办未处置（件）")


def flow(days: pd.DataFrame) -> go.Figure:
    """Reported against closed per day, and the net change of the backlog as bars."""
    if days.empty or (days["reported"].sum() + days["closed"].sum()) == 0:
        return empty(NO_DATA)
    fig = go.Figure()
    fig.add_bar(x=days["day"], y=days["reported"] - days["closed"], name="净增（上报−结案）",
                marker_color="rgba(159, 122, 234, 0.45)",
                hovertemplate="%{x|%m-%d}<br>净增：%{y:,}<extra></extra>")
    for col, name, colour in (("reported", "上报", theme.SERIES[0]), ("closed", "结案", theme.SERIES[1])):
        fig.add_scatter(x=days["day"], y=days[col], name=name, mode="lines+markers",
                        line=dict(color=colour, width=2), marker=dict(size=5),
                        hovertemplate="%{x|%m-%d}<br>" + name + "：%{y:,} 件<extra></extra>")
    fig.update_xaxes(tickformat="%m-%d")
    fig.update_yaxes(title_text="件")
    return theme.dark(fig, margin=dict(l=56, r=16, t=36, b=36))


def dispatch_daily(days: pd.DataFrame) -> go.Figure:
    if days.empty or days["cases"].sum() == 0:
        return empty(NO_DATA)
    fig = go.Figure()
    for col, name, colour in (("median_minutes", "中位数", theme.SERIES[0]),
                              ("p90_minutes", "P90", theme.SERIES[1])):
        fig.add_scatter(x=days["day"], y=days[col], name=name, mode="lines+markers",
                        line=dict(color=colour, width=2), marker=dict(size=5), connectgaps=False,
                        hovertemplate="%{x|%m-%d}<br>" + name + "：%{y:.1f} 分钟<extra></extra>")
    fig.update_xaxes(tickformat="%m-%d")
    fig.update_yaxes(title_text="分钟", rangemode="tozero")
    return theme.dark(fig, margin=dict(l=56, r=16, t=36, b=36))


def dispatch_departments(depts: pd.DataFrame) -> go.Figure:
    if depts.empty:
        return empty(NO_DATA)
    fig = go.Figure()
    for col, name, colour in (("median_minutes", "中位数", theme.SERIES[0]),
                              ("p90_minutes", "P90", theme.SERIES[1])):
        fig.add_bar(y=depts["department"], x=depts[col], name=name, orientation="h",
                    marker_color=colour, customdata=depts[["cases"]],
                    hovertemplate="%{y}<br>" + name + "：%{x:.1f} 分钟<br>案件：%{customdata[0]:,}"
                                  "<extra></extra>")
    fig.update_layout(barmode="group", bargap=0.2)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="分钟")
    theme.dark(fig, margin=dict(l=16, r=16, t=36, b=40))
    fig.update_layout(height=max(360, 26 * len(depts) + 90))
    return fig
