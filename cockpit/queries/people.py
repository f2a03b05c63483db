"""实有人口: the residents of a jurisdiction as the ETL masked them, a page at a time, and the
sealed clear values of one of them (etl/vault.py) for the audited "show in full" action
(cockpit/unmask.py). What the browser sends is cleaned here: the area through Scope.narrow, the
residence type against the warehouse's values, the address text trimmed and capped."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope

# column id → Chinese header, in table order (person_id is the record's id, not personal data)
COLUMNS = {
    "name_masked": "姓名", "sex": "性别", "birth_year": "出生年份", "id_number_masked": "公民身份号码",
    "phone_masked": "联系电话", "residence_type": "人口类型", "relation": "与户主关系",
    "address": "住址", "grid_name": "网格", "community_name": "社区",
}
PAGE_SIZE = 20
ADDRESS_TEXT_MAX = 40


def residence_types(wh: Snapshot, scope: Scope) -> list[str]:
    return run(wh, "people__residence_types", scope)["residence_type"].tolist()


def clean_address(text) -> str | None:
    """The address text to match (a compound, building or room), or None for any."""
    if not isinstance(text, str) or not text.strip():
        return None
    return text.strip()[:ADDRESS_TEXT_MAX]


def clean_residence_type(wh: Snapshot, scope: Scope, value) -> str | None:
    return value if isinstance(value, str) and value in residence_types(wh, scope) else None


def rows(wh: Snapshot, scope: Scope, residence_type: str | None, address: str | None,
         page: int) -> tuple[pd.DataFrame, int]:
    """(one page of masked residents with person_id and COLUMNS, how many match in all)."""
    frame = run(wh, "people__rows", scope, residence_type=residence_type, address=address,
                limit=PAGE_SIZE, offset=max(int(page), 0) * PAGE_SIZE)
    total = int(frame["total"].iloc[0]) if len(frame) else 0
    frame["birth_year"] = frame["birth_year"].astype("string")
    return frame[["person_id", *COLUMNS]].fillna(""), total


def sealed(wh: Snapshot, scope: Scope, person_id) -> pd.Series | None:
    """The person's sealed record with their masked name, or None when there is no such person
    inside the scope (a forged id from another area finds nothing)."""
    if not isinstance(person_id, str) or not person_id:
        return None
    hit = run(wh, "people__sealed", scope, person_id=person_id)
    return hit.iloc[0] if len(hit) else None
