"""简报: the daily and weekly briefings (python -m cockpit.briefing) of the account's area and of
the areas inside it, newest first, each as PDF and PNG to download. The list is read from the
archive on the server for the signed-in account's area; each download goes through
/briefings/file/… (cockpit/briefing/downloads.py), which checks the area again and audits it."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, html
from flask import current_app, g

from cockpit import ids
from cockpit.briefing import archive
from cockpit.briefing.content import KINDS, period
from cockpit.briefing.downloads import url
from cockpit.components.counter import panel
from cockpit.context import viewer_scope, warehouse
from cockpit.queries import briefing as q

dash.register_page(__name__, path="/briefings", name="简报", title="网格治理数字驾驶舱 · 简报", order=8.5)

BRIEFINGS_LIST = "briefings-list"
BRIEFINGS_NOTE = "briefings-note"
LIMIT = 200
SIZE_NAMES = {"pdf": "PDF", "png": "图片"}


def layout(**_query):
    return html.Div([
        html.Div(id=BRIEFINGS_NOTE, className="briefings-note"),
        panel("简报（最新在前）", html.Div(id=BRIEFINGS_LIST)),
    ], className="briefings")


@callback(Output(BRIEFINGS_LIST, "children"), Output(BRIEFINGS_NOTE, "children"), Input(ids.GENERATION, "data"))
def refresh_briefings(_generation):
    scope = viewer_scope()
    entries = archive.listing(current_app.config["COCKPIT_BRIEFINGS"], g.account.area_code or "")
    note = (f"本辖区（{scope.name}）及下级区域的每日简报与每周简报。每日简报报告前一天，每周简报报告前 7 天；"
            f"下载记入审计日志。")
    if not entries:
        return html.Div("本辖区暂无简报：简报由定时任务每日生成（python -m cockpit.briefing --all），"
                        "生成后在此列出。", className="empty-note"), note
    shown = entries[:LIMIT]
    names = q.area_names(warehouse(), scope, sorted({e.area_code for e in shown}))
    head = html.Tr([html.Th(t) for t in ("日期", "类型", "区域", "报告期", "下载")])
    rows = [html.Tr([html.Td(e.day.isoformat()), html.Td(KINDS[e.kind]),
                     html.Td(names.get(e.area_code, e.area_code)), html.Td(_period(e)),
                     html.Td([html.A(f"{SIZE_NAMES[fmt]}（{_size(e.files[fmt])}）",
                                     href=dash.get_relative_path(url(e.area_code, e.name(fmt))),
                                     download=e.name(fmt), className="briefing-link")
                              for fmt in archive.FORMATS if fmt in e.files])])
            for e in shown]
    more = [html.Div(f"共 {len(entries):,} 份，显示最新 {LIMIT} 份", className="briefings-more")] \
        if len(entries) > LIMIT else []
    return [html.Table([html.Thead(head), html.Tbody(rows)], className="briefing-table"), *more], note


def _period(entry: archive.Entry) -> str:
    first, last = period(entry.kind, entry.day)
    return last.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"
