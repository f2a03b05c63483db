"""The phone view's chart: an incident's course (the 预警研判 timeline) set for a 390-px screen,
every text at least 14 px and the legend above the plot."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme
from cockpit.figures.warning import timeline

PHONE_FONT = 14


def course(days: pd.DataFrame, first_day, last_day) -> go.Figure:
    fig = timeline(days, first_day, last_day)
    fig.update_layout(font=dict(size=PHONE_FONT), legend=dict(font=dict(size=PHONE_FONT), y=1.02),
                      margin=dict(l=40, r=40, t=56, b=32))
    fig.update_yaxes(title_text=None)
    fig.update_layout(yaxis2=dict(tickformat=",d", nticks=4), yaxis=dict(nticks=4))
    fig.update_xaxes(nticks=4)
    return fig


def no_course() -> go.Figure:
    fig = theme.empty("未选择预警事件")
    fig.update_layout(font=dict(size=PHONE_FONT))
    return fig
