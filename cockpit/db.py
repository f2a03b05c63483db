"""The served warehouse, read-only: one DuckDB connection per process and generation, a cursor per
query (a connection is not thread-safe; cursors are).

`Warehouse(path)` takes a warehouse directory, whose CURRENT pointer names the served generation
(warehouse/generations.py), or a single DuckDB file. A request takes a `Snapshot`: the generation served
when it began, held until it ends, so a response never mixes two generations. When the ETL
publishes a new one, the next snapshot opens it (no restart); the old connection closes once
its last snapshot is released."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from warehouse import generations


@dataclass
class _Open:
    id: str
    con: duckdb.DuckDBPyConnection
    users: int = 0
    served: bool = True


class Snapshot:
    """One generation, pinned until close(). Pass it to the query functions."""

    def __init__(self, warehouse: "Warehouse", opened: _Open):
        self._warehouse, self._opened = warehouse, opened
        self.generation = opened.id

    def __repr__(self) -> str:          # part of cache keys: a new generation, new keys
        return f"Snapshot({self.generation!r})"

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        cur = self._opened.con.cursor()
        try:
            return cur.execute(sql, params or {}).df()
        finally:
            cur.close()

    def close(self) -> None:
        if self._opened is not None:
            self._warehouse._release(self._opened)
            self._opened = None

    def __enter__(self) -> "Snapshot":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class Warehouse:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._open: dict[str, _Open] = {}
        self._served: str | None = None
        self._pointer_seen: tuple | None = None

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.is_file() or generations.current(self.path) is not None

    def snapshot(self) -> Snapshot:
        with self._lock:
            opened = self._served_generation()
            opened.users += 1
            return Snapshot(self, opened)

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """One query on the served generation (for scripts and notebooks; requests use snapshots)."""
        with self.snapshot() as snap:
            return snap.query(sql, params)

    def _served_generation(self) -> _Open:
        if self.path.is_file():          # a single file: its modification time is its version
            gen = generations.Generation(f"{self.path.name}@{self.path.stat().st_mtime_ns}", self.path)
        else:
            gen = self._read_pointer()
        if gen.id != self._served:
            old = self._open.get(self._served)
            if old is not None:
                old.served = False
                self._close_if_unused(old)
            self._open[gen.id] = _Open(gen.id, duckdb.connect(str(gen.path), read_only=True))
            self._served = gen.id
        return self._open[gen.id]

    def _read_pointer(self) -> generations.Generation:
        pointer = self.path / generations.POINTER
        try:
            st = os.stat(pointer)
        except FileNotFoundError:
            raise FileNotFoundError(f"数据仓库不存在或尚未发布: {self.path}") from None
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen == self._pointer_seen and self._served in self._open:
            return generations.Generation(self._served, Path())
        gen = generations.current(self.path)
        if gen is None or not gen.path.exists():
            raise FileNotFoundError(f"数据版本文件不存在: {gen.path if gen else pointer}")
        self._pointer_seen = seen
        return gen

    def _release(self, opened: _Open) -> None:
        with self._lock:
            opened.users -= 1
            self._close_if_unused(opened)

    def _close_if_unused(self, opened: _Open) -> None:
        if opened.users == 0 and not opened.served:
            opened.con.close()
            self._open.pop(opened.id, None)

    def close(self) -> None:
        with self._lock:
            for opened in self._open.values():
                opened.con.close()
            self._open.clear()
            self._served = self._pointer_seen = None
