"""流转时效 figures: median and P90 hours per workflow stage; KPI bars per area or department."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme

NO_DATA = "无数据（所选期间与条件下没有案件）"
# the ranking metrics, whitelisted: column → (label, higher is better)
METRICS = {
    "score": ("综合得分", True),
    "on_time_rate": ("按期结案率", True),
    "closure_rate": ("结案率", True),
    "rework_rate": ("返工率", False),
    "extension_rate": ("延期率", False),
}
BAR_ROWS = 30          # a grid level has hundreds of rows: the bar chart shows the first 30


def empty(message: str = NO_DATA) -> go.Figure:
    return theme.empty(message)     # the shared "无数据" chart


def _hours(h: float) -> str:
    return f"{h:.1f}" if h >= 10 else f"{h:.2f}"


def stage_times(stages: pd.DataFrame) -> go.Figure:
    """Median and P90 hours per stage. One stage (派遣→处置) takes days while the others take
    minutes: a log axis keeps every bar readable; the labels carry the exact values."""
    if stages.empty or stages["cases"].sum() == 0:
        return empty()
    fig = go.Figure()
    for col, name, colour in (("median_hours", "中位数", theme.SERIES[0]),
                              ("p90_hours", "P90", theme.SERIES[1])):
        fig.add_bar(x=stages["stage"], y=stages[col], name=name, marker_color=colour,
                    text=[_hours(v) for v in stages[col]], textposition="outside",
                    cliponaxis=False,
                    hovertemplate="%{x}<br>" + name + "：%{y:.2f} 小时<extra></extra>")
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(type="log", dtick=1, title_text="小时（对数刻度）")
    return theme.dark(fig, margin=dict(l=60, r=16, t=36, b=40))


def kpi_bars(kpis: pd.DataFrame, metric: str) -> go.Figure:
    """Horizontal bars of one metric per area or department, best (or highest) at the top."""
    label, _better_high = METRICS[metric]
    rows = kpis.dropna(subset=[metric])
    if rows.empty:
        return empty()
    rows = rows.sort_values([metric, "code"], ascending=[False, True]).head(BAR_ROWS)
    is_rate = metric != "score"
    values = rows[metric] * (100 if is_rate else 1)
    fig = go.Figure(go.Bar(
        y=rows["name"], x=values, orientation="h", marker_color=theme.SERIES[0],
        text=[f"{v:.2f}{'%' if is_rate else ''}" for v in values], textposition="outside",
        cliponaxis=False, customdata=rows[["due"]],
        hovertemplate="%{y}<br>" + label + "：%{x:.2f}" + ("%" if is_rate else "")
                      + "<br>应结案：%{customdata[0]:,}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=label + ("（%）" if is_rate else "（分）"))
    theme.dark(fig, legend=False, margin=dict(l=16, r=56, t=8, b=40))
    fig.update_layout(height=max(320, 22 * len(rows) + 80))
    return fig
