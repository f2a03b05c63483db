"""The frame around every page: title, jurisdiction, data-as-of stamp, navigation.

The big screen (`/`) draws its own title bar on a 1920×1080 canvas; there the frame's header
and navigation step aside (a class on the frame, set in the browser from the URL). A wall
screen's account (kind `kiosk`) gets no navigation but its rotation: the pages and seconds per
page, which assets/cockpit.js turns through in the browser, full screen."""
from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update
from flask import current_app, g, has_request_context, request

from cockpit import ids
from cockpit.context import viewer_scope, warehouse
from cockpit.queries.meta import generation


def navigation(account) -> html.Nav:
    """One link per page the account may open, in their `order`; then who is signed in."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    links = [dcc.Link(p["name"], href=p["relative_path"], className="nav-link")
             for p in pages if account is not None and account.may_open(p["path"])]
    who = ([html.Span(f"{account.account_id} · {account.role}", className="nav-account"),
            html.A("退出", href=request.script_root + "/logout", className="nav-link nav-logout")] if account else [])
    return html.Nav(links + who, className="nav")


def rotation(account) -> html.Div:
    """A wall screen's rotation, for the browser: its pages (as the browser's paths, under the
    URL prefix) and the seconds each shows."""
    settings = current_app.config["COCKPIT_SETTINGS"]
    pages = [request.script_root + page for page in account.wall_pages if account.may_open(page)]
    return html.Div(id=ids.KIOSK, hidden=True,
                    **{"data-pages": " ".join(pages), "data-seconds": str(settings.kiosk_seconds)})


def frame(refresh_ms: int) -> html.Div:
    """The page frame for the signed-in account (Dash calls this for every page load)."""
    account = g.get("account") if has_request_context() else None
    wall = account is not None and account.kind == "kiosk"
    return html.Div([
        dcc.Location(id=ids.URL),
        dcc.Interval(id=ids.FRAME_TICK, interval=refresh_ms, n_intervals=0),
        dcc.Store(id=ids.GENERATION, data=_served_generation()),
        html.Header([
            html.Div(id=ids.SCOPE_NAME, className="header-scope"),
            html.H1("网格治理数字驾驶舱", className="header-title"),
            html.Div(id=ids.AS_OF, className="header-as-of"),
        ], className="header"),
        rotation(account) if wall else navigation(account),
        html.Main(dash.page_container, className="page"),
    ], id=ids.FRAME, className="frame")


clientside_callback(
    ClientsideFunction(namespace="cockpit", function_name="frameClass"),
    Output(ids.FRAME, "className"), Input(ids.URL, "pathname"))


# every this many ticks the views redraw even on the same generation: a view whose last answer
# failed (a timeout on a loaded machine) heals without a reload
REDRAW_TICKS = 10


def _shown(generation: str | None, tick: int) -> dict:
    return {"generation": generation, "round": (tick or 0) // REDRAW_TICKS}


def _served_generation() -> dict | None:
    """What a page shows when it loads: the generation served (None when Dash checks the layout
    at start-up, or when nothing is published yet: the views then say so themselves)."""
    if not (has_request_context() and g.get("account")):
        return None
    try:
        return _shown(warehouse().generation, 0)
    except FileNotFoundError:
        return None


@callback(Output(ids.GENERATION, "data"), Input(ids.FRAME_TICK, "n_intervals"), State(ids.GENERATION, "data"),
          prevent_initial_call=True)
def follow_generation(tick, shown):
    """A tick only asks which generation is served; the page's views redraw when it is a new
    one, or every REDRAW_TICKS ticks (a tick that redrew everything could, on a loaded machine,
    take longer than the interval and never finish drawing)."""
    current = _shown(warehouse().generation, tick)
    return no_update if current == shown else current


@callback(Output(ids.AS_OF, "children"), Output(ids.SCOPE_NAME, "children"),
          Input(ids.GENERATION, "data"))
def show_generation(_generation):
    return as_of_stamp(generation(warehouse())["as_of"]), f"辖区：{viewer_scope().name}"


def as_of_stamp(as_of) -> str:
    if as_of is None or as_of != as_of:     # None or NaT: no events yet
        return "数据截至 —（暂无事件）"
    return f"数据截至 {as_of:%Y-%m-%d %H:%M}"
