"""What a request is served with: a snapshot of the served warehouse generation, held for the
whole request (released when it ends), and the viewer's scope. Both come from the server side;
nothing a browser sends can change them."""
from __future__ import annotations

from flask import current_app, g

from cockpit.db import Snapshot
from cockpit.scope import CITY, Scope


def warehouse() -> Snapshot:
    if "warehouse" not in g:
        g.warehouse = current_app.config["COCKPIT_WAREHOUSE"].snapshot()
    return g.warehouse


def release_warehouse(_exc=None) -> None:
    snapshot = g.pop("warehouse", None)
    if snapshot is not None:
        snapshot.close()


def viewer_scope() -> Scope:
    # Until accounts exist (issue 6) every viewer sees the whole city.
    return CITY
