"""预警研判: what the early warning shows a duty officer today, and the loop back from them.

- Today's screen, as the ETL ranked it (etl/warning/screen.py): one row per incident (a persistent
  alarm is one row with its "since"), new ones first; drops (上报骤减 / 网格静默) in their own list;
  each with its reason in words and the latest 研判 label.
- A map of the jurisdiction (areas shaded by today's incidents, their grids in red, the chosen
  incident outlined), and every incident of the warning window.
- One incident: its course against the baseline, the after-analysis, its alerts, and the 研判 form:
  确认 / 误报 / 已处置 with a note, on the incident or one of its alerts. The server checks that the
  incident is in the viewer's jurisdiction, stores the label with the incident's area (taken from
  the warehouse, never the browser), scrubs the note and writes the audit record; others in scope
  see it.
- 方法质量: the replay's measured figures (evaluate-warnings --save) beside the precision the
  duty officers' own labels give, week by week.
Warehouse answers are cached per generation and scope; labels are read on every answer (they
change without a new generation)."""
from __future__ import annotations

import json

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update
from flask import g

from cockpit import geometry, ids
from cockpit.auth import audit
from cockpit.cache import cache, view
from cockpit.components.counter import counter, panel
from cockpit.components.filter import labelled
from cockpit.components.graph import graph
from cockpit.components.table import column, grid, records
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import warning as fig
from cockpit.figures.warning import day, fmt, share
from cockpit.labels import LABELS, LabelError, store
from cockpit.queries import warning as q
from cockpit.scope import Scope

dash.register_page(__name__, path="/warning", name="预警研判", title="网格治理数字驾驶舱 · 预警研判",
                   order=4.5)

KPI_SHOWN = "warning-kpi-shown"
KPI_NEW = "warning-kpi-new"
KPI_ONGOING = "warning-kpi-ongoing"
KPI_DROPS = "warning-kpi-drops"
KPI_MARKED = "warning-kpi-marked"
MAP = "warning-map"
SCREEN_TABLE = "warning-screen"
DROPS_TABLE = "warning-drops"
INCIDENTS_TABLE = "warning-incidents"
INCIDENT = "warning-incident"
TIMELINE = "warning-timeline"
REVIEW = "warning-review"
ALERTS_TABLE = "warning-alerts"
QUALITY = "warning-quality"
PRECISION = "warning-precision"
NOTE = "warning-note"
LABEL_TARGET = "warning-label-target"
LABEL_CHOICE = "warning-label-choice"
LABEL_NOTE = "warning-label-note"
LABEL_SAVE = "warning-label-save"
LABEL_MESSAGE = "warning-label-message"
LABEL_HISTORY = "warning-label-history"
LABELS_VERSION = "warning-labels-version"

SHOWN_ROWS = 50           # rows per table sent to the browser; the counters count them all
NOT_BUILT = ("本数据版本没有预警结果：预警表由数据刷新生成（etl refresh），"
             "下一次刷新发布后在此显示。")
NO_QUALITY = ("暂无回放评估结果：运行 python -m etl evaluate-warnings --replay --save 后，"
              "下一次数据刷新将在此显示屏幕每日条数、误报条数与各类暴发的检出率。")
WHOLE = "__incident__"

SCREEN_COLUMNS = {"state": "状态", "since": "持续自", "area_name": "区域", "subject": "事件类别",
                  "reason": "依据", "label": "研判"}
INCIDENT_COLUMNS = {"incident_id": "编号", "status": "状态", "kind_name": "类型", "area_name": "区域",
                    "subject": "事件类别", "span": "起止", "alarm_days": "告警天数", "excess": "超出基线（件）",
                    "label": "研判"}
ALERT_COLUMNS = {"day": "日期", "area": "区域", "tier_name": "序列", "window": "窗口", "observed_expected": "观测 / 预期",
                 "score": "得分", "reason": "依据"}
