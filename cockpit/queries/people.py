"""实有人口: the residents of a jurisdiction, masked, a page at a time, and the sealed clear values
of one of them (etl/privacy/vault.py) for the audited "show in full" action (cockpit/unmask.py). The
ETL's masked name, ID number and phone are masked again here with the shared masks
(warehouse/personal.py), so what the page shows does not depend on the form the ETL wrote when
the warehouse was built: the ID number keeps only its issuing area (shown beside the birth year,
the area and the year leave about 180,000 possible numbers; GB/T 35273 de-identification). What the browser sends is cleaned here: the area through Scope.narrow, the
residence type against the warehouse's values, the address text trimmed and capped."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope
from warehouse import vault
from warehouse.personal import mask_id_number, mask_mobile, mask_name

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
    return remask(frame[["person_id", *COLUMNS]]).fillna(""), total


MASKS = {"name_masked": mask_name, "id_number_masked": mask_id_number, "phone_masked": mask_mobile}


def remask(frame: pd.DataFrame) -> pd.DataFrame:
    """The masked columns masked again with the shared masks (a masked value stays as it is
    under them, except an ID number that kept more than its issuing area)."""
    out = frame.copy()
    for column, mask in MASKS.items():
        if column in out:
            out[column] = out[column].map(lambda v: mask(v) if isinstance(v, str) and v.strip() else v)
    return out


def sealed(wh: Snapshot, scope: Scope, person_id) -> pd.Series | None:
    """The person's sealed record (bucket, sealed) with their masked name, or None when there is
    no such person inside the scope (a forged id from another area finds nothing): the bucket is
    looked up only for a person the scope holds."""
    if not isinstance(person_id, str) or not person_id:
        return None
    hit = run(wh, "people__sealed", scope, person_id=person_id)
    if not len(hit):
        return None
    row = remask(hit).iloc[0]
    found = vault.sealed_bucket(wh.query, "persons", row["person_id"])
    if found is None:
        return None
    return pd.concat([row, pd.Series({"bucket": found[0], "sealed": found[1]})])
