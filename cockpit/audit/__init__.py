"""The audit log: append-only and tamper-evident, outside the swapped warehouse: its own SQLite
file, or tables in the PostgreSQL database every web server shares (COCKPIT_DATABASE_URL).

Each record carries the hash of the one before it (SHA-256 over the previous hash and the
record's fields), so a record changed, inserted or removed in the middle breaks the chain from
there on; `python -m cockpit.audit verify` walks it. Appending is serialised (the store's write
lock in SQLite; an advisory lock taken by the writer *and* by the chaining trigger in PostgreSQL,
so two servers appending at once cannot fork the chain). Triggers refuse every UPDATE, an INSERT
that would replace a record or is not chained to the last record, and every DELETE of a record
younger than the retention period (PostgreSQL: TRUNCATE too); the retention row cannot be
deleted, replaced or shortened, and with no retention row at all nothing may be deleted.
`purge()` removes only what retention has released, oldest first, and keeps the hash of the last
record it removed as the chain's anchor.

What this does not protect against: whoever owns the file or the tables (the web process, for
SQLite) can drop the triggers and rewrite the whole chain consistently. In PostgreSQL the web
servers can connect as a role that owns nothing and may only SELECT, INSERT and DELETE (which the
triggers still restrict): docs/operations.md, "PostgreSQL roles". Beyond that, only a copy of the
chain head kept elsewhere (`python -m cockpit.audit head`, e.g. from cron to another machine)
shows a consistent rewrite; docs/security.md, "What it does not protect against"."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cockpit import stores
from warehouse.personal import scrub

ACTIONS = {"login": "登录成功", "login_failed": "登录失败", "logout": "退出", "page_view": "访问页面",
           "export": "导出", "unmask": "查看完整信息", "list_people": "查看人员名单",
           "denied": "拒绝访问", "bad_request": "无效请求", "throttled": "超出次数上限",
           "api": "开放接口调用", "warning_label": "预警研判标记",
           "briefing_download": "下载简报"}
GENESIS = "0" * 64
TARGET_CHARS, DETAIL_CHARS, NOTE_CHARS = 200, 500, 200
FIELDS = ("at", "account", "address", "action", "target", "detail")
LOCK = "cockpit audit append"       # held by every writer of the chain until its transaction ends

_OLD_SCHEMA = """
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

# the cut-off before which records may go; with no (or no valid) retention row it is NULL, and
# coalesce makes it '0000': nothing may be deleted
_CUTOFF = ("coalesce(strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (SELECT days FROM retention WHERE one = 1)"
           " || ' days'), '0000')")
_LAST_HASH = (f"coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), "
              f"(SELECT hash FROM chain_anchor WHERE one = 1), '{GENESIS}')")
TRIGGERS = {
    "audit_no_update": "BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "audit_no_replace": "BEFORE INSERT ON audit WHEN EXISTS (SELECT 1 FROM audit WHERE id = new.id) "
                        "BEGIN SELECT RAISE(ABORT, 'audit records cannot be replaced'); END",
    "audit_chained": f"BEFORE INSERT ON audit WHEN new.prev_hash IS NOT {_LAST_HASH} "
                     "BEGIN SELECT RAISE(ABORT, 'an audit record must chain to the last one'); END",
    "audit_keep": f"BEFORE DELETE ON audit WHEN old.at >= {_CUTOFF} "
                  "OR old.id > coalesce((SELECT last_id FROM chain_anchor WHERE one = 1), 0) "
                  "BEGIN SELECT RAISE(ABORT, 'audit records are kept for the retention period, "
                  "and go oldest first behind the anchor'); END",
    "retention_no_delete": "BEFORE DELETE ON retention "
                           "BEGIN SELECT RAISE(ABORT, 'the retention period cannot be removed'); END",
    "retention_once": "BEFORE INSERT ON retention WHEN EXISTS (SELECT 1 FROM retention) "
                      "BEGIN SELECT RAISE(ABORT, 'the retention period cannot be replaced'); END",
    "retention_no_shorter": "BEFORE UPDATE ON retention WHEN new.days < old.days OR new.one IS NOT old.one "
                            "BEGIN SELECT RAISE(ABORT, 'retention can only grow here'); END",
    "anchor_no_delete": "BEFORE DELETE ON chain_anchor "
                        "BEGIN SELECT RAISE(ABORT, 'the chain anchor cannot be removed'); END",
    "anchor_once": "BEFORE INSERT ON chain_anchor WHEN EXISTS (SELECT 1 FROM chain_anchor) "
                   f"OR new.hash IS NOT (SELECT hash FROM audit WHERE id = new.last_id AND at < {_CUTOFF}) "
                   "BEGIN SELECT RAISE(ABORT, 'the anchor names a released record'); END",
    "anchor_forward": "BEFORE UPDATE ON chain_anchor WHEN new.last_id <= old.last_id OR new.one IS NOT old.one "
                      f"OR new.hash IS NOT (SELECT hash FROM audit WHERE id = new.last_id AND at < {_CUTOFF}) "
                      "BEGIN SELECT RAISE(ABORT, 'the anchor only moves forward, to a released record'); END",
}


