"""物业红黑榜: the credit rating of property-service firms. Firms are organisations with no area
of the grid layer, so every viewer sees the whole list (rule in sql/property__firms.sql); the
viewer's scope only marks the firms registered in it."""
from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html

from cockpit import ids
from cockpit.cache import view
from cockpit.components.counter import counter, panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.components.table import AUTO_SIZE, column, grid
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import property as fig
from cockpit.queries import property as q
from cockpit.scope import Scope

dash.register_page(__name__, path="/property", name="物业红黑榜",
                   title="网格治理数字驾驶舱 · 物业红黑榜", order=6)

LIST_FILTER = "property-list"
KPI_FIRMS = "property-kpi-firms"
KPI_FIRMS_DETAIL = "property-kpi-firms-detail"
KPI_RED = "property-kpi-red"
KPI_BLACK = "property-kpi-black"
KPI_AVG = "property-kpi-avg"
KPI_COMPOUNDS = "property-kpi-compounds"
KPI_COMPOUNDS_DETAIL = "property-kpi-compounds-detail"
RED_LIST = "property-red-list"
BLACK_LIST = "property-black-list"
RANK_CHART = "property-rank-chart"
FIRMS_TABLE = "property-firms-table"
TABLE_COUNT = "property-table-count"

ROW_CLASS = {"红榜": "red", "黑榜": "black"}
SCOPE_RULE = ("红黑榜为全市公开的企业信用评价：物业企业是单位而非居民，且不隶属于网格，"
              "所有用户均可查看全部企业；“本辖区注册”标出注册地在您辖区内的企业。")


def layout(**_query):
    return html.Div([
        html.Div([
            counter("参评物业企业", KPI_FIRMS, "家", KPI_FIRMS_DETAIL),
            counter("红榜企业", KPI_RED, "家"),
            counter("黑榜企业", KPI_BLACK, "家"),
            counter("平均信用评分", KPI_AVG, "分"),
            counter("服务小区", KPI_COMPOUNDS, "个", KPI_COMPOUNDS_DETAIL),
        ], className="counter-row"),
        html.Div([
            panel("红榜（信用评分 ≥ 90）", html.Div(id=RED_LIST), class_name="property-red"),
            panel("黑榜（信用评分 < 60）", html.Div(id=BLACK_LIST), class_name="property-black"),
        ], className="grid-2"),
        html.Div([
            labelled("榜单", dcc.RadioItems(id=LIST_FILTER, value=q.DEFAULT_LIST, inline=True,
                                            className="property-list-filter",
                                            options=[{"label": label, "value": key}
                                                     for key, (label, _v) in q.LISTS.items()])),
            html.Div(SCOPE_RULE, className="property-scope-rule"),
        ], className="filters"),
        html.Div([
            panel("信用评分排名", html.Div(graph(RANK_CHART, "物业企业信用评分排名", "property-chart"),
                                      className="property-chart-wrap")),
            panel("全部企业", html.Div(id=TABLE_COUNT, className="property-table-count"),
                  _firms_table()),
        ], className="property-main"),
    ], className="property")


def _table(frame: pd.DataFrame, columns: dict[str, str], empty_text: str = "无数据"):
    if frame.empty:
        return html.Div(empty_text, className="empty-note")
    head = html.Thead(html.Tr([html.Th(label) for label in columns.values()]))
    body = html.Tbody([
        html.Tr([html.Td(row[c], className=f"property-cell-{c}") for c in columns],
                className=f"property-row--{ROW_CLASS.get(row['red_black_list'], 'none')}")
        for _, row in frame.iterrows()])
    return html.Table([head, body], className="property-table")


def _firms_table():
    """Every firm of the chosen list, sortable in the browser; its rows come as records (a few
    hundred firms as HTML cells were 3,000 components to serialise on every answer). A red-list
    firm's score and list in red, a black-list firm's row greyed (rules by the list's name)."""
    return grid(FIRMS_TABLE, [column(cid, label, **NUMERIC_COLUMNS.get(cid, {}), **WIDTHS.get(cid, {}))
                              for cid, label in FULL_COLUMNS.items()],
                sortable=True, auto_height=False, class_name="property-firms", style={"height": "720px"},
                rowClassRules={f"firm-{ROW_CLASS[name]}": f"params.data.list_label === '{name}'"
                               for name in ROW_CLASS})


