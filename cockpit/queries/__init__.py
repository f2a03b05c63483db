"""Read-only queries on the served warehouse. SQL lives in sql/<subject>__<what>.sql; parameters
are always bound ($name), never formatted in. Every query takes the viewer's Scope, and `run` is
the one path to the data: it binds the scope's area ($scope) and, for a department account, its
department ($department) over whatever a caller passed; a query that cannot be limited to a
department refuses a department's scope (default deny), unless its SQL file declares
`-- department: not applicable` (the area layer: no events, no persons)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from cockpit.db import Warehouse
from cockpit.scope import Scope

SQL_DIR = Path(__file__).parent / "sql"
NOT_DEPARTMENTAL = "-- department: not applicable"


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run(wh: Warehouse, name: str, scope: Scope, **params) -> pd.DataFrame:
    text = sql(name)
    bound = {**params, "scope": scope.code}
    if "$department" in text:
        bound["department"] = scope.department or params.get("department") or None
    elif scope.department and not text.startswith(NOT_DEPARTMENTAL):
        raise PermissionError(f"{name}: not limited by department, refused for a department account")
    return wh.query(text, bound)
