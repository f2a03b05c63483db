"""实有人口: the residents of the account's jurisdiction, masked, a page at a time; one resident's
record in full only through the audited, reason-giving action of cockpit/unmask.py. Every page
of the list an account is sent is audited (which area, which filters, how many rows) and capped
per hour (Settings.people_pages_per_hour), so the register cannot be paged out unnoticed."""
from __future__ import annotations

import datetime as dt
import math

import dash
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from flask import current_app, g, request

from cockpit import ids
from cockpit.cache import cache, view
from cockpit.components.counter import panel
from cockpit.components.filter import labelled
from cockpit.components.table import AUTO_SIZE, column, grid, page_asked, pager
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.options import area_options
from cockpit.pages.explorer import DROPDOWN_LABELS
from cockpit.queries import people as q
from cockpit.scope import Scope
from cockpit.unmask import REASON_MIN_CHARS, UnmaskRefused, unmask

dash.register_page(__name__, path="/people", name="实有人口", title="网格治理数字驾驶舱 · 实有人口",
                   order=8)

PEOPLE_AREA = "people-area"
PEOPLE_RESIDENCE = "people-residence"
PEOPLE_ADDRESS = "people-address"
PEOPLE_COUNT = "people-count"
PEOPLE_TABLE = "people-table"
PEOPLE_EMPTY = "people-empty"
PEOPLE_SELECTED = "people-selected"
PEOPLE_REASON = "people-reason"
PEOPLE_UNMASK = "people-unmask"
PEOPLE_FULL = "people-full"
PEOPLE_FULL_TIMER = "people-full-timer"
PEOPLE_PAGE = "people-page"          # the page shown (0-based), as the server answered
PEOPLE_PREV = "people-prev"
PEOPLE_NEXT = "people-next"
PEOPLE_PAGES = "people-pages"
FULL_RECORD_SECONDS = 60      # an opened record leaves the screen after this long

MASK_RULE = ("姓名、公民身份号码和联系电话均已脱敏。确需查看某人完整信息时，请选中该行并填写理由："
             "每次查看都记入审计日志，每小时次数有上限。")


def layout(**_query):
    return html.Div([
        html.Div([
            labelled("区域", dcc.Dropdown(id=PEOPLE_AREA, options=[], placeholder="本辖区", clearable=False,
                                       labels=DROPDOWN_LABELS, className="explorer-dropdown"),
                    "filter explorer-area"),
            labelled("人口类型", dcc.Dropdown(id=PEOPLE_RESIDENCE, options=[], placeholder="全部",
                                         labels=DROPDOWN_LABELS, className="explorer-dropdown")),
            labelled("住址包含", dcc.Input(id=PEOPLE_ADDRESS, type="text", debounce=True,
                                       maxLength=q.ADDRESS_TEXT_MAX, placeholder="小区、楼栋或门牌",
                                       className="people-input")),
        ], className="filters explorer-filters"),
        html.Div([html.Div("—", id=PEOPLE_COUNT, className="explorer-count"),
                  html.Div(MASK_RULE, className="people-rule")], className="explorer-toolbar"),
        panel("人员列表", grid(PEOPLE_TABLE, [column(cid, header, **({"fill": 200} if cid == "address" else {"maxWidth": 300}))
                                            for cid, header in q.COLUMNS.items()], noted=True,
                             grid_options={"rowSelection": {"mode": "singleRow", "checkboxes": True,
                                                            "enableClickSelection": True}}),
              pager(PEOPLE_PREV, PEOPLE_NEXT, PEOPLE_PAGES), dcc.Store(id=PEOPLE_PAGE, data=0),
              html.Div("无数据：没有符合筛选条件的人员", id=PEOPLE_EMPTY, className="empty-note",
                       style={"display": "none"}), class_name="explorer-table-panel"),
        panel("查看完整信息", html.Div([
            html.Div("请在列表中选中一人", id=PEOPLE_SELECTED, className="people-selected"),
            dcc.Input(id=PEOPLE_REASON, type="text", maxLength=200, className="people-input people-reason",
                      placeholder=f"查看理由（必填，至少 {REASON_MIN_CHARS} 个字），如：入户走访核实联系方式"),
            html.Button("查看完整信息", id=PEOPLE_UNMASK, n_clicks=0, className="explorer-button"),
        ], className="people-unmask-bar"), html.Div(id=PEOPLE_FULL, className="people-full"),
            dcc.Interval(id=PEOPLE_FULL_TIMER, interval=FULL_RECORD_SECONDS * 1000, disabled=True),
            class_name="people-unmask-panel"),
    ], className="explorer people")