def _chain(con: stores.Connection) -> None:
    """Schema 2: hashes on every record (existing ones chained in id order), a retention row
    that cannot be removed or replaced, the chain's anchor, the new triggers."""
    for name in ("audit_no_update", "audit_keep", "retention_no_shorter"):
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    con.execute("ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''")
    con.execute("ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT ''")
    days = con.execute("SELECT max(days) FROM retention").fetchone()[0]
    con.execute("DROP TABLE retention")
    con.execute("CREATE TABLE retention (one INTEGER PRIMARY KEY CHECK (one = 1), "
                "days INTEGER NOT NULL CHECK (typeof(days) = 'integer' AND days >= 1))")
    if isinstance(days, int) and days >= 1:
        con.execute("INSERT INTO retention VALUES (1, ?)", (days,))
    con.execute("CREATE TABLE chain_anchor (one INTEGER PRIMARY KEY CHECK (one = 1), "
                "last_id INTEGER NOT NULL, hash TEXT NOT NULL)")
    con.execute("CREATE INDEX audit_by_account ON audit (account, action, at)")
    prev = GENESIS
    rows = con.execute(f"SELECT id, {', '.join(FIELDS)} FROM audit ORDER BY id").fetchall()
    for rid, *values in rows:
        record = dict(zip(FIELDS, values))
        # before this release a reason typed with an unmask (and a forged callback's name) was
        # stored as typed: scrub what a person typed, not the codes the server wrote
        if record["action"] == "unmask" and "理由：" in record["detail"]:
            head, reason = record["detail"].split("理由：", 1)
            record["detail"] = head + "理由：" + scrub(reason)
        record["target"] = scrub(record["target"])
        digest = chain_hash(prev, record)
        con.execute("UPDATE audit SET target = ?, detail = ?, prev_hash = ?, hash = ? WHERE id = ?",
                    (record["target"], record["detail"], prev, digest, rid))
        prev = digest
    for name, body in TRIGGERS.items():
        con.execute(f"CREATE TRIGGER {name} {body}")


STEPS = [_OLD_SCHEMA, _chain]

# PostgreSQL: the same rules as trigger functions (a function per trigger, so `verify` can check
# each one's source), raising integrity_constraint_violation as SQLite's RAISE(ABORT) does; the
# cut-off is computed as the SQLite triggers compute it, on the server's clock, in UTC
_PG_CUTOFF = ("coalesce(to_char(timezone('UTC', now()) - make_interval(days => "
              "(SELECT days FROM retention WHERE one = 1)), 'YYYY-MM-DD\"T\"HH24:MI:SS'), '0000')")


def _refuse(message: str) -> str:
    return f"RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = '{message}';"


