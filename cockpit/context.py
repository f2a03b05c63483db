"""What a request is served with: the warehouse of this process and the viewer's scope.
Both come from the server side; nothing a browser sends can change them."""
from __future__ import annotations

from flask import current_app

from cockpit.db import Warehouse
from cockpit.scope import CITY, Scope


def warehouse() -> Warehouse:
    return current_app.config["COCKPIT_WAREHOUSE"]


def viewer_scope() -> Scope:
    # Until accounts exist (issue 6) every viewer sees the whole city.
    return CITY
