"""The served warehouse: one read-only DuckDB connection per process, a cursor per query
(a DuckDB connection is not thread-safe; cursors are)."""
from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd


class Warehouse:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:          # part of cache keys: stable, names the file
        return f"Warehouse({str(self.path)!r})"

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None:
                if not self.path.exists():
                    raise FileNotFoundError(f"数据仓库不存在: {self.path}")
                self._con = duckdb.connect(str(self.path), read_only=True)
            return self._con

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        cur = self._connection().cursor()
        try:
            return cur.execute(sql, params or {}).df()
        finally:
            cur.close()

    def close(self):
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
