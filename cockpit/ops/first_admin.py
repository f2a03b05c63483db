"""A cockpit with an empty account store serves no data: every page answers with how to create
the first administrator, until one exists (no restart needed: the store is asked again on the
next request). Only the demo warehouse gets demo accounts (app.py)."""
from __future__ import annotations

import html

from flask import Response, current_app

COMMAND = "python -m cockpit.accounts add 账号 --role 区级管理员 --area 区划编码"


def has_accounts() -> bool:
    """Whether the store holds an account; once it has, that is remembered (a store is never
    emptied in use, and this is asked on every request until then)."""
    config = current_app.config
    if not config.get("COCKPIT_HAS_ACCOUNTS"):
        config["COCKPIT_HAS_ACCOUNTS"] = bool(config["COCKPIT_ACCOUNTS"].list())
    return config["COCKPIT_HAS_ACCOUNTS"]


def setup_page() -> Response:
    store = current_app.config["COCKPIT_ACCOUNTS"].db
    name = store.path.name if store.dialect == "sqlite" else "PostgreSQL"
    return Response(_PAGE.format(command=html.escape(COMMAND), store=html.escape(name)),
                    status=503, mimetype="text/html")


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>尚无账号 · 网格治理数字驾驶舱</title></head>
<body style="font-family: sans-serif; margin: 4em; line-height: 1.7">
<h1>尚无账号</h1>
<p>账号库（{store}）为空，驾驶舱不提供数据。请系统管理员在服务器上建立第一个管理员账号：</p>
<pre>{command}</pre>
<p>建立后刷新本页即可登录，无需重启。</p>
</body></html>
"""
