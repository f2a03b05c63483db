"""Signing in and out, and the gate in front of every request (default deny).

Only /login answers without a session. The session cookie (signed with the configured key,
HttpOnly, SameSite=Lax, Secure when served over HTTPS) carries only a random token; the session
itself lives in the account store (accounts/sessions.py) and is looked up on every request, so
signing out, disabling the account or changing its password ends it wherever the cookie was
copied, and it ends after an idle time and an absolute lifetime (its account kind's:
accounts/sessions.py `lifetime`; a wall screen's is pinned to its address). Dash callbacks are checked
before Dash runs them (callback_check.py: exactly the shape the renderer sends, or 400), and
against the page that declares them; the page renderer against the page Dash will draw. Every
refusal of a signed-in account is audited."""
from __future__ import annotations

import datetime as dt
import functools
import html
import secrets
from dataclasses import replace
from urllib.parse import urlparse

import dash
from flask import Response, current_app, g, redirect, request, session

from cockpit import callback_check
from cockpit.accounts import Account, sessions
from cockpit.accounts.store import AccountStore
from cockpit.audit import AuditLog
from cockpit.callback_check import BadCallback, UnknownCallback
from warehouse.keys import load_or_create_key

UPDATE = "/_dash-update-component"
REFUSALS = {400: "bad_request", 403: "denied", 429: "throttled"}


def install(app: dash.Dash, settings) -> None:
    server = app.server
    server.secret_key = load_or_create_key(settings.secret_key_file)
    audit_log = AuditLog(settings.store("audit"), settings.audit_retention_days)
    audit_log.purge()                  # what the retention period released since the last start
    server.config.update(
        SESSION_COOKIE_NAME="cockpit_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.secure_cookies,
        # the cookie only names a server-side session, which decides when it ends: the cookie
        # lasts as long as the longest session (a wall screen's), the server ends the others sooner
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=sessions.longest(settings)),
        SESSION_REFRESH_EACH_REQUEST=False,
        COCKPIT_LIFETIME=functools.partial(sessions.lifetime, settings=settings),
        COCKPIT_ACCOUNTS=AccountStore(settings.store("accounts")), COCKPIT_AUDIT=audit_log,
        COCKPIT_DASH=app)        # this app's callbacks (dash.get_app() is the process's latest)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout)
    server.before_request(gate)
    server.after_request(audit_refusal)


def accounts() -> AccountStore:
    return current_app.config["COCKPIT_ACCOUNTS"]


def audit(action: str, target: str = "", detail: str = "", note: str = "", account: str | None = None) -> None:
    """Record an action of the signed-in account (or `account`). `note`: text someone typed."""
    who = account if account is not None else (g.account.account_id if g.get("account") else "")
    if action in REFUSALS.values():
        g.refusal_audited = True
    current_app.config["COCKPIT_AUDIT"].record(who, request.remote_addr or "", action, target, detail, note)


def audit_refusal(response: Response) -> Response:
    """Any refusal of a signed-in account that its own code did not audit (a map's polygons
    outside the area, ...): recorded with the path asked for."""
    if response.status_code in REFUSALS and g.get("account") and not g.get("refusal_audited"):
        audit(REFUSALS[response.status_code], request.path, f"HTTP {response.status_code}")
    return response


def signed_in() -> Account | None:
    return as_set_up(accounts().signed_in(session.get("sid"), current_app.config["COCKPIT_LIFETIME"],
                                           address=request.remote_addr or ""))


def as_set_up(account: Account | None) -> Account | None:
    """A wall screen's account with the pages the centre rotates on its walls (settings)."""
    if account is None or account.kind != "kiosk":
        return account
    return replace(account, wall_pages=current_app.config["COCKPIT_SETTINGS"].kiosk_pages)


def gate():
    if request.path == "/login":
        return None
    account = signed_in()
    if account is None:
        session.pop("sid", None)      # a stale session: forget it, but keep a login form's token
        if request.method != "GET" or request.path.startswith(("/_dash", "/geo/")):
            return Response("未登录或登录已过期", status=401, mimetype="text/plain")
        return redirect(request.script_root + "/login?next=" + request.full_path.rstrip("?"))
    g.account = account
    if request.path == UPDATE:
        return _check_callback(account)
    page = _page_of_path(request.path)
    if page is not None and not account.may_open(page):
        audit("denied", page, "页面")
        return redirect(request.script_root + account.home)
    return None


