"""The cockpit's own state (accounts and sessions, the audit log, the open API's tokens, 研判
labels): one small interface over two backends, so that every store writes its queries once.

- SQLite, the embedded default: a file per store beside the warehouse (COCKPIT_ACCOUNTS, …), for
  one web process (cockpit/stores/sqlite.py);
- PostgreSQL, when COCKPIT_DATABASE_URL is set: every store in that one database, shared by any
  number of web processes on any number of servers (cockpit/stores/postgres.py).

A store's SQL uses `?` placeholders and what both dialects share (`INSERT … ON CONFLICT`, count,
coalesce); `Database.transaction()` gives a connection inside a transaction, and
`Connection.lock(key)` serialises a read-then-write (count, then record) against every other
writer of that key until the transaction ends: in SQLite the transaction already holds the file's
write lock (BEGIN IMMEDIATE), in PostgreSQL it is a transaction-scoped advisory lock.

Schemas are versioned per backend (`Schema`): SQLite keeps the version in the file's
`PRAGMA user_version`, PostgreSQL in a table `cockpit_schema` (one row per store). Step n turns
version n-1 into version n; each runs in its own transaction with the version check inside it,
under a lock, so two processes starting at once upgrade once and a failed step changes nothing.
SQLite's step 1 is the schema of the releases before versions; PostgreSQL's starts at this
release's schema. A new store (another table set, as early warning's labels, cockpit/labels.py)
declares a Schema, opens `stores.open(where)` and calls `migrate` once: docs/scaling.md, "Adding a store"."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Step = str | Callable[["Connection"], None]
SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class Schema:
    store: str                          # its name (PostgreSQL: its row in cockpit_schema)
    sqlite: Sequence[Step]
    postgresql: Sequence[Step]
    # PostgreSQL: what the web servers' role may do to each table (`grant`), when it is not the
    # owner; nothing more than the cockpit needs, and never TRUNCATE, ALTER or DROP
    rights: Mapping[str, str] = field(default_factory=dict)

    def steps(self, dialect: str) -> Sequence[Step]:
        return self.sqlite if dialect == "sqlite" else self.postgresql


class Connection:
    """One connection of a Database. `execute` takes `?` placeholders on both backends and
    returns a DB-API cursor (fetchone, fetchall, rowcount, description)."""

    def __init__(self, raw, db: "Database"):
        self.raw, self.db = raw, db

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def execute(self, sql: str, params: Sequence[Any] = ()):
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator["Connection"]:
        raise NotImplementedError
        yield self

    def lock(self, key: str) -> None:
        """Hold `key` until this transaction ends: writers of the same key wait for each other."""
        raise NotImplementedError

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        cur = self.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


class Database:
    dialect: str = ""
    IntegrityError: type[Exception] = Exception     # a refused write: a constraint or a guarding trigger

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        raise NotImplementedError
        yield

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside a transaction: committed at the end, rolled back on an exception."""
        with self.connection() as con, con.transaction():
            yield con

    def exists(self) -> bool:
        """Whether the store is there before anything creates it (a SQLite file may not be)."""
        return True

    def migrate(self, schema: Schema) -> int:
        """Run the steps the store has not had yet; returns its version (the number of steps)."""
        raise NotImplementedError

    def ready(self, schema: Schema, create: bool = False) -> bool:
        """Whether the store is there, its schema brought up to this release's once per Database
        (a store read before anything wrote it: False, and no SQLite file is made unless
        `create`). Errors of `migrate` (RuntimeError) pass through."""
        done = self.__dict__.setdefault("_ready_stores", set())
        if schema.store in done:
            return True
        if not create and not self.exists():
            return False
        self.migrate(schema)
        done.add(schema.store)
        return True

    @property
    def label(self) -> str:
        """Where the store is, for messages (never a password)."""
        raise NotImplementedError


def is_url(where) -> bool:
    return isinstance(where, str) and where.startswith(SCHEMES)


def open(where: "Path | str | Database") -> Database:      # noqa: A001 (the module's verb)
    """The database at `where`: a postgresql:// URL, or a SQLite file's path."""
    if isinstance(where, Database):
        return where
    if is_url(where):
        from cockpit.stores.postgres import PostgreSQL
        return PostgreSQL(where)
    from cockpit.stores.sqlite import SQLite
    return SQLite(Path(where))


def newer(store: str, found: int, steps: int) -> RuntimeError:
    return RuntimeError(f"{store}: schema version {found} is newer than this release's ({steps}); "
                        f"run the release that wrote it")
