"""A store in its own SQLite file (the embedded default, one web process).

Connections are opened per use (cheap) in autocommit mode; transactions are BEGIN IMMEDIATE, so
the write lock is taken at once and a read-then-write inside is atomic against every other writer
(`Connection.lock` has nothing more to do). The file is in WAL mode (set once by `migrate`; the
mode is kept in the file), so readers never wait for the writer."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cockpit.stores import Connection, Database, Schema, newer


class SQLiteConnection(Connection):
    def execute(self, sql: str, params: Sequence[Any] = ()):
        return self.raw.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def lock(self, key: str) -> None:
        if not self.raw.in_transaction:
            raise RuntimeError("lock() outside a transaction holds nothing")


class SQLite(Database):
    dialect = "sqlite"
    IntegrityError = sqlite3.IntegrityError

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        raw = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield SQLiteConnection(raw, self)
        finally:
            raw.close()

    def exists(self) -> bool:
        return self.path.exists()

    @property
    def label(self) -> str:
        return str(self.path)

    def migrate(self, schema: Schema) -> int:
        steps = schema.sqlite
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connection() as con:
            con.execute("PRAGMA journal_mode=WAL")
            for number, step in enumerate(steps, start=1):
                with con.transaction():
                    found = version(con)
                    if found > len(steps):
                        raise newer(f"{schema.store} {self.path}", found, len(steps))
                    if found >= number:
                        continue
                    if callable(step):
                        step(con)
                    else:
                        for statement in statements(step):
                            con.execute(statement)
                    con.execute(f"PRAGMA user_version = {number:d}")
            return version(con)


def version(con: Connection) -> int:
    return con.execute("PRAGMA user_version").fetchone()[0]


def statements(script: str) -> Iterator[str]:
    """The statements of an SQL script (a trigger's BEGIN … END stays whole), to run one by one
    inside a transaction (sqlite3's executescript would commit it)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending
            pending = ""
