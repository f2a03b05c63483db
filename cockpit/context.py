"""What a request is served with: a snapshot of the served warehouse generation, held for the
whole request (released when it ends), and the viewer's scope. Both come from the server side;
nothing a browser sends can change them."""
from __future__ import annotations

from flask import current_app, g, has_request_context

from cockpit.cache import cache
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
    """The signed-in account's jurisdiction. The gate (cockpit/auth.py) lets no request through
    without an account, so a missing one is a programming error: refuse, never widen."""
    account = g.get("account")
    if account is None:
        raise PermissionError("no signed-in account")
    if account.department:
        return Scope(CITY.code, account.department, account.department)
    return Scope(account.area_code, _area_name(warehouse(), account.area_code))


def layout_scope() -> Scope | None:
    """The account's scope for a page's layout; None when Dash checks every layout once at
    start-up, outside any request (the layout is then only a shape, with no data)."""
    if not has_request_context() or g.get("account") is None:
        return None
    return viewer_scope()


def layout_area() -> str | None:
    scope = layout_scope()
    return scope.code if scope else None


@cache.memoize()
def _area_name(wh: Snapshot, code: str) -> str:
    if code == CITY.code:
        return CITY.name
    hit = wh.query("SELECT name FROM core.areas WHERE code = $code ORDER BY valid_from DESC NULLS LAST LIMIT 1",
                   {"code": code})
    return hit.iloc[0, 0] if len(hit) else code
