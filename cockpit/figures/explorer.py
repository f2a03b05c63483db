"""事件查询's chart: events per day for the current filter."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme


def daily_bars(df: pd.DataFrame) -> go.Figure:
    """Bars per day reported (days without events are zero bars, not gaps)."""
    fig = go.Figure(go.Bar(x=df["day"], y=df["events"], marker_color=theme.ACCENT,
                           hovertemplate="%{x|%Y年%m月%d日}：%{y:,} 件<extra></extra>"))
    theme.dark(fig, legend=False, margin=dict(l=48, r=16, t=12, b=36))
    fig.update_layout(bargap=0.15)
    fig.update_xaxes(tickformat="%m-%d")
    fig.update_yaxes(title_text="事件数（件）", rangemode="tozero")
    if df.empty or int(df["events"].sum()) == 0:
        fig.add_annotation(text="无数据", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font=dict(size=18, color="#4f7fa6"))
        fig.update_yaxes(visible=False)
    return fig
