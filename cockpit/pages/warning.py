"""预警研判: the early-warning module's output for the viewer's jurisdiction — a map of where
alerts are active (the chosen incident's area outlined), the alerts active
at the data's as-of day, the space-time clusters of the last 30 days with their grids, the
incidents (runs of alerts) with one incident's course and after-analysis, and how well each
method finds injected outbreaks. All of it is read from the warning tables the ETL writes into
each generation (etl/warning/build.py); nothing is computed in the browser."""
from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dash_table, dcc, html, no_update

from cockpit import geometry, ids
from cockpit.components.counter import counter, panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.components.table import records
from cockpit.cache import cache, view
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import theme
from cockpit.figures import warning as fig
from cockpit.figures.warning import day, fmt, share
from cockpit.queries import warning as q
from cockpit.scope import Scope

dash.register_page(__name__, path="/warning", name="预警研判", title="网格治理数字驾驶舱 · 预警研判",
                   order=4.5)

KPI_ALERTS = "warning-kpi-alerts"
KPI_AREAS = "warning-kpi-areas"
KPI_CLUSTERS = "warning-kpi-clusters"
KPI_ONGOING = "warning-kpi-ongoing"
KPI_ENDED = "warning-kpi-ended"
MAP = "warning-map"
ALERTS_TABLE = "warning-alerts"
CLUSTERS_TABLE = "warning-clusters"
INCIDENTS_TABLE = "warning-incidents"
INCIDENT = "warning-incident"
TIMELINE = "warning-timeline"
REVIEW = "warning-review"
QUALITY = "warning-quality"
NOTE = "warning-note"

CLUSTER_DAYS = 30
SHOWN_ROWS = 50           # rows per table sent to the browser; the counters count them all
NOT_BUILT = ("本数据版本没有预警结果：预警表由数据刷新生成（etl refresh），"
             "下一次刷新发布后在此显示。")
NO_QUALITY = ("暂无方法评估结果：运行 python -m etl evaluate-warnings --save 后，"
              "下一次数据刷新将在此显示各方法的检出率、检出延迟与误报率。")

ALERT_COLUMNS = {"day": "日期", "area": "区域", "subclass": "事件小类", "observed_expected": "观测 / 预期",
                 "method": "方法", "reason": "依据", "since": "持续自"}
CLUSTER_COLUMNS = {"day": "日期", "subclass_name": "事件小类", "grids": "网格", "grid_names": "本辖区网格",
                   "window": "时间窗", "observed_expected": "观测 / 预期", "rate_ratio": "相对风险",
                   "p_value": "p 值"}
INCIDENT_COLUMNS = {"incident_id": "编号", "status": "状态", "area_name": "区域", "subclass_name": "事件小类",
                    "span": "起止", "alerts": "告警数", "excess": "超出基线（件）", "peak_ratio": "峰值倍数"}
QUALITY_COLUMNS = {"source": "评估方式", "方法": "方法", "outbreak_size": "暴发规模", "incidents": "真值事件",
                   "trials": "模拟次数", "detected": "检出",
                   "pod": "检出率", "median_delay_days": "检出延迟中位数（天）",
                   "false_alarm_rate": "误报率", "generation": "评估数据版本"}


