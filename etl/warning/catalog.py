"""Which warning tables a generation holds."""
from __future__ import annotations

from etl import storage


def present(con, database: str = "wh") -> list[str]:
    """The tables of the schema `warning` of `database` (a stored one is a view in a generation and
    an overlay: etl/storage.py; an overlay's open partitions are not a table of their own)."""
    return [t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'warning' "
        "AND NOT suffix(table_name, $open) UNION SELECT view_name FROM duckdb_views() "
        "WHERE database_name = $db AND schema_name = 'warning' ORDER BY 1",
        {"db": database, "open": storage.OPEN_SUFFIX}).fetchall()]
