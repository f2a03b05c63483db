"""Signing in and out, and the gate in front of every request (default deny).

Only /login answers without a session. A session cookie (signed with the configured key,
HttpOnly, SameSite=Lax, Secure when served over HTTPS) names the account and its password
stamp; each request re-reads the account, so a disabled account or a reset password ends its
sessions at once. Dash callbacks are checked against the page that declares them: an account
that may not open a page cannot run that page's callbacks by posting them either."""
from __future__ import annotations

import datetime as dt
import html
import secrets
from urllib.parse import urlparse

import dash
from flask import Response, current_app, g, redirect, request, session

from cockpit.accounts import Account
from cockpit.accounts.store import AccountStore
from cockpit.audit import AuditLog
from etl.privacy import load_or_create_key

UPDATE = "/_dash-update-component"
PAGES_CONTENT = "_pages_content.children"


def install(app: dash.Dash, settings) -> None:
    server = app.server
    server.secret_key = load_or_create_key(settings.secret_key_file)
    server.config.update(
        SESSION_COOKIE_NAME="cockpit_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        COCKPIT_ACCOUNTS=AccountStore(settings.accounts),
        COCKPIT_AUDIT=AuditLog(settings.audit, settings.audit_retention_days),
        COCKPIT_DASH=app)        # this app's callbacks (dash.get_app() is the process's latest)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout)
    server.before_request(gate)


def accounts() -> AccountStore:
    return current_app.config["COCKPIT_ACCOUNTS"]


def audit(action: str, target: str = "", detail: str = "", account: str | None = None) -> None:
    who = account if account is not None else (g.account.account_id if g.get("account") else "")
    current_app.config["COCKPIT_AUDIT"].record(who, request.remote_addr or "", action, target, detail)


def signed_in() -> Account | None:
    found = accounts().get(session.get("account", ""))
    if found is None or found[0].status != "正常" or session.get("stamp") != found[1]:
        return None
    return found[0]


def gate():
    if request.path == "/login":
        return None
    account = signed_in()
    if account is None:
        if "account" in session:      # a stale session (disabled, reset, expired): forget it,
            session.clear()           # but keep a login form's token (favicon requests race it)
        if request.method != "GET" or request.path.startswith(("/_dash", "/geo/")):
            return Response("未登录或登录已过期", status=401, mimetype="text/plain")
        return redirect(request.script_root + "/login?next=" + request.full_path.rstrip("?"))
    g.account = account
    if request.path == UPDATE:
        return _check_callback(account)
    page = _page_of_path(request.path)
    if page is not None and not account.may_open(page):
        return redirect(request.script_root + account.home)
    return None


def _check_callback(account: Account):
    body = request.get_json(silent=True) or {}
    output = body.get("output", "") if isinstance(body, dict) else ""
    if not isinstance(output, str):
        return Response("bad request", status=400)
    if PAGES_CONTENT in output:       # Dash pages draws a page: the page the browser asks for
        path = next((i.get("value") for i in body.get("inputs", []) if isinstance(i, dict)
                     and i.get("property") == "pathname"), "/")
        try:                          # as Dash's router reads it: without the URL prefix
            path = "/" + current_app.config["COCKPIT_DASH"].strip_relative_path(path)
        except Exception:
            return Response("bad request", status=400)
        page = _page_of_path(path) or "/"
        if not account.may_open(page):
            audit("denied", page, "页面")
            return Response("无权访问该页面", status=403)
        audit("page_view", page)
        return None
    module = _module_of_callback(output)
    if module is None:                # no such callback: refuse rather than let Dash decide
        audit("denied", output[:200], "未知回调")
        return Response("无此回调", status=403)
    page = next((p["path"] for p in dash.page_registry.values() if p["module"] == module), None)
    if page is not None and not account.may_open(page):
        audit("denied", page, "回调")
        return Response("无权访问该页面", status=403)
    return None            # a page's callback the account may use, or the frame's (every page)


def _module_of_callback(output: str) -> str | None:
    entry = current_app.config["COCKPIT_DASH"].callback_map.get(output)
    callback = entry.get("callback") if entry else None
    return getattr(callback, "__module__", None)


def _page_of_path(path: str) -> str | None:
    """The registered page a URL path opens (None for assets, Dash internals, unknown paths)."""
    path = urlparse(path).path.rstrip("/") or "/"
    return next((p["path"] for p in dash.page_registry.values() if p["path"] == path), None)


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
            if result.account is not None:
                session.clear()
                session.permanent = True
                session.update(account=result.account.account_id, stamp=result.stamp)
                audit("login", account=result.account.account_id)
                home = result.account.home
                page = _page_of_path(target)
                return redirect(request.script_root
                                + (target if page is None or result.account.may_open(page) else home))
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
