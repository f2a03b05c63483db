"""Read-only queries on the served warehouse. SQL lives in sql/<subject>__<what>.sql; parameters
are always bound ($name), never formatted in. Every query takes the viewer's Scope, and `run` is
the one path to the data: it binds the scope's area ($scope) and, for a department account, its
department ($department) over whatever a caller passed; a query that cannot be limited to a
department refuses a department's scope (default deny), unless its SQL file declares
`-- department: not applicable` (the area layer: no events, no persons).

A rule several queries share is written once in a fragment, sql/_<name>.sql, and a query takes it
with a line `-- include: <name>` (the event filter, the dates of a window: queries/filters.py).

Every text column `run` returns is scrubbed (warehouse/personal.py: ID and mobile numbers masked,
however written) except the columns that hold keys and codes, so no page, export or hover shows
a personal number that reached the warehouse's free text, whatever the ETL's masks were when it
was built. Keys are excluded by name: a 15-digit grid code has the form of a first-generation ID
number and would be masked."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

from cockpit.db import Warehouse
from cockpit.scope import Scope
from warehouse.personal import CANDIDATE, scrub

SQL_DIR = Path(__file__).parent / "sql"
NOT_DEPARTMENTAL = "-- department: not applicable"
# columns of keys, codes and machine data, never scrubbed (besides every *_code, *_codes, *_id)
KEY_COLUMNS = frozenset({"code", "areas", "grids_here", "first_child", "value", "parent", "table_name",
                         "change_points", "geometry_json", "geometry_wkb", "sealed"})
# the scrubber's own pre-filter (RE2 syntax): vectorised over a column, only candidate cells are
# scrubbed one by one
_CANDIDATE = "(?s)" + CANDIDATE


INCLUDE = re.compile(r"^([ \t]*)-- include: (\w+)[ \t]*$", re.MULTILINE)


@cache
def sql(name: str) -> str:
    """The query's text, its `-- include:` lines replaced by their fragments (indented alike)."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: fragment(m[2], m[1]), text)


def fragment(name: str, indent: str = "") -> str:
    lines = (SQL_DIR / f"_{name}.sql").read_text(encoding="utf-8").splitlines()
    return "\n".join(indent + line for line in lines if not line.startswith("--"))


def run(wh: Warehouse, name: str, scope: Scope, **params) -> pd.DataFrame:
    text = sql(name)
    bound = {**params, "scope": scope.code}
    if "$department" in text:
        bound["department"] = scope.department or params.get("department") or None
    elif scope.department and not text.startswith(NOT_DEPARTMENTAL):
        raise PermissionError(f"{name}: not limited by department, refused for a department account")
    return scrub_frame(wh.query(text, bound))


def is_key(column: str) -> bool:
    return column in KEY_COLUMNS or column.endswith(("_code", "_codes", "_id"))


def scrub_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ID and mobile numbers masked in every text column but the keys."""
    for column in frame.columns:
        series = frame[column]
        if is_key(str(column)) or not (pd.api.types.is_string_dtype(series.dtype) or series.dtype == object):
            continue
        if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
            continue
        hits = series.str.contains(_CANDIDATE, regex=True, na=False)
        if hits.any():
            frame[column] = series.where(~hits, series[hits].map(scrub))
    return frame