def layout(**_query):
    return html.Div([
        html.Div([
            counter("生效告警", KPI_ALERTS, "条"),
            counter("涉及区域", KPI_AREAS, "个"),
            counter(f"近{CLUSTER_DAYS}日聚集", KPI_CLUSTERS, "处"),
            counter("进行中事件", KPI_ONGOING, "起"),
            counter("已结束事件", KPI_ENDED, "起"),
        ], className="counter-row"),
        html.Div(id=NOTE, className="warning-note"),
        html.Div([
            panel(f"预警地图（颜色：生效告警数；红色：网格告警或近{CLUSTER_DAYS}日时空聚集；黄框：所选事件区域）",
                  graph(MAP, "预警地图", class_name="chart warning-map")),
            panel("生效告警（本辖区，最新、最强在前）",
                  html.Div(id=ALERTS_TABLE, className="warning-table-wrap")),
        ], className="grid-2"),
        html.Div([
            panel(f"时空聚集（近{CLUSTER_DAYS}日，涉及本辖区的网格）",
                  html.Div(id=CLUSTERS_TABLE, className="warning-table-wrap")),
            panel("研判事件", html.Div(id=INCIDENTS_TABLE, className="warning-table-wrap")),
        ], className="grid-2"),
        html.Div([
            panel("事件过程（上报与基线、日末在办）",
                  labelled("选择事件", dcc.Dropdown(id=INCIDENT, clearable=False, placeholder="选择研判事件",
                                                    className="warning-dropdown")),
                  graph(TIMELINE, "预警事件过程"),
                  html.Div(id=REVIEW, className="warning-review")),
        ]),
        panel("预警方法评估（注入暴发的检出情况）", html.Div(id=QUALITY, className="warning-table-wrap")),
        html.Div("日期为数据时点（最新事件时间）所在日；告警按区域 × 事件小类逐日检验。",
                 className="incident-note"),
    ], className="warning-page")


def _table(frame: pd.DataFrame, columns: dict[str, str], empty_text: str = "无数据",
           highlight: tuple[str, str] | None = None):
    """The first SHOWN_ROWS rows as a DataTable fed records (as HTML cells they were thousands of
    components to serialise on every answer, cached or not); `highlight` = (column, value)
    colours the rows holding that value."""
    if frame.empty:
        return html.Div(empty_text, className="empty-note")
    shown = frame.head(SHOWN_ROWS)[list(columns)]
    rows = [{"if": {"filter_query": f'{{{highlight[0]}}} = "{highlight[1]}"'}, "color": "#ffb38a"}] \
        if highlight else []
    table = dash_table.DataTable(
        data=records(shown),
        columns=[{"name": label, "id": cid} for cid, label in columns.items()],
        page_action="none", style_table={"overflowX": "auto"}, style_data_conditional=rows,
        style_cell={"textAlign": "left", "padding": "5px 8px", "fontFamily": theme.FONT_FAMILY,
                    "fontSize": "14px", "whiteSpace": "normal", "height": "auto"},
        style_cell_conditional=[
            {"if": {"column_id": "reason"}, "minWidth": "280px", "fontSize": "13px", "color": "#a9cbe6"},
            {"if": {"column_id": "grid_names"}, "minWidth": "220px", "fontSize": "13px"}])
    more = ([html.Div(f"仅显示前 {SHOWN_ROWS:,} 条，共 {len(frame):,} 条", className="warning-more")]
            if len(frame) > SHOWN_ROWS else [])
    return html.Div([table, *more], className="warning-table")


def _alerts_shown(alerts: pd.DataFrame) -> pd.DataFrame:
    return alerts.assign(
        day=alerts["day"].map(day), since=alerts["since"].map(day),
        area=alerts["level_name"] + " · " + alerts["area_name"],
        subclass=alerts["class_name"] + " / " + alerts["subclass_name"],
        observed_expected=[f"{fmt(o)} / {fmt(e, 2)}" for o, e in zip(alerts["observed"], alerts["expected"])])


def _clusters_shown(clusters: pd.DataFrame) -> pd.DataFrame:
    return clusters.assign(
        day=clusters["day"].map(day),
        grids=[f"{h} / {n}" for h, n in zip(clusters["grids_in_scope"], clusters["n_grids"])],
        window=clusters["window_days"].map(lambda d: f"{fmt(d)} 天"),
        observed_expected=[f"{fmt(o)} / {fmt(e, 2)}" for o, e in zip(clusters["observed"], clusters["expected"])],
        rate_ratio=clusters["rate_ratio"].map(lambda v: fmt(v, 1)),
        p_value=clusters["p_value"].map(lambda v: f"{v:.1e}" if pd.notna(v) else "—"))


