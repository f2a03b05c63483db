"""The cockpit's own SQLite files (accounts and sessions, the audit log): one way to open them and
one way to bring an existing file's schema up to this release's.

A store lists its schema as steps; step n (from 1) turns a version n-1 file into a version n
file and the file's `PRAGMA user_version` says how many have run. Step 1 is always the schema
the store had before versions existed (its CREATE ... IF NOT EXISTS statements), so a file
written by a release without versions (user_version 0) goes through every later step and keeps
its rows. Each step runs in its own BEGIN IMMEDIATE transaction with the version check inside
it: two processes starting at once upgrade a file once, and a failed step changes nothing."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

Step = str | Callable[[sqlite3.Connection], None]


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit: `transaction`). The file is in
    WAL mode (set once by `migrate`; the mode is kept in the file), so readers never wait for
    the writer."""
    return sqlite3.connect(path, timeout=30, isolation_level=None)


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on an exception): the write lock is taken at once, so
    a read-then-write inside (count, then record) is atomic against every other writer."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def version(con: sqlite3.Connection) -> int:
    return con.execute("PRAGMA user_version").fetchone()[0]


def migrate(con: sqlite3.Connection, steps: Sequence[Step], store: str) -> int:
    """Run the steps the file has not had yet; returns the file's version (len(steps))."""
    con.execute("PRAGMA journal_mode=WAL")
    for number, step in enumerate(steps, start=1):
        with transaction(con):
            found = version(con)
            if found > len(steps):
                raise RuntimeError(f"{store}: schema version {found} is newer than this release's "
                                   f"({len(steps)}); run the release that wrote it")
            if found >= number:
                continue
            if callable(step):
                step(con)
            else:
                for statement in statements(step):
                    con.execute(statement)
            con.execute(f"PRAGMA user_version = {number:d}")
    return version(con)


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
