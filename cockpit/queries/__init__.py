"""Read-only queries on the served warehouse. SQL lives in sql/<subject>__<what>.sql; parameters
are always bound ($name), never formatted in. Every query takes the viewer's Scope."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from cockpit.db import Warehouse
from cockpit.scope import Scope

SQL_DIR = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run(wh: Warehouse, name: str, scope: Scope, **params) -> pd.DataFrame:
    return wh.query(sql(name), {"scope": scope.code, **params})
