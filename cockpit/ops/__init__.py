"""Serving the cockpit in a real centre: behind a reverse proxy and under a sub-path, with health
and metrics routes, an access log, and no data while the account store is empty.

`install(app, settings)` is called by create_app before the sign-in gate is installed: its
before_request hook runs first, so the public routes (/healthz, /readyz, /metrics) and the
empty-store page answer without a session, and every other request is named for the access log
before the gate sees it."""
from __future__ import annotations

import dash
from flask import g, has_app_context, request
from flask_caching import signals

from cockpit.ops import access, first_admin, health, proxy
from cockpit.ops.metrics import Metrics


def dash_paths(prefix: str) -> dict:
    """Dash's routes stay at / (UnderPrefix strips the prefix before they are matched); the
    browser is told to ask for everything under the prefix."""
    return {"routes_pathname_prefix": "/", "requests_pathname_prefix": prefix + "/"} if prefix else {}


def install(app: dash.Dash, settings) -> None:
    server = app.server
    metrics = Metrics()
    server.config.update(COCKPIT_METRICS=metrics,
                         COCKPIT_MONITOR_FROM=proxy.networks(settings.monitor_from))
    server.before_request(_first)
    server.after_request(access.who)
    _count_cache_lookups(server, metrics)
    wsgi = access.Observe(server.wsgi_app, metrics, access.access_logger(
        settings.access_log, settings.access_log_max_mb, settings.access_log_backups))
    if settings.url_prefix:
        wsgi = proxy.UnderPrefix(wsgi, settings.url_prefix)
    server.wsgi_app = proxy.ClientAddress(wsgi, proxy.networks(settings.trusted_proxies))


def _first():
    access.label()
    public = health.PUBLIC.get(request.path)
    if public is not None:
        return public()
    if not first_admin.has_accounts():
        return first_admin.setup_page()
    return None


def _count_cache_lookups(server, metrics: Metrics) -> None:
    """flask-caching signals each memoized lookup (cockpit/cache.py turns them on)."""
    def hit(sender, f=None, **_):
        metrics.cache(_name(f), True, _origin())

    def miss(sender, f=None, **_):
        metrics.cache(_name(f), False, _origin())
    # kept on the app: blinker holds receivers weakly
    server.extensions["cockpit_cache_receivers"] = (hit, miss)
    signals.cache_memoize_hit.connect(hit)
    signals.cache_memoize_miss.connect(miss)


def _origin() -> str:
    return "warming" if has_app_context() and g.get("warming") else "request"


def _name(f) -> str:
    module = getattr(f, "__module__", "") or ""
    return f"{module.rpartition('.')[2]}.{getattr(f, '__name__', '?')}"