def _incidents_shown(incidents: pd.DataFrame) -> pd.DataFrame:
    return incidents.assign(
        span=[f"{day(a)} 至 {day(b)}" for a, b in zip(incidents["first_day"], incidents["last_day"])],
        excess=incidents["excess"].map(lambda v: fmt(v, 1)),
        peak_ratio=incidents["peak_ratio"].map(lambda v: fmt(v, 1, " 倍")))


def _quality(frame: pd.DataFrame | None):
    if frame is None:
        return html.Div(NO_QUALITY, className="empty-note warning-no-quality")
    shown = frame.copy()
    if "方法" not in shown.columns:
        shown["方法"] = shown.get("method", "")
    for col in ("pod", "false_alarm_rate"):
        if col in shown.columns:
            shown[col] = shown[col].map(share)
    if "median_delay_days" in shown.columns:
        shown["median_delay_days"] = shown["median_delay_days"].map(lambda v: fmt(v, 1))
    columns = {c: label for c, label in QUALITY_COLUMNS.items() if c in shown.columns}
    return _table(shown.fillna("—"), columns, "评估结果为空")


def incident_options(incidents: pd.DataFrame) -> list[dict]:
    return [{"label": f"{r.incident_id} · {r.area_name} · {r.subclass_name} · {r.status}",
             "value": r.incident_id} for r in incidents.itertuples()]


@callback(
    Output(KPI_ALERTS, "children"), Output(KPI_AREAS, "children"), Output(KPI_CLUSTERS, "children"),
    Output(KPI_ONGOING, "children"), Output(KPI_ENDED, "children"), Output(NOTE, "children"),
    Output(ALERTS_TABLE, "children"), Output(CLUSTERS_TABLE, "children"),
    Output(INCIDENTS_TABLE, "children"), Output(QUALITY, "children"),
    Output(INCIDENT, "options"), Output(INCIDENT, "value"),
    Input(ids.GENERATION, "data"), State(INCIDENT, "value"),
)
def refresh_warning(_generation, selected):
    out = warning_view(warehouse(), viewer_scope())
    options = out[-1]
    known = [o["value"] for o in options]
    value = selected if selected in known else (known[0] if known else None)
    return (*out, no_update if value == selected else value)


@view
def warning_view(wh: Snapshot, scope: Scope) -> tuple:
    if not q.available(wh, scope):
        empty = html.Div(NOT_BUILT, className="empty-note")
        return ("0", "0", "0", "0", "0", NOT_BUILT, empty, empty, empty, _quality(None), [])
    alerts, clusters, incidents = q.alerts(wh, scope), q.clusters(wh, scope, CLUSTER_DAYS), q.incidents(wh, scope)
    ongoing = int((incidents["status"] == "进行中").sum())
    return (f"{len(alerts):,}", f"{alerts['area_code'].nunique():,}", f"{len(clusters):,}",
            f"{ongoing:,}", f"{len(incidents) - ongoing:,}", _lag_note(q.lag(wh, scope)),
            _table(_alerts_shown(alerts), ALERT_COLUMNS, "本辖区当前没有生效告警"),
            _table(_clusters_shown(clusters), CLUSTER_COLUMNS, f"近{CLUSTER_DAYS}日本辖区没有时空聚集"),
            _table(_incidents_shown(incidents), INCIDENT_COLUMNS, "本辖区没有研判事件",
                   highlight=("status", "进行中")),
            _quality(q.quality(wh, scope)), incident_options(incidents))


def _lag_note(lag) -> str | None:
    if lag is None:
        return None
    warned, data = lag
    return (f"预警尚未更新：数据已更新至 {data:%Y-%m-%d %H:%M}，以下预警为 {warned:%Y-%m-%d %H:%M} 时点数据的结果，"
            "新数据的预警计算完成后自动替换（通常在数据发布后几分钟内）。")


@callback(Output(TIMELINE, "figure"), Output(REVIEW, "children"),
          Input(INCIDENT, "value"), Input(ids.GENERATION, "data"))
