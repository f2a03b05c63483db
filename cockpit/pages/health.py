"""数据健康: which generation is served and since when, how every file of it was loaded
(rows in / loaded / quarantined / repaired), quarantine and repairs by rule, and the ETL's last
runs. Data-quality facts only: counts, files, lines, columns and rules, never a row's values."""
from __future__ import annotations

from pathlib import Path

import dash
import pandas as pd
from dash import Input, Output, callback, html
from flask import current_app

from cockpit import ids
from cockpit.cache import view
from cockpit.components.counter import panel
from cockpit.components.table import AUTO_SIZE, column, grid, records
from cockpit.context import warehouse
from cockpit.db import Snapshot
from cockpit.queries import health as q
from cockpit.queries.health import STATUS_NAMES
from warehouse.personal import scrub

dash.register_page(__name__, path="/health", name="数据健康", title="网格治理数字驾驶舱 · 数据健康",
                   order=9)

HEALTH_CARDS = "health-cards"
HEALTH_LOAD_LOG = "health-load-log"
HEALTH_LOAD_TOTAL = "health-load-total"
HEALTH_QUARANTINE = "health-quarantine"
HEALTH_QUARANTINE_NOTE = "health-quarantine-note"
HEALTH_REPAIRS = "health-repairs"
HEALTH_REPAIRS_NOTE = "health-repairs-note"
HEALTH_RUNS = "health-runs"
HEALTH_RUNS_NOTE = "health-runs-note"
HEALTH_TOPOLOGY = "health-topology"
HEALTH_TOPOLOGY_NOTE = "health-topology-note"
HEALTH_CALENDAR = "health-calendar"
HEALTH_CALENDAR_NOTE = "health-calendar-note"

RUN_LIMIT = 20
TOPOLOGY_NAMES = {"overlap": "重叠", "gap": "缝隙", "outside_community": "越出社区"}
LOCAL_TZ = "Asia/Shanghai"
_HIDDEN, _SHOWN = {"display": "none"}, {"display": "block"}


def _col(cid: str, name: str, numeric: bool = False, fill: int | None = None) -> dict:
    """A column; a numeric one as a whole number grouped by thousands."""
    return column(cid, name, 0 if numeric else None, fill=fill)


LOAD_COLUMNS = [_col("run_id", "运行"), _col("file", "文件", fill=180), _col("encoding", "编码"),
                _col("rows_in", "读入行", True), _col("rows_loaded", "入库行", True),
                _col("rows_quarantined", "隔离行", True), _col("rows_repaired", "修复行", True),
                column("quarantined_pct", "隔离占比 %", 2)]
QUARANTINE_COLUMNS = [_col("file", "文件", fill=180), _col("column_name", "列"), _col("rule", "规则"),
                      _col("entries", "条目", True), _col("lines", "行数", True),
                      _col("first_lines", "行号（前5）")]
REPAIR_COLUMNS = [_col("repair", "修复规则"), _col("file", "文件", fill=180), _col("column_name", "列"),
                  _col("cells", "单元格", True), _col("lines", "行数", True)]
TOPOLOGY_COLUMNS = [_col("community_code", "社区编码"), _col("problem", "问题"), _col("grid_codes", "涉及网格", fill=160),
                    _col("area_m2", "面积（平方米）", True),
                    _col("check_date", "自何日起")]
CALENDAR_COLUMNS = [_col("year", "年份"), _col("source", "工作日历来源", fill=160), _col("events", "事件", True),
                    _col("needs", "需求", True)]
RUN_TABLE_COLUMNS = [_col("started_at", "开始"), _col("ended_at", "结束"), _col("command", "命令"),
                     _col("status", "状态"), _col("exit_code", "退出码"), _col("seconds", "耗时（秒）"),
                     _col("generation", "数据版本"), _col("rows_in", "读入行", True),
                     _col("rows_loaded", "入库行", True), _col("rows_quarantined", "隔离行", True),
                     _col("rows_repaired", "修复行", True), _col("error", "错误", fill=200)]


def _table(component_id: str, columns: list[dict], noted: bool = True, **style) -> html.Div:
    """A grid as high as its rows, in a box that scrolls beyond `style`'s maxHeight if given;
    `noted`: a note (_note) says why it is empty."""
    return html.Div(grid(component_id, columns, wrap=True, noted=noted), style={"overflowX": "auto", **style})


def _note(component_id: str) -> html.Div:
    return html.Div(id=component_id, className="empty-note", style=_HIDDEN)