@cache.memoize()
def _area_options(wh: Snapshot, scope: Scope) -> list[dict]:
    """Down to the grids for a district or narrower account; a city-wide one lists down to the
    communities (the city's ten thousand grids were 1.1 MB of options)."""
    levels = ("district", "street", "community") + (("grid",) if len(scope.code) >= 6 else ())
    return area_options(wh, scope, levels=levels)


@callback(
    Output(PEOPLE_AREA, "options"), Output(PEOPLE_AREA, "value"), Output(PEOPLE_RESIDENCE, "options"),
    Input(ids.GENERATION, "data"), State(PEOPLE_AREA, "value"),
)
def fill_filters(_generation, area):
    wh, scope = warehouse(), viewer_scope()
    return (_area_options(wh, scope), no_update if area else scope.code,
            [{"label": t, "value": t} for t in q.residence_types(wh, scope)])


def _area_name(wh: Snapshot, viewer: Scope, scope: Scope) -> str:
    labels = {o["value"]: o["label"].strip("\u3000") for o in _area_options(wh, viewer)}
    return labels.get(scope.code, scope.name)


@view
def table_view(wh: Snapshot, viewer: Scope, area, residence, address, page_current) -> tuple:
    """The table's page, its page label and page number, the count line and the empty note's style."""
    scope = viewer.narrow(area)
    residence, address = q.clean_residence_type(wh, viewer, residence), q.clean_address(address)
    page = page_current if isinstance(page_current, int) and page_current >= 0 else 0
    frame, total = q.rows(wh, scope, residence, address, page)
    pages = max(1, math.ceil(total / q.PAGE_SIZE))
    if page >= pages:                           # a page past the end (a forged or stale number)
        page = pages - 1
        frame, total = q.rows(wh, scope, residence, address, page)
    line = f"{_area_name(wh, viewer, scope)} · 共 {total:,} 人 · 第 {page + 1}/{pages} 页"
    return (frame.to_dict("records"), f"第 {page + 1} / {pages} 页", page, line,
            {"display": "block"} if total == 0 else {"display": "none"})


@callback(
    Output(PEOPLE_TABLE, "rowData"), Output(PEOPLE_TABLE, "columnSize"), Output(PEOPLE_PAGES, "children"), Output(PEOPLE_PAGE, "data"),
    Output(PEOPLE_COUNT, "children"), Output(PEOPLE_EMPTY, "style"),
    Input(PEOPLE_AREA, "value"), Input(PEOPLE_RESIDENCE, "value"), Input(PEOPLE_ADDRESS, "value"),
    Input(PEOPLE_PREV, "n_clicks"), Input(PEOPLE_NEXT, "n_clicks"), Input(ids.GENERATION, "data"),
    State(PEOPLE_PAGE, "data"),
)
def update_table(area, residence, address, _prev, _next, _generation, shown):
    # a new filter starts at the first page; paging steps from the page shown; a new generation keeps it
    triggered = set(ctx.triggered_prop_ids)
    keep = triggered <= {f"{PEOPLE_PREV}.n_clicks", f"{PEOPLE_NEXT}.n_clicks", f"{ids.GENERATION}.data"}
    page = page_asked(triggered, PEOPLE_PREV, PEOPLE_NEXT, shown) if keep else 0
    viewer = viewer_scope()
    answer = table_view(warehouse(), viewer, area, residence, address, page)
    if not _listing_recorded(viewer.narrow(area).code, residence, address, answer):
        per_hour = current_app.config["COCKPIT_SETTINGS"].people_pages_per_hour
        return [], no_update, "第 1 / 1 页", 0, f"一小时内查看人员名单已达 {per_hour} 页上限，请稍后再试（已记入审计日志）", \
            {"display": "none"}
    return answer[0], AUTO_SIZE, *answer[1:]


