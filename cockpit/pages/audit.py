"""审计日志: sign-ins (and failures), page views, listings of the register, exports, records opened
in full and refusals, newest first, for the district centre's administrators only (the gate
refuses this page and its callbacks to others). What a person typed is stored scrubbed
(cockpit/audit/), so the page shows the records as stored."""
from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html
from flask import current_app

from cockpit import ids
from cockpit.audit import ACTIONS
from cockpit.components.counter import panel
from cockpit.components.table import AUTO_SIZE, column, grid

dash.register_page(__name__, path="/audit", name="审计日志", title="网格治理数字驾驶舱 · 审计日志",
                   order=10)

AUDIT_ACTION = "audit-action"
AUDIT_ACCOUNT = "audit-account"
AUDIT_TABLE = "audit-table"
AUDIT_NOTE = "audit-note"
LIMIT = 500
COLUMNS = {"at": "时间（北京时间）", "account": "账号", "address": "来源地址", "action": "操作",
           "target": "对象", "detail": "说明"}
PAGE_SIZE = 25


def layout(**_query):
    return html.Div([
        html.Div([
            dcc.Dropdown(id=AUDIT_ACTION, options=[{"label": v, "value": k} for k, v in ACTIONS.items()],
                         placeholder="全部操作", className="audit-filter"),
            dcc.Input(id=AUDIT_ACCOUNT, placeholder="账号", debounce=True, className="audit-filter"),
            html.Div(id=AUDIT_NOTE, className="audit-note"),
        ], className="audit-filters"),
        panel("审计记录（最新在前）", grid(
            AUDIT_TABLE, [column(cid, name, fill=240 if cid == "detail" else None) for cid, name in COLUMNS.items()],
            page_size=PAGE_SIZE, wrap=True)),
    ], className="audit")


@callback(Output(AUDIT_TABLE, "rowData"), Output(AUDIT_TABLE, "columnSize"), Output(AUDIT_NOTE, "children"),
          Input(AUDIT_ACTION, "value"), Input(AUDIT_ACCOUNT, "value"), Input(ids.FRAME_TICK, "n_intervals"))
def refresh_audit(action, account, _tick):
    log = current_app.config["COCKPIT_AUDIT"]
    frame = log.recent(LIMIT, action if action in ACTIONS else None,
                       account.strip()[:64] if isinstance(account, str) else None)
    frame["action"] = frame["action"].map(ACTIONS)
    frame["at"] = (pd.to_datetime(frame["at"]).dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
                   .dt.strftime("%Y-%m-%d %H:%M:%S"))
    note = (f"显示最近 {len(frame):,} 条（至多 {LIMIT} 条）；记录只增不改、逐条哈希相连，"
            f"保存 {log.retention_days} 天")
    return frame.drop(columns="id").to_dict("records"), AUTO_SIZE, note