def layout(**_query):
    return html.Div([
        html.Div(id=HEALTH_CARDS, className="health-cards"),
        html.Div([
            panel("各文件读入与入库（当前数据版本）", _table(HEALTH_LOAD_LOG, LOAD_COLUMNS, noted=False),
                  html.Div(id=HEALTH_LOAD_TOTAL, className="health-total")),
            html.Div([
                panel("隔离：文件 × 列 × 规则", _table(HEALTH_QUARANTINE, QUARANTINE_COLUMNS,
                                                maxHeight="360px", overflowY="auto"),
                      _note(HEALTH_QUARANTINE_NOTE)),
                panel("修复：按规则", _table(HEALTH_REPAIRS, REPAIR_COLUMNS,
                                          maxHeight="300px", overflowY="auto"),
                      _note(HEALTH_REPAIRS_NOTE)),
            ], className="health-side"),
        ], className="health-grid"),
        html.Div([
            panel("网格拓扑：同一社区的网格重叠、缝隙、越出社区", _table(HEALTH_TOPOLOGY, TOPOLOGY_COLUMNS,
                                                         maxHeight="300px", overflowY="auto"),
                  _note(HEALTH_TOPOLOGY_NOTE)),
            panel("工作日历：各年份的节假日来源", _table(HEALTH_CALENDAR, CALENDAR_COLUMNS,
                                                maxHeight="300px", overflowY="auto"),
                  _note(HEALTH_CALENDAR_NOTE)),
        ], className="health-grid"),
        panel(f"最近 {RUN_LIMIT} 次运行（runs.sqlite）", _table(HEALTH_RUNS, RUN_TABLE_COLUMNS),
              _note(HEALTH_RUNS_NOTE), class_name="health-runs"),
    ], className="health")


def _card(label: str, value: str, detail: str = "", state: str = "") -> html.Div:
    return html.Div([html.Div(label, className="health-card-label"),
                     html.Div(value, className=f"health-card-value {state}".strip()),
                     html.Div(detail, className="health-card-detail")], className="health-card")


def _time(value) -> str:
    """A timestamp to the second in Beijing time: meta's are Beijing time already (the ETL writes
    now() AT TIME ZONE 'Asia/Shanghai'); the run log and pointer write ISO text with an offset."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    try:
        t = pd.Timestamp(value)
    except ValueError:
        return str(value)
    if t.tzinfo is not None:
        t = t.tz_convert(LOCAL_TZ).tz_localize(None)
    return f"{t:%Y-%m-%d %H:%M:%S}"


def _runs_view(runs: pd.DataFrame) -> pd.DataFrame:
    out = runs.copy()
    out["status"] = out["status"].map(lambda s: STATUS_NAMES.get(s, s))
    out["started_at"] = out["started_at"].map(_time)
    out["ended_at"] = out["ended_at"].map(_time)
    # an error message could quote a source line: mask personal numbers, keep it short
    out["error"] = out["error"].map(lambda e: scrub(e)[:q.ERROR_CHARS] if isinstance(e, str) else "")
    return out


def _calendar_view(calendar: pd.DataFrame) -> pd.DataFrame:
    out = calendar.copy()
    out["source"] = out["source"].map(lambda v: "工作日历文件" if v == "file" else v if isinstance(v, str)
                                      else "未覆盖：按周一至周五计算")
    return out


def _topology_view(found: pd.DataFrame) -> pd.DataFrame:
    out = found.copy()
    out["problem"] = out["problem"].map(lambda v: TOPOLOGY_NAMES.get(v, v))
    out["grid_codes"] = out["grid_codes"].str.replace(";", "、")
    out["check_date"] = out["check_date"].astype(str)
    return out


def _warning_cards(found: pd.DataFrame, calendar: pd.DataFrame) -> list[html.Div]:
    """A card per thing to fix that is not a row: the grid layer, the work calendar."""
    cards = []
    if len(found):
        cards.append(_card("网格拓扑", f"{len(found)} 处", "网格未铺满所属社区：见下方网格拓扑表", "bad"))
    uncovered = calendar[calendar["source"].isna()]
    if len(uncovered):
        years = "、".join(str(y) for y in uncovered["year"])
        cards.append(_card("工作日历未覆盖", years, "这些年份按周一至周五计算工作日；请在工作日历文件中"
                           "添加国务院放假安排", "bad"))
    return cards


def _cards(s: dict, runs: pd.DataFrame | None, load: pd.DataFrame) -> list[html.Div]:
    published = _time(s["published_at"]) if s["published_at"] else "—"
    if runs is None:
        last, last_detail, state = "—", "单文件数据仓库：没有运行日志", ""
    elif runs.empty:
        last, last_detail, state = "—", "尚无运行记录", ""
    else:
        r = runs.iloc[0]
        last = STATUS_NAMES.get(r["status"], r["status"])
        last_detail = f"开始 {_time(r['started_at'])} · 结束 {_time(r['ended_at'])}"
        # refused: another run held the warehouse, which is no fault of the data
        state = "ok" if r["status"] in q.GOOD_STATUSES else (
            "running" if r["status"] in ("running", "refused") else "bad")
    n_in, n_bad = int(load["rows_in"].sum()), int(load["rows_quarantined"].sum())
    share = f"{100 * n_bad / n_in:.2f}%" if n_in else "—"
    return [
        _card("当前数据版本", s["generation"], f"构建于 {_time(s['built_at'])}"),
        _card("发布时间", published, "CURRENT 指向本版本的时间" if s["published_at"] else "单文件或指针已变更"),
        _card("数据截至", _time(s["as_of"]), "最新事件的上报时间"),
        _card("最近一次运行", last, last_detail, state),
        _card("本版本隔离行", f"{n_bad:,}", f"读入 {n_in:,} 行，隔离占比 {share}"),
    ]


@view
def cached_health_view(wh: Snapshot, warehouse_path: Path, _disk_stamp: tuple) -> dict:
    """health_view, cached until the run log or the pointer changes on disk (the stamp is in the
    cache key): the tick asks every minute, a run lands a few times an hour."""
    return health_view(wh, warehouse_path)


def _listed(name: str, rows: list, empty_note: str, empty: bool) -> dict:
    """A table's rows, and the note shown in its place when it has none."""
    return {name: rows, f"{name}_note": empty_note, f"{name}_style": _SHOWN if empty else _HIDDEN}