def _check_callback(account: Account):
    app = current_app.config["COCKPIT_DASH"]
    body = request.get_json(silent=True)
    try:
        spec = callback_check.check(app, body)
        pages_content = callback_check.is_pages_content(body["output"])
        # Dash passes inputs by position: the page it draws is the one at pathname's position
        page = callback_check.rendered_page(app, body["inputs"][0].get("value")) if pages_content else None
    except UnknownCallback as unknown:   # no such callback: refuse rather than let Dash decide
        audit("denied", str(unknown)[:200], "未知回调")
        return Response("无此回调", status=403, mimetype="text/plain")
    except BadCallback as bad:
        output = body.get("output") if isinstance(body, dict) else None
        audit("bad_request", output if isinstance(output, str) else "", "回调请求格式不符", note=str(bad))
        return Response("请求格式不正确", status=400, mimetype="text/plain")
    if pages_content:
        if page is not None and not account.may_open(page):
            audit("denied", page, "页面")
            return Response("无权访问该页面", status=403, mimetype="text/plain")
        if account.views_audited:
            audit("page_view", page or "（无此页面）")
        return None
    module = getattr(spec["callback"], "__module__", None)
    page = next((p["path"] for p in dash.page_registry.values() if p["module"] == module), None)
    if page is not None and not account.may_open(page):
        audit("denied", page, "回调")
        return Response("无权访问该页面", status=403, mimetype="text/plain")
    return None            # a page's callback the account may use, or the frame's (every page)


def _page_of_path(path: str) -> str | None:
    """The registered page Dash draws for a URL path below the URL prefix (None: assets, Dash
    internals, unknown). Dash resolves the path as the browser has it, prefix included."""
    try:
        return callback_check.rendered_page(current_app.config["COCKPIT_DASH"],
                                            request.script_root + urlparse(path).path)
    except BadCallback:
        return None


def login():
    error, account_id = "", ""
    target = _safe_next(request.values.get("next", "/"))
    if request.method == "POST":
        account_id = request.form.get("account", "").strip()[:64]
        if request.form.get("csrf") != session.get("csrf"):
            error = "页面已过期，请重新登录"
        else:
            result = accounts().sign_in(account_id, request.form.get("password", ""),
                                        request.remote_addr or "")
            account = as_set_up(result.account)
            if account is not None:
                session.clear()
                session.permanent = True
                session["sid"] = accounts().sessions.start(account.account_id, current_app.config["COCKPIT_LIFETIME"],
                                                           address=request.remote_addr or "")
                audit("login", account=account.account_id)
                page = _page_of_path(target)
                return redirect(request.script_root
                                + (target if page is None or account.may_open(page) else account.home))
            error = result.refused
            # an unknown name may be a password typed in the wrong box: never log it
            known = accounts().get(account_id) is not None
            audit("login_failed", detail=error, account=account_id if known else "（未知账号）")
    session["csrf"] = session.get("csrf") or secrets.token_urlsafe(16)
    return Response(_LOGIN.format(action=html.escape(request.script_root + "/login"),
                                  error=html.escape(error), account=html.escape(account_id),
                                  csrf=session["csrf"], next=html.escape(target)),
                    status=401 if error else 200, mimetype="text/html")


def logout():
    if g.get("account"):
        audit("logout")
    accounts().sessions.end(session.get("sid"))
    session.clear()
    return redirect(request.script_root + "/login")


def _safe_next(target: str) -> str:
    """Only a path on this server (no scheme, no host): never an open redirect."""
    parsed = urlparse(target or "/")
    if parsed.scheme or parsed.netloc or not (target or "/").startswith("/") or target.startswith("//"):
        return "/"
    return target


_LOGIN = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 网格治理数字驾驶舱</title>
<style>
body {{ margin: 0; min-height: 100vh; display: grid; place-items: center; background: #04101f;
       color: #d6ecff; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; }}
form {{ width: 360px; padding: 36px 40px; background: #0a1f38; border: 1px solid #1d4d7a; border-radius: 8px; }}
h1 {{ margin: 0 0 24px; font-size: 24px; letter-spacing: 4px; text-align: center; color: #e6f7ff; }}
label {{ display: block; margin: 14px 0 6px; color: #8fc6ee; }}
input {{ box-sizing: border-box; width: 100%; padding: 9px 10px; font-size: 16px; color: #e6f7ff;
        background: #04101f; border: 1px solid #1d4d7a; border-radius: 4px; }}
button {{ width: 100%; margin-top: 24px; padding: 10px; font-size: 17px; color: #04101f;
         background: #3fd0ff; border: 0; border-radius: 4px; cursor: pointer; }}
.error {{ min-height: 22px; margin-top: 14px; color: #ff7a7a; }}
</style></head>
<body><form method="post" action="{action}" autocomplete="off">
<h1>网格治理数字驾驶舱</h1>
<label for="account">账号</label><input id="account" name="account" value="{account}" required autofocus>
<label for="password">密码</label><input id="password" name="password" type="password" required>
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">
<div class="error" id="login-error">{error}</div>
<button type="submit">登录</button>
</form></body></html>
"""
