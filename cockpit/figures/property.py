"""Charts of the 物业红黑榜 page."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme

LIST_COLOURS = {"红榜": "#ff4d4f", "无": "#1f8fbf", "黑榜": "#8c8c8c"}
RED_LINE, BLACK_LINE = 90, 60      # the contract: 红榜 at credit_score >= 90, 黑榜 below 60
BAR_PX = 24


def chart_height(n: int) -> int:
    return max(320, BAR_PX * n + 90)


def credit_ranking(frame: pd.DataFrame) -> go.Figure:
    """Firms ranked by credit score, best on top, one colour per list, the list thresholds drawn."""
    fig = go.Figure()
    if frame.empty:
        fig.add_annotation(text="无数据", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font=dict(size=18, color="#4f7fa6"))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return theme.dark(fig, legend=False)
    labels = [f"{r}. {n}" for r, n in zip(frame["score_rank"], frame["name"])]
    for kind, colour in LIST_COLOURS.items():
        mask = (frame["red_black_list"] == kind).to_numpy()
        if not mask.any():
            continue
        part = frame[mask]
        fig.add_bar(
            x=part["credit_score"], y=[label for label, m in zip(labels, mask) if m], orientation="h",
            name="未上榜" if kind == "无" else kind, marker_color=colour,
            marker_line=dict(color="#d9d9d9", width=1 if kind == "黑榜" else 0),
            text=part["credit_score"].map(lambda s: f"{s:.1f}"), textposition="outside",
            customdata=part[["compounds", "red_heart_projects", "region_name"]].to_numpy(),
            hovertemplate=("%{y}<br>信用评分：%{x:.1f}<br>服务小区：%{customdata[0]} 个<br>"
                           "红心物业项目：%{customdata[1]} 个<br>注册地：%{customdata[2]}<extra></extra>"))
    for x, text, colour in ((RED_LINE, "红榜线 90", LIST_COLOURS["红榜"]),
                            (BLACK_LINE, "黑榜线 60", "#bfbfbf")):
        fig.add_vline(x=x, line=dict(color=colour, dash="dot", width=1),
                      annotation=dict(text=text, font=dict(color=colour, size=11)),
                      annotation_position="top")
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed",
                     type="category", automargin=True)
    fig.update_xaxes(range=[min(40, float(frame["credit_score"].min()) - 5), 103], title="信用评分")
    fig.update_layout(height=chart_height(len(frame)), bargap=0.25)
    theme.dark(fig, margin=dict(l=16, r=24, t=64, b=40))
    # the legend sits above the threshold labels, not on them
    fig.update_layout(legend=dict(yref="container", y=1, yanchor="top", x=0))
    return fig