def health_view(wh: Snapshot, warehouse_path: Path) -> dict:
    """Everything the page shows, for one snapshot and the warehouse's folder (or file)."""
    s = q.served(wh, warehouse_path)
    load, quarantine, repairs = q.load_log(wh), q.quarantine_by_rule(wh), q.repairs_by_rule(wh)
    found, calendar = q.topology(wh), q.calendar(wh)
    runs = q.runs(warehouse_path, RUN_LIMIT)
    total = (f"合计：读入 {int(load['rows_in'].sum()):,} 行 = 入库 {int(load['rows_loaded'].sum()):,}"
             f" + 隔离 {int(load['rows_quarantined'].sum()):,}；其中修复 {int(load['rows_repaired'].sum()):,} 行")
    if runs is None:
        run_rows = _listed("runs", [], "当前数据仓库是单个 DuckDB 文件，没有 ETL 运行日志（runs.sqlite）", True)
    elif runs.empty:
        run_rows = _listed("runs", [], "尚无运行记录", True)
    else:
        run_rows = _listed("runs", records(_runs_view(runs)), "", False)
    return {
        "cards": _cards(s, runs, load) + _warning_cards(found, calendar), "load": records(load), "total": total,
        **_listed("quarantine", records(quarantine), "无数据：本版本没有隔离的行", quarantine.empty),
        **_listed("repairs", records(repairs), "无数据：本版本没有修复的单元格", repairs.empty),
        **_listed("topology", records(_topology_view(found)), "网格铺满各自社区：没有超过容差的重叠或缝隙",
                  found.empty),
        **_listed("calendar", records(_calendar_view(calendar)), "本版本没有工作日历记录（旧版本生成）",
                  calendar.empty),
        **run_rows,
    }


SIZED = ("load", "quarantine", "repairs", "topology", "calendar", "runs")     # the grids, re-measured


def _listed_outputs(name: str, table: str, note: str) -> dict:
    return {name: Output(table, "rowData"), f"{name}_size": Output(table, "columnSize"), f"{name}_note": Output(note, "children"),
            f"{name}_style": Output(note, "style")}


@callback(
    Input(ids.FRAME_TICK, "n_intervals"),   # asked on every tick: runs land between publishes
    output=dict(
        cards=Output(HEALTH_CARDS, "children"), load=Output(HEALTH_LOAD_LOG, "rowData"),
        load_size=Output(HEALTH_LOAD_LOG, "columnSize"),
        total=Output(HEALTH_LOAD_TOTAL, "children"),
        **_listed_outputs("quarantine", HEALTH_QUARANTINE, HEALTH_QUARANTINE_NOTE),
        **_listed_outputs("repairs", HEALTH_REPAIRS, HEALTH_REPAIRS_NOTE),
        **_listed_outputs("topology", HEALTH_TOPOLOGY, HEALTH_TOPOLOGY_NOTE),
        **_listed_outputs("calendar", HEALTH_CALENDAR, HEALTH_CALENDAR_NOTE),
        **_listed_outputs("runs", HEALTH_RUNS, HEALTH_RUNS_NOTE),
    ),
)
def refresh_health(_tick):
    path = current_app.config["COCKPIT_WAREHOUSE"].path
    shown = cached_health_view(warehouse(), path, q.disk_stamp(path))
    return {**shown, **{f"{name}_size": AUTO_SIZE for name in SIZED}}
