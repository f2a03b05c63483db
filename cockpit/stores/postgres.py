"""The stores in PostgreSQL (COCKPIT_DATABASE_URL=postgresql://…): one database shared by every web
process and server, so a session, a lockout, a cap or an audit record made on one is seen by all.

Connections come from a pool per URL and process (psycopg_pool; POOL_SIZE, a little more than
waitress' threads), in autocommit mode; `transaction()` is BEGIN … COMMIT at READ COMMITTED, and
a read-then-write takes `Connection.lock(key)`: pg_advisory_xact_lock on a hash of the key, held
until the transaction ends. The schema's version is a row per store in `cockpit_schema`; a role
that may not change the schema (the web role of docs/operations.md, "PostgreSQL roles") starts
against a current schema and is told to run `python -m cockpit.accounts migrate` as the owner
against an old one."""
from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from cockpit.stores import Connection, Database, Schema, newer

POOL_SIZE = 10                  # per process: waitress' 8 threads, and the odd command
POOL_TIMEOUT = 10               # seconds a request waits for a connection before it fails
SCHEMA_LOCK = "cockpit_schema"

_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


@lru_cache(maxsize=256)
def placeholders(sql: str) -> str:
    """`?` → `%s` (psycopg's), a literal `%` doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgreSQLConnection(Connection):
    def execute(self, sql: str, params: Sequence[Any] = ()):
        if params:
            return self.raw.execute(placeholders(sql), tuple(params))
        return self.raw.execute(sql)             # sent as written (a script: several statements)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.raw.transaction():
            yield self

    def lock(self, key: str) -> None:
        if self.raw.info.transaction_status != TransactionStatus.INTRANS:
            raise RuntimeError("lock() outside a transaction holds nothing")
        self.raw.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


class PostgreSQL(Database):
    dialect = "postgresql"
    IntegrityError = psycopg.errors.IntegrityError

    def __init__(self, url: str):
        self.url = url

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with pool(self.url).connection() as raw:
            yield PostgreSQLConnection(raw, self)

    @property
    def label(self) -> str:
        return label(self.url)

    def migrate(self, schema: Schema) -> int:
        steps = schema.postgresql
        with self.connection() as con:
            for number, step in enumerate(steps, start=1):
                with con.transaction():
                    con.lock(SCHEMA_LOCK)
                    found = _version(con, schema.store)
                    if found > len(steps):
                        raise newer(f"{schema.store} ({self.label})", found, len(steps))
                    if found >= number:
                        continue
                    try:
                        if found == 0 and con.execute("SELECT to_regclass('cockpit_schema')").fetchone()[0] is None:
                            con.execute("CREATE TABLE cockpit_schema (store TEXT PRIMARY KEY, version INTEGER NOT NULL)")
                        step(con) if callable(step) else con.execute(step)
                    except psycopg.errors.InsufficientPrivilege as e:
                        raise RuntimeError(
                            f"{schema.store} ({self.label}): schema version {found}, this release needs "
                            f"{len(steps)}, and this database role may not change the schema ({e}); run "
                            f"`python -m cockpit.accounts migrate` with the owner's COCKPIT_DATABASE_URL") from e
                    con.execute("INSERT INTO cockpit_schema (store, version) VALUES (?, ?) "
                                "ON CONFLICT (store) DO UPDATE SET version = excluded.version", (schema.store, number))
            return _version(con, schema.store)


    def grant(self, schema: Schema, role: str) -> None:
        """Give `role` (the web servers', not the owner) the store's `rights` and nothing else:
        run as the owner after each migration (python -m cockpit.accounts migrate --grant)."""
        from psycopg import sql
        who = sql.Identifier(role)
        with self.transaction() as con:
            con.raw.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(con.execute("SELECT current_schema()").fetchone()[0]), who))
            con.raw.execute(sql.SQL("GRANT SELECT ON cockpit_schema TO {}").format(who))
            for table, rights in schema.rights.items():
                if not set(rights.replace(",", " ").split()) <= {"SELECT", "INSERT", "UPDATE", "DELETE"}:
                    raise ValueError(f"{schema.store}: {table}: {rights}")
                con.raw.execute(sql.SQL(f"GRANT {rights} ON {{}} TO {{}}").format(sql.Identifier(table), who))


def _version(con: Connection, store: str) -> int:
    if con.execute("SELECT to_regclass('cockpit_schema')").fetchone()[0] is None:
        return 0
    row = con.execute("SELECT version FROM cockpit_schema WHERE store = ?", (store,)).fetchone()
    return row[0] if row else 0


def pool(url: str) -> ConnectionPool:
    """This process's pool for `url` (opened on first use)."""
    with _pools_lock:
        found = _pools.get(url)
        if found is None:
            found = _pools[url] = ConnectionPool(
                url, min_size=1, max_size=POOL_SIZE, timeout=POOL_TIMEOUT, kwargs={"autocommit": True},
                check=ConnectionPool.check_connection,      # a server restarted since: reconnect, not fail
                name=label(url), open=True)
        return found


def close(url: str) -> None:
    with _pools_lock:
        found = _pools.pop(url, None)
    if found is not None:
        found.close()


@atexit.register
def close_all() -> None:
    for url in list(_pools):
        close(url)


def label(url: str) -> str:
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "PostgreSQL (COCKPIT_DATABASE_URL)"
    return f"PostgreSQL {info.get('dbname', '')} on {info.get('host', 'localhost')}:{info.get('port', 5432)}"