# name: (table, when, row or statement, body)
PG_TRIGGERS = {
    "audit_no_update": ("audit", "BEFORE UPDATE", "ROW", _refuse("audit log is append-only")),
    "audit_no_truncate": ("audit", "BEFORE TRUNCATE", "STATEMENT", _refuse("audit log is append-only")),
    # the writers' lock again, so a writer that did not take it still cannot fork the chain; then
    # (each statement of a trigger function sees what committed before it) the last record
    "audit_chained": ("audit", "BEFORE INSERT", "ROW",
                      f"PERFORM pg_advisory_xact_lock(hashtextextended('{LOCK}', 0)); "
                      "IF EXISTS (SELECT 1 FROM audit WHERE id >= NEW.id) THEN "
                      + _refuse("audit records cannot be replaced") + " END IF; "
                      f"IF NEW.prev_hash IS DISTINCT FROM {_LAST_HASH} THEN "
                      + _refuse("an audit record must chain to the last one") + " END IF; RETURN NEW;"),
    "audit_keep": ("audit", "BEFORE DELETE", "ROW",
                   f"IF OLD.at >= {_PG_CUTOFF} OR OLD.id > coalesce((SELECT last_id FROM chain_anchor "
                   "WHERE one = 1), 0) THEN " + _refuse("audit records are kept for the retention period, "
                                                       "and go oldest first behind the anchor")
                   + " END IF; RETURN OLD;"),
    "retention_no_delete": ("retention", "BEFORE DELETE", "ROW", _refuse("the retention period cannot be removed")),
    "retention_no_truncate": ("retention", "BEFORE TRUNCATE", "STATEMENT",
                              _refuse("the retention period cannot be removed")),
    "retention_once": ("retention", "BEFORE INSERT", "ROW",
                       "IF EXISTS (SELECT 1 FROM retention) THEN "
                       + _refuse("the retention period cannot be replaced") + " END IF; RETURN NEW;"),
    "retention_no_shorter": ("retention", "BEFORE UPDATE", "ROW",
                             "IF NEW.days < OLD.days OR NEW.one IS DISTINCT FROM OLD.one THEN "
                             + _refuse("retention can only grow here") + " END IF; RETURN NEW;"),
    "anchor_no_delete": ("chain_anchor", "BEFORE DELETE", "ROW", _refuse("the chain anchor cannot be removed")),
    "anchor_no_truncate": ("chain_anchor", "BEFORE TRUNCATE", "STATEMENT",
                           _refuse("the chain anchor cannot be removed")),
    "anchor_once": ("chain_anchor", "BEFORE INSERT", "ROW",
                    "IF EXISTS (SELECT 1 FROM chain_anchor) OR NEW.hash IS DISTINCT FROM (SELECT hash FROM audit "
                    f"WHERE id = NEW.last_id AND at < {_PG_CUTOFF}) THEN "
                    + _refuse("the anchor names a released record") + " END IF; RETURN NEW;"),
    "anchor_forward": ("chain_anchor", "BEFORE UPDATE", "ROW",
                       "IF NEW.last_id <= OLD.last_id OR NEW.one IS DISTINCT FROM OLD.one OR NEW.hash IS DISTINCT "
                       f"FROM (SELECT hash FROM audit WHERE id = NEW.last_id AND at < {_PG_CUTOFF}) THEN "
                       + _refuse("the anchor only moves forward, to a released record") + " END IF; RETURN NEW;"),
}


def pg_function_source(body: str) -> str:
    return f" BEGIN {body} END "


PG_SCHEMA = """
CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at TEXT COLLATE "C" NOT NULL, account TEXT NOT NULL,
    address TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX audit_by_account ON audit (account, action, at);
CREATE TABLE retention (one INTEGER PRIMARY KEY CHECK (one = 1), days INTEGER NOT NULL CHECK (days >= 1));
CREATE TABLE chain_anchor (one INTEGER PRIMARY KEY CHECK (one = 1), last_id BIGINT NOT NULL, hash TEXT NOT NULL);
""" + "".join(
    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT "
    f"AS $${pg_function_source(body)}$$;\n"
    f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {level} EXECUTE FUNCTION {name}();\n"
    for name, (table, when, level, body) in PG_TRIGGERS.items())

# the web role appends and reads; it deletes and moves the anchor only as the triggers allow (what
# retention released); it cannot update a record, truncate, or touch the triggers (not the owner)
SCHEMA = stores.Schema("audit", STEPS, [PG_SCHEMA], rights={
    "audit": "SELECT, INSERT, DELETE", "retention": "SELECT, INSERT, UPDATE",
    "chain_anchor": "SELECT, INSERT, UPDATE"})