def _listing_recorded(area_code: str, residence, address, answer: tuple) -> bool:
    """Record the page of the register about to be sent, unless the account has listed its
    hourly number of pages already (then record the refusal). Counted and recorded at once."""
    log, settings = current_app.config["COCKPIT_AUDIT"], current_app.config["COCKPIT_SETTINGS"]
    data, line = answer[0], answer[3]
    filters = " ".join(f"{label}：{value}" for label, value in
                       (("人口类型", residence), ("住址包含", q.clean_address(address)))
                       if isinstance(value, str) and value)
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    if log.record_capped(g.account.account_id, request.remote_addr or "", "list_people",
                         settings.people_pages_per_hour, since, "/people",
                         f"区域 {area_code} · {line} · 本页 {len(data)} 行", note=filters):
        return True
    log.record(g.account.account_id, request.remote_addr or "", "throttled", "/people",
               f"人员名单：已达每小时 {settings.people_pages_per_hour} 页上限 · 区域 {area_code}")
    return False


@callback(
    Output(PEOPLE_TABLE, "selectedRows"),
    Input(PEOPLE_PAGE, "data"), Input(PEOPLE_AREA, "value"), Input(PEOPLE_RESIDENCE, "value"),
    Input(PEOPLE_ADDRESS, "value"),
    prevent_initial_call=True,
)
def clear_selection(*_filters):
    """Another page or filter: the selected row would point at someone else."""
    return []


def _full_record(fields: dict[str, str], masked_name: str) -> html.Div:
    return html.Div([
        html.Div(f"{masked_name} 的完整信息（本次查看已记入审计日志，{FULL_RECORD_SECONDS} 秒后隐藏）",
                 className="people-full-title"),
        html.Dl([item for label, value in fields.items()
                 for item in (html.Dt(label), html.Dd(value or "—", className="people-full-value"))]),
    ])


@callback(
    Output(PEOPLE_SELECTED, "children"), Output(PEOPLE_FULL, "children"), Output(PEOPLE_REASON, "value"),
    Output(PEOPLE_FULL_TIMER, "disabled"), Output(PEOPLE_FULL_TIMER, "interval"),
    Input(PEOPLE_UNMASK, "n_clicks"), Input(PEOPLE_TABLE, "selectedRows"), Input(PEOPLE_FULL_TIMER, "n_intervals"),
    State(PEOPLE_REASON, "value"),
    prevent_initial_call=True,
)
def show_in_full(clicks, selected, _shown_for, reason):
    """A new selection shows who is selected and hides any full record; the button opens the
    selected person's record (cockpit/unmask.py decides, within the account's scope), which
    leaves the screen after FULL_RECORD_SECONDS (its timer runs only while it is shown)."""
    row = selected[0] if isinstance(selected, list) and selected and isinstance(selected[0], dict) else None
    who = f"已选中：{row.get('name_masked', '')}　{row.get('address', '')}" if row else "请在列表中选中一人"
    if ctx.triggered_id == PEOPLE_FULL_TIMER:
        return who, html.Div(f"完整信息已隐藏（每次查看显示 {FULL_RECORD_SECONDS} 秒）", className="people-hidden"), \
            no_update, True, no_update
    if ctx.triggered_id != PEOPLE_UNMASK:
        return who, None, no_update, True, no_update
    if row is None:
        return who, html.Div("请先在列表中选中一人", className="people-refused"), no_update, True, no_update
    settings = current_app.config["COCKPIT_SETTINGS"]
    try:
        fields = unmask(warehouse(), g.account, viewer_scope(), row.get("person_id"), reason,
                        key_file=settings.vault_key_file, per_hour=settings.unmask_per_hour,
                        audit_log=current_app.config["COCKPIT_AUDIT"], address=request.remote_addr or "")
    except UnmaskRefused as refused:
        return who, html.Div(str(refused), className="people-refused"), no_update, True, no_update
    # the clock starts again for each record shown: dcc.Interval restarts when its interval
    # changes, so the interval alternates by a millisecond
    return who, _full_record(fields, row.get("name_masked", "")), "", False, \
        FULL_RECORD_SECONDS * 1000 + (clicks or 0) % 2
