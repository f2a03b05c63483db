import base64
import json
from contextlib import contextmanager

import numpy as np
import plotly.graph_objects as go
from flask import g

from cockpit.accounts import Account

CITY_ADMIN = Account("T-ADMIN", "区级管理员", "2202")


@contextmanager
def signed_in(app, account: Account = CITY_ADMIN, path: str = "/"):
    """A request context as the gate leaves it for a signed-in account."""
    with app.server.test_request_context(path):
        g.account = account
        yield


def fetched(app, url: str, account: Account = CITY_ADMIN):
    """What the browser fetches for a figure's geojson URL (cockpit/geometry.py), as the account."""
    endpoint, args = app.server.url_map.bind("localhost").match(url.partition("?")[0])
    with signed_in(app, account, url):
        return json.loads(app.server.view_functions[endpoint](**args).get_data())


def _decoded(v):
    """plotly sends numeric arrays as {"dtype", "bdata"[, "shape"]}: back to numpy."""
    if isinstance(v, dict):
        if "bdata" in v and "dtype" in v:
            arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
            arr = arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64)   # sums overflow int8
            shape = v.get("shape")
            return arr.reshape([int(n) for n in str(shape).split(",")]) if shape else arr
        return {k: _decoded(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decoded(x) for x in v]
    return v


def as_figures(outputs):
    """Callback outputs with figure dicts (as views cache and send them) back as Figures, so
    tests read them as attributes."""
    def one(v):
        return go.Figure(_decoded(v)) if isinstance(v, dict) and {"data", "layout"} <= set(v) else v
    if isinstance(outputs, tuple):
        return tuple(one(v) for v in outputs)
    if isinstance(outputs, dict) and not {"data", "layout"} <= set(outputs):     # named outputs
        return {k: one(v) for k, v in outputs.items()}
    return one(outputs)


def grid_map_render(page, *args) -> tuple:
    """The grid map's named outputs (cockpit/pages/grid_map.py render), in the order tests unpack
    them: figure, drawn, crumbs, title, note, ranking."""
    out = as_figures(page.render(*args))
    return tuple(out[k] for k in ("figure", "drawn", "crumbs", "title", "note", "ranking"))