def chain_hash(prev_hash: str, record: dict) -> str:
    payload = json.dumps([prev_hash, *(record[f] for f in FIELDS)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def clean_text(text, limit: int = NOTE_CHARS) -> str:
    """Text a person typed, as it may be stored: invisible characters (format characters such as
    zero-width spaces, controls) removed, runs of whitespace as one space, ID and mobile numbers
    masked (warehouse/personal.py), at most `limit` characters."""
    if not isinstance(text, str):
        return ""
    kept = "".join(" " if c.isspace() else c for c in text
                   if unicodedata.category(c) not in ("Cf", "Cc", "Cs", "Co", "Cn") or c.isspace())
    return scrub(" ".join(kept.split()))[:limit]


def _joined(detail: str, note: str) -> str:
    """The server's words, then the person's: `理由：` + note, or detail · note."""
    if not note or not detail:
        return detail + note
    return detail + note if detail.endswith("：") else f"{detail} · {note}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    records: int
    head: str                   # the hash of the last record (export it to check against later)
    head_id: int | None
    problem: str = ""           # where the chain breaks, in words


class AuditLog:
    def __init__(self, where: Path | str | stores.Database, retention_days: int = 180):
        """`where`: a SQLite file, or a postgresql:// URL (cockpit.stores.open)."""
        self.db = stores.open(where)
        self.configured_days = int(retention_days)
        self.db.migrate(SCHEMA)
        with self.db.connection() as con:
            stored = con.execute("SELECT days FROM retention").fetchone()
            if stored is not None and stored[0] >= self.configured_days:
                return                          # as it should be: nothing to write (a reader's role)
            with con.transaction():
                con.lock(LOCK)
                stored = con.execute("SELECT days FROM retention").fetchone()
                if stored is None:
                    con.execute("INSERT INTO retention VALUES (1, ?)", (self.configured_days,))
                elif self.configured_days > stored[0]:
                    con.execute("UPDATE retention SET days = ?", (self.configured_days,))

    @property
    def retention_days(self) -> int:
        with self.db.connection() as con:
            return con.execute("SELECT days FROM retention").fetchone()[0]

    # -- writing ----------------------------------------------------------------------
    def record(self, account: str, address: str, action: str, target: str = "", detail: str = "",
               note: str = "") -> None:
        """Append a record. `detail` is written by the server; `note` is text a person typed (a
        reason, a search) and `target` may be what a browser named: both are cleaned first."""
        with self.db.transaction() as con:
            self._append(con, account, address, action, target, detail, note)

    def record_capped(self, account: str, address: str, action: str, cap: int, since: dt.datetime,
                      target: str = "", detail: str = "", note: str = "") -> bool:
        """Append the record only if `account` has fewer than `cap` `action` records since
        `since`; counted and written in one transaction, so a burst of parallel requests cannot
        all pass the count before any is written. Returns whether it was recorded."""
        at = since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        with self.db.transaction() as con:
            con.lock(LOCK)
            done = con.execute("SELECT count(*) FROM audit WHERE account = ? AND action = ? AND at >= ?",
                               (account, action, at)).fetchone()[0]
            if done >= cap:
                return False
            self._append(con, account, address, action, target, detail, note)
            return True

    @staticmethod
    def _append(con, account, address, action, target, detail, note) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        note = clean_text(note)
        record = {"at": _now(), "account": str(account)[:64], "address": str(address)[:64], "action": action,
                  "target": clean_text(target, TARGET_CHARS),
                  "detail": _joined(str(detail), note)[:DETAIL_CHARS]}
        con.lock(LOCK)
        prev = con.execute(f"SELECT {_LAST_HASH}").fetchone()[0]
        con.execute(f"INSERT INTO audit ({', '.join(FIELDS)}, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*(record[f] for f in FIELDS), prev, chain_hash(prev, record)))

    def purge(self) -> int:
        """Delete what the retention period has released (the longer of the stored and the
        configured period), oldest first; returns how many records went."""
        days = max(self.retention_days, self.configured_days)
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")
        with self.db.transaction() as con:
            con.lock(LOCK)
            young = con.execute("SELECT min(id) FROM audit WHERE at >= ?", (cutoff,)).fetchone()[0]
            last = (con.execute("SELECT id, hash FROM audit WHERE id < ? ORDER BY id DESC LIMIT 1", (young,))
                    if young is not None else
                    con.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")).fetchone()
            if last is None:
                return 0
            if con.execute("UPDATE chain_anchor SET last_id = ?, hash = ?", last).rowcount == 0:
                con.execute("INSERT INTO chain_anchor VALUES (1, ?, ?)", last)
            return con.execute("DELETE FROM audit WHERE id <= ?", (last[0],)).rowcount

    # -- reading ----------------------------------------------------------------------
    def count_since(self, account: str, action: str, since: dt.datetime) -> int:
        """How many `action` records `account` has left since `since` (an aware datetime)."""
        at = since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        with self.db.connection() as con:
            return con.execute("SELECT count(*) FROM audit WHERE account = ? AND action = ? AND at >= ?",
                               (account, action, at)).fetchone()[0]

    def recent(self, limit: int = 500, action: str | None = None, account: str | None = None) -> pd.DataFrame:
        where, params = [], []
        if action in ACTIONS:
            where.append("action = ?")
            params.append(action)
        if account:
            where.append("account = ?")
            params.append(account)
        sql = ("SELECT id, at, account, address, action, target, detail FROM audit"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?")
        with self.db.connection() as con:
            cur = con.execute(sql, [*params, int(limit)])
            return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])

    def verify(self, head: str | None = None) -> Verdict:
        """Walk the chain from the anchor: every record must name the hash of the one before it
        and hash to what it carries; the triggers must be the ones this release writes; and a
        chain head exported earlier (`head`) must still be in the chain."""
        with self.db.connection() as con:
            missing = self._unprotected(con)
            anchor = con.execute("SELECT last_id, hash FROM chain_anchor").fetchone()
            rows = con.execute(f"SELECT id, {', '.join(FIELDS)}, prev_hash, hash FROM audit ORDER BY id")
            prev, prev_id, count, seen_head = (anchor[1] if anchor else GENESIS), None, 0, head is None
            for rid, *values, prev_hash, digest in rows:
                record = dict(zip(FIELDS, values))
                if prev_hash != prev:
                    where = f"第 {prev_id} 条之后" if prev_id is not None else "链首（锚点之后）"
                    return Verdict(False, count, prev, prev_id,
                                   f"记录 {rid}：与前一条不相连（{where}的记录被删除、插入或改动）")
                if chain_hash(prev_hash, record) != digest:
                    return Verdict(False, count, prev, prev_id, f"记录 {rid}：内容与其哈希不符（记录被改动）")
                seen_head = seen_head or digest == head
                prev, prev_id, count = digest, rid, count + 1
        if missing:
            return Verdict(False, count, prev, prev_id, f"保护触发器缺失或被改动：{'、'.join(missing)}")
        if not seen_head:
            return Verdict(False, count, prev, prev_id, f"先前导出的链头 {head} 已不在链中（其后的记录被删除或改写）")
        return Verdict(True, count, prev, prev_id)

    @staticmethod
    def _unprotected(con: stores.Connection) -> list[str]:
        """The guarding triggers that are missing, changed or (PostgreSQL) disabled."""
        if con.dialect == "sqlite":
            found = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
            return [n for n, body in TRIGGERS.items() if found.get(n) != f"CREATE TRIGGER {n} {body}"]
        found = {name: (table, enabled, function, source) for name, table, enabled, function, source in con.execute(
            "SELECT t.tgname, c.relname, t.tgenabled, p.proname, p.prosrc FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND c.relname IN ('audit', 'retention', 'chain_anchor') "
            "AND pg_table_is_visible(c.oid)").fetchall()}
        return [n for n, (table, _, _, body) in PG_TRIGGERS.items()
                if found.get(n) != (table, "O", n, pg_function_source(body))]
