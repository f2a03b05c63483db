"""Charts of the 服务与需求 page: pure functions DataFrame → go.Figure, Chinese labels."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.figures import theme

# the needs' states, worst first, in colours that read as such on the dark screen
STATE_COLOURS = {"在办超期": "#ff4d4f", "在办": "#f5c542", "超期办结": "#ff7a45", "按期办结": "#29d3ff"}


NO_ACTIVITIES = "所选时段本辖区无服务活动（服务项目与活动按社区登记）"
NO_NEEDS = "所选时段本辖区无需求登记"
NO_TEAMS = "本辖区无志愿服务队（按社区登记）"
NO_VOLUNTEERS = "本辖区无注册志愿者（按社区登记）"


def empty(message: str) -> go.Figure:
    """A chart with nothing to show says so, instead of drawing empty axes."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font=dict(size=18, color="#4f7fa6"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return theme.dark(fig, legend=False)


def activities_monthly(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars: activities per month, one colour per project type."""
    if frame.empty:
        return empty(NO_ACTIVITIES)
    months = sorted(frame["month"].unique())
    labels = [f"{pd.Timestamp(m):%Y-%m}" for m in months]
    fig = go.Figure()
    order = frame.groupby("project_type")["activities"].sum().sort_values(ascending=False).index
    for i, kind in enumerate(order):
        part = frame[frame["project_type"] == kind].set_index("month").reindex(months)
        fig.add_bar(x=labels, y=part["activities"].fillna(0), name=kind,
                    marker_color=theme.SERIES[i % len(theme.SERIES)],
                    customdata=part["participants"].fillna(0),
                    hovertemplate=f"{kind}<br>%{{x}}：%{{y}} 场，%{{customdata:,}} 人次<extra></extra>")
    fig.update_layout(barmode="stack", legend=dict(font=dict(size=11)))
    fig.update_xaxes(type="category", title=None)
    fig.update_yaxes(title="活动场次")
    return theme.dark(fig, margin=dict(l=56, r=16, t=56, b=36))


def _hbar(names, values, *, colour: str, hover: str, customdata=None, title: str = "") -> go.Figure:
    """Horizontal bars, largest on top."""
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colour,
                           text=values, textposition="outside", textangle=0, cliponaxis=False,
                           textfont=dict(size=12, color=theme.TEXT), customdata=customdata,
                           hovertemplate=hover))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=title)
    return theme.dark(fig, legend=False, margin=dict(l=110, r=36, t=10, b=40))


def top_communities(frame: pd.DataFrame) -> go.Figure:
    if frame.empty:
        return empty(NO_ACTIVITIES)
    return _hbar(frame["community_name"], frame["activities"], colour=theme.ACCENT,
                 customdata=frame[["participants", "volunteer_turnout"]].to_numpy(),
                 hover="%{y}：%{x} 场<br>服务 %{customdata[0]:,} 人次<br>志愿者 %{customdata[1]:,} 人次"
                       "<extra></extra>", title="活动场次")


def needs_breakdown(frame: pd.DataFrame, dimension: str, order: tuple[str, ...] = ()) -> go.Figure:
    """Needs of one dimension (domain, target group, …) as horizontal bars stacked by state."""
    rows = frame[frame["dimension"] == dimension]
    if rows.empty:
        return empty(NO_NEEDS)
    table = rows.groupby(["value", "state"])["needs"].sum().unstack(fill_value=0)
    if order:
        table = table.reindex([v for v in order if v in table.index]
                              + [v for v in table.index if v not in order])
    else:
        table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    fig = go.Figure()
    for state, colour in STATE_COLOURS.items():
        if state in table.columns:
            fig.add_bar(y=list(table.index), x=table[state], name=state, orientation="h",
                        marker_color=colour,
                        hovertemplate=f"%{{y}} · {state}：%{{x}} 件<extra></extra>")
    fig.update_layout(barmode="stack", legend=dict(font=dict(size=11), traceorder="normal"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title="需求件数")
    return theme.dark(fig, margin=dict(l=110, r=16, t=36, b=40))


def team_types(frame: pd.DataFrame) -> go.Figure:
    """Per team type: teams' members (bars) with their service hours in the hover."""
    if frame.empty:
        return empty(NO_TEAMS)
    by_type = (frame.groupby("team_type")
               .agg(teams=("team_id", "count"), members=("members", "sum"), hours=("service_hours", "sum"))
               .sort_values(["members", "hours"], ascending=False))
    return _hbar(list(by_type.index), by_type["members"], colour="#45d1c5",
                 customdata=by_type[["teams", "hours"]].to_numpy(),
                 hover="%{y}<br>%{customdata[0]} 支，队员 %{x} 人<br>累计服务 %{customdata[1]:,.1f} 小时"
                       "<extra></extra>", title="队员人数")


def volunteers_by_community(frame: pd.DataFrame) -> go.Figure:
    if frame.empty:
        return empty(NO_VOLUNTEERS)
    return _hbar(frame["community_name"], frame["volunteers"], colour="#9f7aea",
                 customdata=frame["service_hours"],
                 hover="%{y}：%{x} 人<br>累计服务 %{customdata:,.1f} 小时<extra></extra>",
                 title="注册志愿者（人）")


def volunteers_by_skill(frame: pd.DataFrame) -> go.Figure:
    if frame.empty:
        return empty(NO_VOLUNTEERS)
    return _hbar(frame["skill"], frame["volunteers"], colour="#f5c542",
                 customdata=frame["service_hours"],
                 hover="%{y}：%{x} 人<br>累计服务 %{customdata:,.1f} 小时<extra></extra>",
                 title="志愿者（人，一人可有两项专长）")