HISTORY_COLUMNS = {"at": "时间", "account": "账号", "target": "对象", "label": "结论", "note": "说明"}
QUALITY_COLUMNS = {"方法": "方法", "class": "暴发类别", "incidents": "事件数", "pod": "屏幕检出率",
                   "target": "目标", "items_per_day": "每日条数", "false_items_per_day": "每日误报条数",
                   "precision": "精确率", "generation": "评估数据版本"}
# the long texts share the width left in their panel (and wrap); the reason has twice the share;
# a few columns are narrower than their text or header and wrap it, so the tables fit half a screen
_NARROW = {"suppressAutoSize": True, "wrapHeaderText": True, "autoHeaderHeight": True}
COLUMN_OPTIONS = {"reason": {"fill": 240, "flex": 2, "cellClass": "cell-note"},
                  "note": {"fill": 200, "flex": 2, "cellClass": "cell-note"},
                  "area_name": {"fill": 130}, "subject": {"fill": 150}, "area": {"fill": 160},
                  "span": {"width": 104, **_NARROW}, "alarm_days": {"width": 64, **_NARROW},
                  "excess": {"width": 84, **_NARROW}}
PRECISION_COLUMNS = {"week": "周（起）", "marked": "已研判", "real": "确认 / 已处置", "false": "误报",
                     "precision": "精确率（研判）"}


def layout(**_query):
    return html.Div([
        dcc.Store(id=LABELS_VERSION, data=0),
        html.Div([
            counter("今日屏幕", KPI_SHOWN, "条"),
            counter("新发事件", KPI_NEW, "起"),
            counter("持续事件", KPI_ONGOING, "起"),
            counter("上报骤减", KPI_DROPS, "处"),
            counter("近 7 日已研判", KPI_MARKED, "条"),
        ], className="counter-row"),
        html.Div(id=NOTE, className="warning-note"),
        html.Div([
            panel("预警地图（颜色：今日事件数；红色：事件所在网格；黄框：所选事件）",
                  graph(MAP, "预警地图", class_name="chart warning-map")),
            panel("今日预警事件（新发在前，每起一行）", html.Div(id=SCREEN_TABLE, className="warning-table-wrap")),
        ], className="grid-2"),
        html.Div([
            panel("上报骤减 / 网格静默", html.Div(id=DROPS_TABLE, className="warning-table-wrap")),
            panel("近期全部事件", html.Div(id=INCIDENTS_TABLE, className="warning-table-wrap")),
        ], className="grid-2"),
        html.Div([
            panel("事件过程与研判",
                  labelled("选择事件", dcc.Dropdown(id=INCIDENT, clearable=False, placeholder="选择预警事件",
                                                    className="warning-dropdown")),
                  graph(TIMELINE, "预警事件过程"),
                  html.Div(id=REVIEW, className="warning-review"),
                  html.Div(id=ALERTS_TABLE, className="warning-table-wrap"),
                  html.Div([
                      html.Div("研判", className="warning-review-title"),
                      html.Div([
                          labelled("对象", dcc.Dropdown(id=LABEL_TARGET, clearable=False, value=WHOLE,
                                                        className="warning-dropdown")),
                          labelled("结论", dcc.RadioItems(id=LABEL_CHOICE, options=list(LABELS), inline=True,
                                                          className="warning-label-choice")),
                      ], className="warning-label-row"),
                      dcc.Textarea(id=LABEL_NOTE, placeholder="说明（如处置情况、误报原因；勿填写身份证号、手机号）",
                                   maxLength=500, className="warning-label-note"),
                      html.Button("提交研判", id=LABEL_SAVE, n_clicks=0, className="warning-label-save"),
                      html.Div(id=LABEL_MESSAGE, className="warning-label-message"),
                      html.Div(id=LABEL_HISTORY, className="warning-table-wrap"),
                  ], className="warning-label-form"),
                  ),
        ]),
        html.Div([
            panel("方法质量：回放评估（注入暴发，屏幕同等条数下比较）", html.Div(id=QUALITY, className="warning-table-wrap")),
            panel("方法质量：值班研判给出的精确率（按周）", html.Div(id=PRECISION, className="warning-table-wrap")),
        ], className="grid-2"),
        html.Div("日期为数据时点（最新事件时间）所在日。每起事件是同一地点、相近日期的一组告警："
                 "网格、片区（网格及其最近的网格）、社区、街道、区县 × 小类、大类、全部上报逐日检验。",
                 className="incident-note"),
    ], className="warning-page")


