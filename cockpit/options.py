"""Filter choices the pages offer, cached per generation and scope (they change only with a new
build; at city scale the area list alone took 40 ms a page load)."""
from __future__ import annotations

from cockpit.cache import cache
from cockpit.db import Snapshot
from cockpit.queries import areas
from cockpit.scope import Scope


@cache.memoize()
def area_options(wh: Snapshot, scope: Scope, levels=("district", "street", "community")) -> list[dict]:
    return areas.options(wh, scope, levels)