def refresh_incident(incident_id, _generation):
    return incident_view(warehouse(), viewer_scope(), incident_id)


@callback(Output(MAP, "figure"), Input(INCIDENT, "value"), Input(ids.GENERATION, "data"))
def refresh_map(incident_id, _generation):
    return map_view(warehouse(), viewer_scope(), incident_id)


@view
def map_view(wh: Snapshot, scope: Scope, incident_id):
    if not q.available(wh, scope):
        return fig.theme.empty(NOT_BUILT)
    outline = q.incident_area(wh, scope, incident_id)
    return fig.alert_map(*_map_layers(wh, scope), outline, geometry.inline(wh, scope, outline["code"]))


@cache.memoize()
def _map_layers(wh: Snapshot, scope: Scope) -> tuple:
    """The map's two fixed layers, once per generation and scope (choosing another incident
    changes only the outline): the base areas with their polygons' URL (cockpit/geometry.py), and
    the few hot grids with their polygons inline."""
    areas, hot = q.map_areas(wh, scope), q.map_grids(wh, scope, CLUSTER_DAYS)
    return (areas, geometry.url(wh, q.base_level(scope), scope.code),
            hot, geometry.inline(wh, scope, hot["code"]))


def _fact(label: str, value: str) -> html.Div:
    return html.Div([html.Div(label, className="warning-fact-label"),
                     html.Div(value, className="warning-fact-value")], className="warning-fact")


def review_facts(row) -> list[tuple[str, str]]:
    """The after-analysis numbers of one incident, as (label, text)."""
    back = ("尚在进行" if row["status"] == "进行中" and pd.isna(row["days_to_baseline"])
            else "未回落" if pd.isna(row["days_to_baseline"]) else fmt(row["days_to_baseline"], 0, " 天"))
    return [
        ("状态", row["status"]),
        ("起止", f"{day(row['first_day'])} 至 {day(row['last_day'])}（{fmt(row['duration_days'])} 天）"),
        ("超出基线", f"{fmt(row['excess'], 1)} 件（95% 区间 {fmt(row['excess_low'], 1)}–{fmt(row['excess_high'], 1)}）"),
        ("峰值倍数", f"{fmt(row['peak_ratio'], 1)} 倍（第 {fmt(row['peak_offset'])} 天）"),
        ("回落至基线", back),
        ("变点", fmt(row["change_points"])),
        ("复发（30 / 90 日）", f"{fmt(row['recur_30'])} / {fmt(row['recur_90'])} 次"),
        ("事件 / 在办 / 超期", f"{fmt(row['events'])} / {fmt(row['open'])} / {fmt(row['overdue'])} 件"),
        ("派遣时长中位数", fmt(row["dispatch_median_minutes"], 1, " 分钟")),
        ("满意率", share(row["satisfied_share"])),
        ("返工率", share(row["rework_share"])),
        ("处置部门", fmt(row["departments"]) if str(row["departments"] or "").strip() else "—"),
    ]


@view
def incident_view(wh: Snapshot, scope: Scope, incident_id) -> tuple:
    if not q.available(wh, scope):
        return fig.theme.empty(NOT_BUILT), None
    incidents = q.incidents(wh, scope)
    if incident_id is None and len(incidents):              # none chosen yet: the list's first
        incident_id = incidents["incident_id"].iloc[0]
    hit = incidents[incidents["incident_id"] == incident_id]
    if not isinstance(incident_id, str) or hit.empty:       # not one of the scope's incidents
        return fig.theme.empty(fig.NO_INCIDENT), None
    row = hit.iloc[0]
    days = q.incident_days(wh, scope, incident_id)
    title = html.Div(f"{row['incident_id']} · {row['area_name']} · {row['class_name']} / {row['subclass_name']}",
                     className="warning-review-title")
    return (fig.timeline(days, row["first_day"], row["last_day"]),
            html.Div([title, html.Div([_fact(k, v) for k, v in review_facts(row)],
                                      className="warning-facts")]))