def _table(frame: pd.DataFrame, columns: dict[str, str], empty_text: str = "无数据",
           highlight: tuple[str, str] | None = None, table_id: str | None = None):
    """The first SHOWN_ROWS rows as a grid fed records; `highlight` = (column, value) colours the
    rows holding that value."""
    if frame.empty:
        return html.Div(empty_text, className="empty-note")
    shown = frame.head(SHOWN_ROWS)[list(columns)]
    rules = {"row-highlight": f"params.data.{highlight[0]} === {json.dumps(highlight[1], ensure_ascii=False)}"} if highlight else {}
    table = grid(table_id, [column(cid, label, **COLUMN_OPTIONS.get(cid, {})) for cid, label in columns.items()],
                 records(shown), wrap=True, rowClassRules=rules)
    more = ([html.Div(f"仅显示前 {SHOWN_ROWS:,} 条，共 {len(frame):,} 条", className="warning-more")]
            if len(frame) > SHOWN_ROWS else [])
    return html.Div([table, *more], className="warning-table")


def with_labels(incidents: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """Each incident's latest 研判 label (as a whole), or 待研判."""
    label = latest.set_index("incident_id")["label"] if len(latest) else pd.Series(dtype=object)
    return incidents.assign(label=incidents["incident_id"].map(label).astype(object).fillna("待研判"))


def _screen_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(state=frame["new"].map({True: "新发", False: "持续"}), since=frame["first_day"].map(day),
                        subject=frame["subject"].map(fig.subject))


def _incident_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(span=[f"{day(a)} 至 {day(b)}" for a, b in zip(frame["first_day"], frame["last_day"])],
                        excess=frame["excess"].map(lambda v: fmt(v, 1)), subject=frame["subject"].map(fig.subject))


def incident_options(incidents: pd.DataFrame) -> list[dict]:
    return [{"label": f"{r.incident_id} · {r.area_name} · {fig.subject(r.subject)} · "
                      f"{'今日屏幕' if r.on_screen else r.status}", "value": r.incident_id}
            for r in incidents.itertuples()]


@view
def warning_data(wh: Snapshot, scope: Scope) -> dict | None:
    """What the page reads from the generation (cached per generation and scope)."""
    if not q.available(wh, scope):
        return None
    return {"incidents": q.incidents(wh, scope), "lag": _lag_note(q.lag(wh, scope)),
            "quality": q.quality(wh, scope)}


@callback(
    Input(ids.GENERATION, "data"), Input(LABELS_VERSION, "data"), State(INCIDENT, "value"),
    output=dict(
        shown=Output(KPI_SHOWN, "children"), new=Output(KPI_NEW, "children"),
        ongoing=Output(KPI_ONGOING, "children"), drops=Output(KPI_DROPS, "children"),
        marked=Output(KPI_MARKED, "children"), note=Output(NOTE, "children"),
        screen=Output(SCREEN_TABLE, "children"), drops_table=Output(DROPS_TABLE, "children"),
        incidents=Output(INCIDENTS_TABLE, "children"), quality=Output(QUALITY, "children"),
        precision=Output(PRECISION, "children"),
        options=Output(INCIDENT, "options"), value=Output(INCIDENT, "value"),
    ),
)
def refresh_warning(_generation, _labels, selected):
    scope = viewer_scope()
    out = warning_view(warehouse(), scope, store().latest(scope.code), store().precision_by_week(scope.code))
    known = [o["value"] for o in out["options"]]
    value = selected if selected in known else (known[0] if known else None)
    return {**out, "value": no_update if value == selected else value}


def warning_view(wh: Snapshot, scope: Scope, latest: pd.DataFrame, weekly: pd.DataFrame) -> dict:
    """Every output of refresh_warning but the selected incident."""
    data = warning_data(wh, scope)
    precision = _precision(weekly)
    if data is None:
        empty = html.Div(NOT_BUILT, className="empty-note")
        return dict(shown="0", new="0", ongoing="0", drops="0", marked="0", note=NOT_BUILT, screen=empty,
                    drops_table=empty, incidents=empty, quality=_quality(None), precision=precision, options=[])
    incidents = with_labels(data["incidents"], latest)
    today = incidents[incidents["on_screen"].astype(bool)]
    drops = today[today["kind"] == "drop"]
    others = today[today["kind"] != "drop"]
    recent = weekly[pd.to_datetime(weekly["week"]) >= pd.Timestamp.now().normalize() - pd.Timedelta(days=13)] \
        if len(weekly) else weekly
    return dict(
        shown=f"{len(today):,}", new=f"{int(others['new'].sum()):,}",
        ongoing=f"{int((~others['new'].astype(bool)).sum()):,}", drops=f"{len(drops):,}",
        marked=f"{int(recent['marked'].sum()) if len(recent) else 0:,}", note=data["lag"],
        screen=_table(_screen_rows(others), SCREEN_COLUMNS, "本辖区今日没有预警事件", ("state", "新发")),
        drops_table=_table(_screen_rows(drops), SCREEN_COLUMNS, "本辖区今日没有上报骤减"),
        incidents=_table(_incident_rows(incidents), INCIDENT_COLUMNS, "本辖区近期没有预警事件", ("status", "进行中")),
        quality=_quality(data["quality"]), precision=precision, options=incident_options(incidents))


def _lag_note(lag) -> str | None:
    if lag is None:
        return None
    warned, data = lag
    return (f"预警尚未更新：数据已更新至 {data:%Y-%m-%d %H:%M}，以下预警为 {warned:%Y-%m-%d %H:%M} 时点数据的结果，"
            "新数据的预警计算完成后自动替换（通常在数据发布后几分钟内）。")


def _quality(frame: pd.DataFrame | None):
    if frame is None:
        return html.Div(NO_QUALITY, className="empty-note warning-no-quality")
    shown = frame.copy()
    for col in ("pod", "target", "precision"):
        if col in shown.columns:
            shown[col] = shown[col].map(share)
    for col in ("items_per_day", "false_items_per_day"):
        if col in shown.columns:
            shown[col] = shown[col].map(lambda v: fmt(v, 2))
    columns = {c: label for c, label in QUALITY_COLUMNS.items() if c in shown.columns}
    return _table(shown.fillna("—"), columns, "评估结果为空")


def _precision(weekly: pd.DataFrame):
    if weekly.empty:
        return html.Div("尚无研判标记：在下方“事件过程与研判”中标记事件为确认、误报或已处置后，"
                        "此处按周显示屏幕事件的实际精确率。", className="empty-note")
    shown = weekly.sort_values("week", ascending=False).assign(
        week=weekly["week"].map(day), precision=weekly["precision"].map(share))
    return _table(shown, PRECISION_COLUMNS)


@callback(Input(INCIDENT, "value"), Input(ids.GENERATION, "data"), Input(LABELS_VERSION, "data"),
          output=dict(timeline=Output(TIMELINE, "figure"), review=Output(REVIEW, "children"),
                      alerts=Output(ALERTS_TABLE, "children"), targets=Output(LABEL_TARGET, "options"),
                      target=Output(LABEL_TARGET, "value"), history=Output(LABEL_HISTORY, "children")))
def refresh_incident(incident_id, _generation, _labels):
    scope = viewer_scope()
    figure, review, alerts, options = incident_view(warehouse(), scope, incident_id)
    history = store().history(scope.code, incident_id) if isinstance(incident_id, str) and options else None
    return dict(timeline=figure, review=review, alerts=alerts, targets=options, target=WHOLE,
                history=_history(history))


def _history(history: pd.DataFrame | None):
    if history is None:
        return None
    if history.empty:
        return html.Div("该事件尚无研判记录", className="empty-note")
    at = pd.to_datetime(history["at"], utc=True).dt.tz_convert("Asia/Shanghai")
    shown = history.assign(at=at.dt.strftime("%Y-%m-%d %H:%M"),
                           target=history["target_kind"].map({"incident": "整个事件"}).fillna(history["target_id"]))
    return _table(shown, HISTORY_COLUMNS)


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
    areas, hot = q.map_areas(wh, scope), q.map_grids(wh, scope)
    return (areas, geometry.url(wh, q.base_level(scope), scope.code),
            hot, geometry.inline(wh, scope, hot["code"]))


def _fact(label: str, value: str) -> html.Div:
    return html.Div([html.Div(label, className="warning-fact-label"),
                     html.Div(value, className="warning-fact-value")], className="warning-fact")


def review_facts(row) -> list[tuple[str, str]]:
    """The after-analysis numbers of one incident, as (label, text)."""
    drop = row["kind"] == "drop"
    back = ("尚在进行" if row["status"] == "进行中" and pd.isna(row["days_to_baseline"])
            else "未回落" if pd.isna(row["days_to_baseline"]) else fmt(row["days_to_baseline"], 0, " 天"))
    return [
        ("状态", f"{row['status']}（{'今日屏幕第 ' + fmt(row['rank']) + ' 位' if row['on_screen'] else '不在今日屏幕'}）"),
        ("类型", row["kind_name"]),
        ("起止", f"{day(row['first_day'])} 至 {day(row['last_day'])}（{fmt(row['duration_days'])} 天，告警 {fmt(row['alarm_days'])} 天）"),
        ("依据（最新）", row["reason"]),
        ("少于基线" if drop else "超出基线",
         f"{fmt(abs(row['excess']), 1)} 件（95% 区间 {fmt(row['excess_low'], 1)}–{fmt(row['excess_high'], 1)}）"),
        ("最低比例" if drop else "峰值倍数", f"{fmt(row['peak_ratio'], 2 if drop else 1)} 倍（第 {fmt(row['peak_offset'])} 天）"),
        ("回到基线", back),
        ("变点", fmt(row["change_points"])),
        ("复发（30 / 90 日）", f"{fmt(row['recur_30'])} / {fmt(row['recur_90'])} 天"),
        ("事件 / 在办 / 超期", f"{fmt(row['events'])} / {fmt(row['open'])} / {fmt(row['overdue'])} 件"),
        ("派遣时长中位数", fmt(row["dispatch_median_minutes"], 1, " 分钟")),
        ("满意率", share(row["satisfied_share"])),
        ("返工率", share(row["rework_share"])),
        ("处置部门", fmt(row["departments"]) if str(row["departments"] or "").strip() else "—"),
    ]


@view
def incident_view(wh: Snapshot, scope: Scope, incident_id) -> tuple:
    """(timeline, facts, alerts table, label targets) of one incident the viewer sees."""
    if not q.available(wh, scope):
        return fig.theme.empty(NOT_BUILT), None, None, []
    incidents = q.incidents(wh, scope)
    if incident_id is None and len(incidents):              # none chosen yet: the list's first
        incident_id = incidents["incident_id"].iloc[0]
    hit = incidents[incidents["incident_id"] == incident_id]
    if not isinstance(incident_id, str) or hit.empty:       # not one of the scope's incidents
        return fig.theme.empty(fig.NO_INCIDENT), None, None, []
    row = hit.iloc[0]
    days = q.incident_days(wh, scope, incident_id)
    alerts = q.incident_alerts(wh, scope, incident_id)
    title = html.Div(f"{row['incident_id']} · {row['area_name']} · {fig.subject(row['subject'])}",
                     className="warning-review-title")
    shown = alerts.assign(day=alerts["day"].map(day), area=alerts["level_name"] + " · " + alerts["area_name"],
                          window=alerts["window_days"].map(lambda w: f"{w} 天"),
                          observed_expected=[f"{fmt(o)} / {fmt(e, 1)}" for o, e in zip(alerts["observed"], alerts["expected"])],
                          score=alerts["score"].map(lambda v: fmt(v, 1)))
    targets = [{"label": "整个事件", "value": WHOLE}] + [
        {"label": f"告警 {a.alert_id}（{day(a.day)} {a.area_name}）", "value": a.alert_id} for a in alerts.itertuples()]
    return (fig.timeline(days, row["first_day"], row["last_day"]),
            html.Div([title, html.Div([_fact(k, v) for k, v in review_facts(row)], className="warning-facts")]),
            _table(shown, ALERT_COLUMNS, "本辖区内没有该事件的告警"), targets)


@callback(Output(LABEL_MESSAGE, "children"), Output(LABELS_VERSION, "data"), Output(LABEL_NOTE, "value"),
          Input(LABEL_SAVE, "n_clicks"),
          State(INCIDENT, "value"), State(LABEL_TARGET, "value"), State(LABEL_CHOICE, "value"),
          State(LABEL_NOTE, "value"), State(LABELS_VERSION, "data"), prevent_initial_call=True)
def save_label(clicks, incident_id, target, label, note, version):
    if not clicks:
        return no_update, no_update, no_update
    message, saved = label_incident(warehouse(), viewer_scope(), g.account.account_id, incident_id, target, label, note)
    return message, (version or 0) + 1 if saved else no_update, "" if saved else no_update


def label_incident(wh: Snapshot, scope: Scope, account_id: str, incident_id, target, label, note) -> tuple[str, bool]:
    """Check, store and audit one label; (message, saved). The incident must be one the viewer
    sees and the alert one of its own in the viewer's area: whatever the browser sends, a label
    lands only on what the jurisdiction holds, with the area the warehouse gives."""
    if label not in LABELS:
        return "请选择研判结论：确认、误报或已处置", False
    if not isinstance(incident_id, str) or not q.available(wh, scope):
        return "请先选择预警事件", False
    incidents = q.incidents(wh, scope)
    hit = incidents[incidents["incident_id"] == incident_id]
    if hit.empty:
        audit("denied", incident_id[:64], "预警研判标记：不在本辖区")
        return "该事件不在本辖区，不能标记", False
    kind, target_id = "incident", incident_id
    if target != WHOLE:
        alerts = q.incident_alerts(wh, scope, incident_id)
        if not isinstance(target, str) or target not in set(alerts["alert_id"]):
            audit("denied", str(target)[:64], "预警研判标记：告警不属于该事件或不在本辖区")
            return "该告警不属于所选事件或不在本辖区", False
        kind, target_id = "alert", target
    try:
        row = store().add(account_id, str(hit.iloc[0]["area_code"]), incident_id, label, note or "", kind, target_id,
                          q.incident_areas(wh, scope, incident_id))
    except LabelError as exc:
        return str(exc), False
    audit("warning_label", target_id, f"{label}：{row['note'][:100]}")
    return f"已记录：{'整个事件' if kind == 'incident' else '告警 ' + target_id} → {label}", True


# computed for each signed-in jurisdiction as soon as a generation is served (cockpit/ops/warm.py)
WARMED = (warning_data,)
