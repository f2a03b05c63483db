"""One observation per request: the access log line and the metrics.

What a request was is named by the app (`label`, in a before_request hook, before the gate), from
closed sets: the page a URL opens, the page and function of a Dash callback, or a handler kind
(login, geo, static, health…). Who asked comes from the gate (`g.account`). The middleware times
the whole answer, body included, and writes one line when it has gone out.

The log holds no personal data and no request text: never the path as typed or the query string
(a search box's text could be anything), only the label; the account id, the status, the time."""
from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path

import dash
from flask import current_app, g, request

from cockpit.ops.metrics import Metrics

ENVIRON_KEY = "cockpit.access"
UPDATE = "/_dash-update-component"
PAGES_CONTENT = "_pages_content.children"


def label() -> None:
    """Name this request (page, handler) for the log and the metrics; see the module doc."""
    seen = request.environ.get(ENVIRON_KEY)
    if seen is not None:
        seen["page"], seen["handler"] = _label(request.path)


def who(response):
    """after_request: the account the gate found (none for a refusal before it)."""
    seen = request.environ.get(ENVIRON_KEY)
    if seen is not None and g.get("account") is not None:
        seen["account"] = g.account.account_id
    return response


def _label(path: str) -> tuple[str, str]:
    if path == UPDATE:
        return _callback_label()
    page = _page(path)
    if page is not None:
        return page, "page"
    first = path.split("/", 2)[1] if path.startswith("/") else ""
    kinds = {"geo": "geo", "assets": "static", "_dash-component-suites": "static", "_favicon.ico": "static",
             "login": "login", "logout": "logout", "healthz": "healthz", "readyz": "readyz",
             "metrics": "metrics"}
    if first in kinds:
        return "-", kinds[first]
    return "-", "dash" if first.startswith("_dash") or first.startswith("_reload") else "other"


def _callback_label() -> tuple[str, str]:
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str):
        return "-", "callback?"
    app = current_app.config.get("COCKPIT_DASH")
    if PAGES_CONTENT in output:            # Dash pages drawing a page: the page its router finds
        inputs = body.get("inputs")
        pathname = inputs[0].get("value") if isinstance(inputs, list) and inputs \
            and isinstance(inputs[0], dict) else None
        try:
            found = dash._pages._path_to_page(app.strip_relative_path(pathname))[0]
        except Exception:                  # not a path Dash would route
            found = {}
        return found.get("path", "?"), "render"
    entry = app.callback_map.get(output) if app is not None else None
    func = getattr(entry.get("callback"), "__wrapped__", entry.get("callback")) if entry else None
    if func is None:
        return "-", "callback?"
    module = getattr(func, "__module__", "")
    page = next((p["path"] for p in dash.page_registry.values() if p["module"] == module), "frame")
    return page, f"{module.rpartition('.')[2]}.{func.__name__}"


def _page(path: str) -> str | None:
    path = path.rstrip("/") or "/"
    return next((p["path"] for p in dash.page_registry.values() if p["path"] == path), None)


def access_logger(target: str, max_mb: float, backups: int) -> logging.Logger | None:
    """"" none, "-" stderr (journald adds its own time; the line keeps one anyway), else a file
    rotated at `max_mb`, keeping `backups` old files."""
    if not target:
        return None
    logger = logging.Logger("cockpit.access")          # not registered: one per app, no propagation
    if target == "-":
        handler = logging.StreamHandler(sys.stderr)
    else:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(target, maxBytes=int(max_mb * 1024 * 1024),
                                                       backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


class Observe:
    """WSGI middleware: times each request to its last byte, then logs and counts it."""

    def __init__(self, app, metrics: Metrics, log: logging.Logger | None):
        self.app, self.metrics, self.log = app, metrics, log

    def __call__(self, environ, start_response):
        seen = environ[ENVIRON_KEY] = {"page": "-", "handler": "other", "account": ""}
        t0 = time.perf_counter()

        def started(status, headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)
        try:
            body = self.app(environ, started)
        except BaseException:
            seen.setdefault("status", 500)
            self._done(environ, seen, t0)
            raise
        return _Closing(body, lambda: self._done(environ, seen, t0))

    def _done(self, environ, seen: dict, t0: float) -> None:
        seconds = time.perf_counter() - t0
        status = seen.get("status", 500)
        self.metrics.request(seen["page"], seen["handler"], status, seconds)
        if self.log is not None:
            self.log.info(json.dumps({
                "time": dt.datetime.now().astimezone().isoformat(timespec="milliseconds"),
                "account": seen["account"], "page": seen["page"], "handler": seen["handler"],
                "method": environ.get("REQUEST_METHOD", ""), "status": status,
                "ms": round(seconds * 1000, 1)}, ensure_ascii=False))


class _Closing:
    """The response body, calling `done` once: after its last byte, or when the server closes it
    (a client that went away)."""

    def __init__(self, body, done):
        self._body, self._done = body, done

    def __iter__(self):
        yield from self._body
        self._finish()

    def close(self):
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._finish()

    def _finish(self):
        done, self._done = self._done, None
        if done is not None:
            done()
