"""The audit log, on its own SQLite file and in PostgreSQL (`state`, tests/conftest.py):
append-only against what SQL can do to it (REPLACE, TRUNCATE, a removed retention row),
tamper-evident against what it cannot (a hash chain that `python -m cockpit.audit verify` walks),
never forked by writers appending at once, the cap counted and recorded atomically, and the
upgrade of a log written before schema versions."""
import datetime as dt
import sqlite3
import subprocess
import sys
import threading

import pytest

from cockpit.audit import GENESIS, PG_TRIGGERS, STEPS, TRIGGERS, AuditLog, chain_hash, clean_text
from cockpit.audit.__main__ import main
from tests.cockpit.stores import OLD, last_hash, raw_insert
from warehouse.paths import ROOT


def _log(state, days=30) -> AuditLog:
    log = AuditLog(state("audit"), retention_days=days)
    log.record("u1", "127.0.0.1", "export", "/explorer", "事件查询.csv · 10 条")
    log.record("u2", "127.0.0.2", "page_view", "/map")
    return log


def _where(state) -> str:
    """The log as the command line names it (--audit)."""
    return str(state("audit"))


def _drop_trigger(con, name):
    table = PG_TRIGGERS[name][0]
    con.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if con.dialect == "postgresql" else ""))


def _create_trigger(con, name):
    if con.dialect == "sqlite":
        con.execute(f"CREATE TRIGGER {name} {TRIGGERS[name]}")
    else:
        table, when, level, _ = PG_TRIGGERS[name]
        con.execute(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {level} EXECUTE FUNCTION {name}()")


def test_sql_cannot_rewrite_or_delete_a_record(state):
    log = _log(state)
    refused = {
        "update": "UPDATE audit SET account = 'someone else'",
        "delete": "DELETE FROM audit",
        "shorter retention": "UPDATE retention SET days = 1",
        "retention removed": "DELETE FROM retention",
        "anchor moved to a young record": "INSERT INTO chain_anchor SELECT 1, id, hash FROM audit LIMIT 1",
    }
    if state.dialect == "sqlite":
        refused["retention replaced"] = "INSERT OR REPLACE INTO retention VALUES (1, 1)"
    else:                       # TRUNCATE fires no DELETE trigger: it has triggers of its own
        refused.update({f"truncate {t}": f"TRUNCATE {t}" for t in ("audit", "retention", "chain_anchor")})
        refused["retention replaced"] = ("INSERT INTO retention VALUES (1, 1) "
                                         "ON CONFLICT (one) DO UPDATE SET days = excluded.days")
        refused["record replaced"] = ("INSERT INTO audit (at, account, address, action, prev_hash, hash) "
                                      "OVERRIDING SYSTEM VALUE SELECT at, account, address, action, prev_hash, hash "
                                      "FROM audit ORDER BY id DESC LIMIT 1 "
                                      "ON CONFLICT (id) DO UPDATE SET account = 'someone else'")
    with log.db.connection() as con:
        for case, sql in refused.items():
            with pytest.raises(log.db.IntegrityError):
                con.execute(sql)
                pytest.fail(case)
        # SQLite's INSERT OR REPLACE deletes the old row without firing delete triggers
        with pytest.raises(log.db.IntegrityError, match="replaced"):
            raw_insert(con, "2030-01-01T00:00:00", "forger", rid=1,
                        verb="INSERT OR REPLACE" if state.dialect == "sqlite" else "INSERT")
        with pytest.raises(log.db.IntegrityError, match="chain"):            # not chained to the last
            raw_insert(con, "2030-01-01T00:00:00", "forger", prev=GENESIS)
    assert list(log.recent()["account"]) == ["u2", "u1"] and log.verify().ok


def test_a_record_chained_to_a_stale_head_is_refused(state):
    """A writer that read the last hash, then another appended: its record would fork the chain."""
    log = _log(state)
    with log.db.connection() as con:
        stale = last_hash(con)
        log.record("u3", "127.0.0.3", "login")
        with pytest.raises(log.db.IntegrityError, match="chain"):
            raw_insert(con, "2030-01-01T00:00:00", "forger", prev=stale)
    assert log.verify().ok and log.verify().records == 3


def test_writers_appending_at_once_never_fork_the_chain(state):
    """Many threads (each its own connection: in PostgreSQL as several web servers) appending at
    once: every record is kept, in one unbroken chain."""
    log = AuditLog(state("audit"))
    start = threading.Barrier(16)

    def write(i):
        start.wait()
        for j in range(10):
            log.record(f"w{i}", "127.0.0.1", "page_view", f"/p{j}")
    threads = [threading.Thread(target=write, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verdict = log.verify()
    assert verdict.ok and verdict.records == 160, verdict


def test_the_chaining_trigger_serialises_writers_that_take_no_lock(pg_database):
    """Two transactions insert a record chained to the same head, neither taking the writers'
    lock: the trigger takes it, so the second waits for the first to commit and is then refused
    (without the lock in the trigger, neither would see the other and the chain would fork)."""
    import psycopg
    log = AuditLog(pg_database)
    log.record("u1", "127.0.0.1", "login")
    head = log.verify().head
    record = {"at": "2030-01-01T00:00:00", "account": "x", "address": "", "action": "login", "target": "",
              "detail": ""}
    sql = ("INSERT INTO audit (at, account, address, action, prev_hash, hash) "
           "VALUES (%s, %s, '', 'login', %s, %s)")
    first, second = psycopg.connect(pg_database), psycopg.connect(pg_database)
    outcome = []
    try:
        first.execute(sql, (record["at"], "x", head, chain_hash(head, {**record, "account": "x"})))

        def other():
            try:
                second.execute(sql, (record["at"], "y", head, chain_hash(head, {**record, "account": "y"})))
                second.commit()
                outcome.append("accepted")
            except psycopg.errors.IntegrityError as e:
                second.rollback()
                outcome.append(str(e))
        waiting = threading.Thread(target=other)
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive() and outcome == []            # waits for the first writer
        first.commit()
        waiting.join(30)
    finally:
        first.close()
        second.close()
    assert len(outcome) == 1 and "chain" in outcome[0], outcome
    verdict = log.verify()
    assert verdict.ok and verdict.records == 2, verdict


def test_without_a_retention_row_nothing_may_be_deleted(state):
    """Were the retention row gone (its trigger dropped), the keep trigger's cut-off falls back to
    keeping everything: a record past retention, behind the anchor, still cannot be deleted."""
    log = AuditLog(state("audit"), retention_days=30)
    with log.db.connection() as con:
        raw_insert(con, OLD, "old", prev=GENESIS)
        con.execute("INSERT INTO chain_anchor SELECT 1, id, hash FROM audit WHERE account = 'old'")
        _drop_trigger(con, "retention_no_delete")
        con.execute("DELETE FROM retention")
        with pytest.raises(log.db.IntegrityError, match="retention"):
            con.execute("DELETE FROM audit WHERE account = 'old'")
    assert list(log.recent()["account"]) == ["old"]


def test_purge_releases_only_old_records_oldest_first_and_the_chain_holds(state):
    log = AuditLog(state("audit"), retention_days=30)
    with log.db.connection() as con:
        for i in range(3):
            raw_insert(con, OLD, f"old{i}", prev=GENESIS if i == 0 else None)
    log.record("u1", "127.0.0.1", "login")
    assert log.purge() == 3 and list(log.recent()["account"]) == ["u1"]
    assert log.purge() == 0
    log.record("u2", "127.0.0.1", "login")
    verdict = log.verify()
    assert verdict.ok and verdict.records == 2, verdict


@pytest.mark.parametrize("tamper", ["change", "delete", "insert", "drop trigger", "disable trigger"])
def test_verify_finds_where_the_chain_was_broken(state, tamper):
    """With the triggers out of the way (by whoever owns the file or the tables), a change still
    breaks the chain, and verify says where; the command exits 1."""
    if tamper == "disable trigger" and state.dialect == "sqlite":
        pytest.skip("SQLite's triggers cannot be disabled, only dropped")
    log = _log(state)
    for i in range(3):
        log.record("u3", "127.0.0.3", "login", detail=f"第 {i} 次")
    with log.db.connection() as con:
        if tamper == "disable trigger":
            con.execute("ALTER TABLE audit DISABLE TRIGGER audit_keep")
        else:
            for name in ("audit_no_update", "audit_keep", "audit_chained"):
                _drop_trigger(con, name)
        if tamper == "change":
            con.execute("UPDATE audit SET detail = '无事' WHERE id = 3")
        elif tamper == "delete":
            con.execute("DELETE FROM audit WHERE id = 3")
        elif tamper == "insert":
            overriding = " OVERRIDING SYSTEM VALUE" if state.dialect == "postgresql" else ""
            con.execute("INSERT INTO audit (id, at, account, address, action, target, detail, prev_hash, hash)"
                        f"{overriding} SELECT 10, at, 'ghost', address, action, target, detail, prev_hash, hash "
                        "FROM audit WHERE id = 2")
    if tamper in ("drop trigger", "disable trigger"):     # every record intact: the protection is not
        verdict = log.verify()
        assert not verdict.ok and "触发器" in verdict.problem
    else:
        verdict = log.verify()
        assert not verdict.ok and verdict.problem.startswith({"change": "记录 3", "delete": "记录 4",
                                                               "insert": "记录 10"}[tamper]), verdict
    if tamper == "change":                            # the command, as cron or a person runs it
        run = subprocess.run([sys.executable, "-m", "cockpit.audit", "--audit", _where(state), "verify"],
                             cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 1 and "记录 3" in run.stderr, run.stderr
    else:
        assert main(["--audit", _where(state), "verify"]) == 1


def test_an_exported_head_shows_records_cut_from_the_end(state, capsys):
    """Removing the newest records leaves a consistent chain; only a head kept elsewhere shows it."""
    log = _log(state)
    head = log.verify().head
    log.record("u3", "127.0.0.3", "login")
    assert log.verify(head).ok
    with log.db.connection() as con:
        _drop_trigger(con, "audit_keep")
        con.execute("DELETE FROM audit WHERE id >= 2")
        _create_trigger(con, "audit_keep")                                # and put back
    assert log.verify().ok and not log.verify(head).ok
    assert main(["--audit", _where(state), "head"]) == 0
    assert capsys.readouterr().out.split() == ["1", log.verify().head]
    assert main(["--audit", _where(state), "verify", "--head", head]) == 1


def test_the_cap_is_counted_and_recorded_at_once(state):
    """A burst of parallel openings (threads, each its own connection) records exactly the cap."""
    log = AuditLog(state("audit"))
    cap, since = 20, dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    start = threading.Barrier(40)
    results = []

    def open_one(i):
        start.wait()
        results.append(log.record_capped("burst", "127.0.0.1", "unmask", cap, since, "/people", f"persons/P{i}"))
    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == cap and log.count_since("burst", "unmask", since) == cap
    assert log.verify().ok


def test_what_a_person_typed_is_stored_clean():
    assert clean_text("\u200b\u200b\u200b\u200b") == ""
    assert clean_text(" 核实\u200b身份  证号 220204 19800101 1232\u202e ") == "核实身份 证号 220204************"
    assert clean_text("电话１３９１２３４５６７３") == "电话139****5673"


# the log as the release before schema versions created it (the old cockpit/audit.py SCHEMA)
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, account TEXT NOT NULL, address TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS retention (days INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_keep BEFORE DELETE ON audit
WHEN old.at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (SELECT days FROM retention) || ' days')
BEGIN SELECT RAISE(ABORT, 'audit records are kept for the retention period'); END;
CREATE TRIGGER IF NOT EXISTS retention_no_shorter BEFORE UPDATE ON retention
WHEN new.days < old.days BEGIN SELECT RAISE(ABORT, 'retention can only grow here'); END;
"""


@pytest.mark.parametrize("retention_row", [True, False])
def test_a_log_from_before_schema_versions_is_upgraded_and_keeps_its_records(tmp_path, retention_row):
    path = tmp_path / "old-audit.sqlite"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA)
    if retention_row:
        con.execute("INSERT INTO retention VALUES (365)")
    rows = [("2026-12-01T08:00:00", "admin", "10.0.0.1", "login", "", ""),
            ("2026-12-01T08:01:00", "admin", "10.0.0.1", "page_view", "/people", ""),
            ("2026-12-01T08:02:00", "community", "10.0.0.2", "unmask", "/people",
             "persons/P2202040010010040023 · 王* · 网格 220204001001004 · 理由：核实 13912345678 的住址")]
    con.executemany("INSERT INTO audit (at, account, address, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    log = AuditLog(path, retention_days=180)
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == len(STEPS)
    kept = log.recent().sort_values("id")
    assert list(kept["account"]) == ["admin", "admin", "community"] and list(kept["at"]) == [r[0] for r in rows]
    # the reason typed before this release is scrubbed; the codes the server wrote are not
    assert kept["detail"].iloc[2] == "persons/P2202040010010040023 · 王* · 网格 220204001001004 · 理由：核实 139****5678 的住址"
    assert log.retention_days == (365 if retention_row else 180)
    log.record("admin", "10.0.0.1", "logout")
    verdict = log.verify()
    assert verdict.ok and verdict.records == 4, verdict
    with pytest.raises(sqlite3.IntegrityError):
        with sqlite3.connect(path) as con:
            con.execute("INSERT OR REPLACE INTO retention VALUES (1, 1)")
