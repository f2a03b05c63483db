"""网格治理数字驾驶舱: the Dash app, built by create_app(settings)."""
from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import dash
from dash import _callback

from cockpit.accounts import check_wall_pages
from cockpit.api import install as install_api
from cockpit.auth import install as install_auth
from cockpit.briefing.downloads import install as install_briefings
from cockpit.cache import init_cache
from cockpit.config import Settings, normal_prefix
from cockpit.context import release_warehouse
from cockpit.db import Warehouse
from cockpit.geometry import install as install_geometry
from cockpit.headers import install as install_headers
from cockpit.ops import dash_paths, install as install_ops
from warehouse.paths import ROOT


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or Settings.from_env()
    settings = replace(settings, url_prefix=normal_prefix(settings.url_prefix),
                       kiosk_pages=check_wall_pages(settings.kiosk_pages))
    app = dash.Dash(
        "cockpit",                     # the package: Flask's root path and Dash's pages are under it
        use_pages=True,
        pages_folder=str(Path(__file__).parent / "pages"),
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,            # Dash's JS and plotly.js from this server, never a CDN
        title="网格治理数字驾驶舱",
        update_title=None,
        **dash_paths(settings.url_prefix),
    )
    app.server.config["COCKPIT_WAREHOUSE"] = Warehouse(settings.warehouse)
    app.server.teardown_request(release_warehouse)
    app.server.config["COCKPIT_SETTINGS"] = settings
    init_cache(app.server, settings)
    install_ops(app, settings)         # before the gate: its routes answer without a session
    install_api(app, settings)         # before the gate too: token only, a session opens nothing
    install_auth(app, settings)
    install_headers(app, settings.frame_ancestors)
    install_geometry(app.server)
    install_briefings(app, settings)
    from cockpit.layout import frame  # after the app exists: page_container needs use_pages
    app.layout = functools.partial(frame, settings.refresh_seconds * 1000)   # per account
    _take_every_callback(app)
    return app


_callbacks: tuple[dict, list] | None = None


def _take_every_callback(app: dash.Dash) -> None:
    """Every app of the process gets every callback. Dash registers `dash.callback`s (the pages',
    the frame's) in a process-wide list when their modules are first imported, and the first app
    to set up its server (on its first request) takes them all: a second app (tests, benches)
    answered no callback. So the full set is kept from the first app and each app takes it now."""
    global _callbacks
    if _callbacks is None:
        _callbacks = (dict(_callback.GLOBAL_CALLBACK_MAP), list(_callback.GLOBAL_CALLBACK_LIST))
    else:
        _callback.GLOBAL_CALLBACK_MAP.update(_callbacks[0])
        _callback.GLOBAL_CALLBACK_LIST[:] = _callbacks[1]
    app._setup_server()