def _records(firms: pd.DataFrame) -> list[dict]:
    """The grid's rows: numbers stay numbers (sorted as numbers, the score shown to one
    decimal by the column's format)."""
    return _shown(firms).assign(score=firms["credit_score"].round(1))[list(FULL_COLUMNS)].to_dict("records")


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Display strings: the score to one decimal, dates as dates, the list's 无 as 未上榜."""
    return frame.assign(
        score=frame["credit_score"].map(lambda s: f"{s:.1f}"),
        rating=pd.to_datetime(frame["rating_date"]).dt.strftime("%Y-%m-%d"),
        list_label=frame["red_black_list"].replace({"无": "未上榜"}),
        here=frame["registered_here"].map({True: "是", False: "否"}))


NUMERIC_COLUMNS = {c: {"digits": 0} for c in ("score_rank", "compounds", "red_heart_projects",
                                               "red_heart_compounds")}
NUMERIC_COLUMNS["score"] = {"digits": 1}
WIDTHS = {"name": {"fill": 230}}
LIST_COLUMNS = {"score_rank": "排名", "name": "企业名称", "score": "信用评分", "compounds": "服务小区",
                "red_heart_projects": "红心项目", "rating": "评价日期"}
FULL_COLUMNS = {"score_rank": "排名", "name": "企业名称", "credit_code": "统一社会信用代码",
                "region_name": "注册地", "here": "本辖区注册", "compounds": "服务小区",
                "red_heart_projects": "红心项目", "red_heart_compounds": "红心覆盖小区",
                "score": "信用评分", "list_label": "榜单", "rating": "评价日期"}


@callback(
    Input(ids.GENERATION, "data"),
    output=dict(
        firms=Output(KPI_FIRMS, "children"), firms_detail=Output(KPI_FIRMS_DETAIL, "children"),
        red=Output(KPI_RED, "children"), black=Output(KPI_BLACK, "children"), avg=Output(KPI_AVG, "children"),
        compounds=Output(KPI_COMPOUNDS, "children"), compounds_detail=Output(KPI_COMPOUNDS_DETAIL, "children"),
        red_list=Output(RED_LIST, "children"), black_list=Output(BLACK_LIST, "children"),
    ),
)
def refresh_lists(_generation):
    return lists_view(warehouse(), viewer_scope())


@view
def lists_view(wh: Snapshot, scope: Scope) -> dict:
    s = q.summary(wh, scope)
    firms = int(s["firms"])
    latest = "—" if pd.isna(s["latest_rating"]) else f"{pd.Timestamp(s['latest_rating']):%Y-%m-%d}"
    avg = "—" if pd.isna(s["avg_score"]) else f"{s['avg_score']:.1f}"
    red = _shown(q.firms(wh, scope, "red"))
    black = _shown(q.firms(wh, scope, "black"))
    return dict(
        firms=f"{firms:,}", firms_detail=f"最近评价 {latest} · 本辖区注册 {int(s['registered_here']):,} 家",
        red=f"{int(s['red']):,}", black=f"{int(s['black']):,}", avg=avg, compounds=f"{int(s['compounds']):,}",
        compounds_detail=(f"红心物业项目 {int(s['red_heart_projects']):,} 个 · "
                          f"覆盖小区 {int(s['red_heart_compounds']):,} 个"),
        red_list=_table(red, LIST_COLUMNS, "本期无红榜企业"), black_list=_table(black, LIST_COLUMNS, "本期无黑榜企业"))


@callback(
    Output(RANK_CHART, "figure"), Output(RANK_CHART, "style"), Output(FIRMS_TABLE, "rowData"),
    Output(FIRMS_TABLE, "columnSize"),
    Output(TABLE_COUNT, "children"),
    Input(LIST_FILTER, "value"), Input(ids.GENERATION, "data"),
)
def refresh_ranking(list_key, _generation):
    chart, style, rows, count = ranking_view(warehouse(), viewer_scope(), list_key)
    return chart, style, rows, AUTO_SIZE, count


@view
def ranking_view(wh: Snapshot, scope: Scope, list_key) -> tuple:
    key = q.list_key(list_key)            # whitelisted: anything else shows every firm
    firms = q.firms(wh, scope, key)
    label = q.LISTS[key][0]
    return (fig.credit_ranking(firms), {"height": f"{fig.chart_height(len(firms))}px"},
            _records(firms), f"{label}：{len(firms):,} 家")
