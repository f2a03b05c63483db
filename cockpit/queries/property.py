"""物业红黑榜: property-service firms and their credit rating. The list is district-wide (see
sql/property__firms.sql): firms are organisations with no area of the grid layer."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope

# list filter key → (label, value of red_black_list; None = every firm). Whitelisted.
LISTS = {"all": ("全部", None), "red": ("红榜", "红榜"), "none": ("未上榜", "无"), "black": ("黑榜", "黑榜")}
DEFAULT_LIST = "all"
# GB/T 2260 county codes of Jilin City (as in data/reference/jilin_city_districts.geojson):
# registered_region is a firm's registration county and the grid layer holds only the served
# district, so the names of the others come from here (an unknown code is shown as it is).
COUNTIES = {"220202": "昌邑区", "220203": "龙潭区", "220204": "船营区", "220211": "丰满区",
            "220221": "永吉县", "220281": "蛟河市", "220282": "桦甸市", "220283": "舒兰市",
            "220284": "磐石市"}


def list_key(key: str | None) -> str:
    return key if key in LISTS else DEFAULT_LIST


def firms(wh: Snapshot, scope: Scope, key: str | None = DEFAULT_LIST) -> pd.DataFrame:
    frame = run(wh, "property__firms", scope, list=LISTS[list_key(key)][1])
    return frame.assign(region_name=frame["registered_region"].map(lambda c: COUNTIES.get(c, c)))


def summary(wh: Snapshot, scope: Scope) -> dict:
    return run(wh, "property__summary", scope).iloc[0].to_dict()
