"""The account store, on its own SQLite file and in PostgreSQL (`state`, tests/conftest.py):
passwords, lockout, one answer to every refused sign-in, server-side sessions, a burst of
parallel failures counted exactly, and the upgrade of a store written before schema versions."""
import hashlib
import sqlite3
import threading

import pytest
from werkzeug.security import check_password_hash

from cockpit.accounts import Account
from cockpit.accounts.passwords import METHOD, hash_password, outdated, verify_password
from cockpit.accounts.sessions import TOUCH_SECONDS, Lifetime
from cockpit.accounts.store import (
    LOCK_MINUTES,
    MAX_FAILURES,
    MAX_FAILURES_PER_ADDRESS,
    REFUSED,
    SCHEMA,
    STEPS,
    AccountStore,
)
from cockpit.stores import sqlite as sqlite_store
from tests.cockpit.stores import set_version

PW = "a-long-password"
LIFE = Lifetime(idle_seconds=30 * 60, absolute_seconds=8 * 3600)


# written by passwords.py before it used werkzeug (hashlib.scrypt, N=2^14, r=8, p=1, base64)
BEFORE_WERKZEUG = {
    PW: "scrypt$16384$8$1$kxzKE0b4UrfipdARe2aTLQ==$i5mIRJy7dGphr3dWwzDlDOp9l2KfZ0ixExsNhDovWco=",
    "网格员密码 2026!": "scrypt$16384$8$1$Fl9LbE0/FHYBQ+oB4B0JPw==$mIe3cqH0P+MADtu33j2HzgTxvV3hCgf/4m0TdiP43ag=",
}


def test_passwords_are_salted_scrypt_hashes_in_werkzeugs_format():
    a, b = hash_password(PW), hash_password(PW)
    assert a != b and a.startswith(f"{METHOD}$") and METHOD.startswith("scrypt:") and PW not in a
    assert check_password_hash(a, PW) and not outdated(a)
    assert verify_password(PW, a) and not verify_password("wrong", a) and not verify_password(PW, None)
    assert not verify_password(PW, "") and not verify_password(PW, "md5$x$y") and not verify_password(PW, "scrypt$1")


def test_only_a_weaker_or_other_hash_is_rewritten_never_a_stronger_one():
    """A newer release's stronger hash, seen by an older server sharing the store, stays."""
    from werkzeug.security import generate_password_hash
    stronger = generate_password_hash(PW, f"scrypt:{2 ** 15}:8:1")
    weaker = generate_password_hash(PW, f"scrypt:{2 ** 12}:8:1")
    other = generate_password_hash(PW, "pbkdf2:sha256:1000")
    assert not outdated(stronger) and outdated(weaker) and outdated(other)
    assert not outdated(None) and not outdated("") and outdated("scrypt:x:8:1$s$h")


def test_hashes_written_before_werkzeug_still_verify():
    for password, stored in BEFORE_WERKZEUG.items():
        assert verify_password(password, stored) and outdated(stored)
        assert not verify_password(password + " ", stored) and not verify_password(password[:-1], stored)
        assert not verify_password(password, stored.replace("$8$", "$4$"))     # the stored cost counts
    assert not verify_password(PW, BEFORE_WERKZEUG["网格员密码 2026!"])


def test_an_old_hash_signs_in_and_is_rewritten_in_werkzeugs_format(state):
    store = AccountStore(state("accounts"))
    store.add("u1", "社区书记", "220204001001", "something-else")
    _set_hash(store, "u1", BEFORE_WERKZEUG[PW])
    session = store.sessions.start("u1", LIFE)
    assert store.sign_in("u1", "wrong", "10.0.4.1").account is None
    assert _hash_of(store, "u1") == BEFORE_WERKZEUG[PW]                  # a wrong password rewrites nothing
    assert store.sign_in("u1", PW, "10.0.4.1").account == Account("u1", "社区书记", "220204001001")
    renewed = _hash_of(store, "u1")
    assert renewed.startswith(f"{METHOD}$") and check_password_hash(renewed, PW)
    assert store.sessions.account_of(session, LIFE) == "u1"              # the password did not change
    assert store.sign_in("u1", PW, "10.0.4.1").account is not None and _hash_of(store, "u1") == renewed


def _set_hash(store, account_id, stored):
    with store.db.transaction() as con:
        con.execute("UPDATE accounts SET password_hash = ? WHERE account_id = ?", (stored, account_id))


def _hash_of(store, account_id):
    with store.db.connection() as con:
        return con.execute("SELECT password_hash FROM accounts WHERE account_id = ?", (account_id,)).fetchone()[0]


def test_lockout_ends_after_its_time(state):
    store = AccountStore(state("accounts"))
    store.add("u1", "专职网格员", "220204001001001", PW)
    t = 1_000_000.0
    for i in range(MAX_FAILURES):
        assert store.sign_in("u1", "wrong", "10.0.0.1", now=t + i).account is None
    assert store.sign_in("u1", PW, "10.0.0.1", now=t + 10).account is None        # locked
    later = store.sign_in("u1", PW, "10.0.0.1", now=t + LOCK_MINUTES * 60 + 10)
    assert later.account == Account("u1", "专职网格员", "220204001001001")


def test_one_address_guessing_many_accounts_is_throttled(state):
    store = AccountStore(state("accounts"))
    store.add("u1", "社区书记", "220204001001", PW)
    for i in range(MAX_FAILURES_PER_ADDRESS):
        store.sign_in(f"nobody{i}", "x", "10.0.0.9", now=2_000_000.0 + i)
    assert "次数过多" in store.sign_in("u1", PW, "10.0.0.9", now=2_000_100.0).refused
    assert store.sign_in("u1", PW, "10.0.0.10", now=2_000_100.0).account is not None


def test_every_refused_sign_in_gets_one_answer_after_the_same_work(state, monkeypatch):
    """Unknown name, wrong password (against either hash format), locked (right or wrong
    password), disabled, no password yet: the same words, and exactly one scrypt hash each, so
    neither the answer nor its time tells whether the name exists. (The work is counted, not timed: a timing test would be flaky.)"""
    store = AccountStore(state("accounts"))
    for account_id in ("known", "locked", "disabled"):
        store.add(account_id, "社区书记", "220204001001", PW)
    store.set_status("disabled", "停用")
    for i in range(MAX_FAILURES):
        store.sign_in("locked", "wrong", f"10.0.1.{i}")
    store.add("imported", "社区书记", "220204001001", None)
    store.add("old hash", "社区书记", "220204001001", PW)
    _set_hash(store, "old hash", BEFORE_WERKZEUG[PW])
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    cases = {"unknown name": ("nobody", PW), "wrong password": ("known", "wrong"),
             "locked, right password": ("locked", PW), "locked, wrong password": ("locked", "wrong"),
             "disabled, right password": ("disabled", PW), "no password yet": ("imported", PW),
             "hash of the old format, wrong password": ("old hash", "wrong")}
    for i, (case, (account_id, password)) in enumerate(cases.items()):
        calls.clear()
        result = store.sign_in(account_id, password, f"10.0.2.{i}")
        assert (result.account, result.refused, len(calls)) == (None, REFUSED, 1), case
    calls.clear()
    assert store.sign_in("known", PW, "10.0.3.1").account is not None and len(calls) == 1


def test_disable_reset_and_import(state, tmp_path):
    store = AccountStore(state("accounts"))
    store.add("u1", "街道管理员", "220204001", PW)
    store.set_status("u1", "停用")
    assert store.sign_in("u1", PW, "ip").account is None and store.get("u1").status == "停用"
    new = store.reset("u1")
    assert store.sign_in("u1", new, "ip").account is not None
    csv = tmp_path / "accounts.csv"
    csv.write_text("账号编号,账号层级,所属区域,角色,使用人,联系电话,账号状态,开通日期\n"
                   "ZH000001,区,220204,区级管理员,李丽海,13955244840,正常,2023-12-19\n"
                   "ZH000002,部门,城市管理执法局,部门处置员,田明,18825740293,正常,2023-11-14\n", encoding="utf-8")
    assert store.import_csv(csv) == (2, 0) and store.import_csv(csv) == (0, 2)
    assert store.sign_in("ZH000001", "", "ip2").account is None        # no password until reset
    account = store.get("ZH000002")
    assert account.department == "城市管理执法局" and account.holder == "田*"
    with pytest.raises(ValueError):
        store.add("bad", "街道管理员", "not-a-code", PW)


@pytest.mark.parametrize("change", ["disable", "reset", "password", "lock-status"])
def test_an_account_change_ends_all_its_sessions(state, change):
    store = AccountStore(state("accounts"))
    store.add("u1", "街道管理员", "220204001", PW)
    store.add("u2", "街道管理员", "220204002", PW)
    tokens = [store.sessions.start("u1", LIFE) for _ in range(3)]
    other = store.sessions.start("u2", LIFE)
    assert all(store.sessions.account_of(t, LIFE) == "u1" for t in tokens)
    {"disable": lambda: store.set_status("u1", "停用"), "reset": lambda: store.reset("u1"),
     "password": lambda: store.set_password("u1", "another-password"),
     "lock-status": lambda: store.set_status("u1", "锁定")}[change]()
    assert [store.sessions.account_of(t, LIFE) for t in tokens] == [None, None, None]
    assert store.sessions.account_of(other, LIFE) == "u2"


def test_a_session_ends_when_idle_and_at_its_absolute_lifetime(state):
    store = AccountStore(state("accounts"))
    store.add("u1", "街道管理员", "220204001", PW)
    t0 = 3_000_000.0
    idle = store.sessions.start("u1", LIFE, now=t0)
    assert store.sessions.account_of(idle, LIFE, now=t0 + LIFE.idle_seconds - TOUCH_SECONDS - 1) == "u1"
    assert store.sessions.account_of(idle, LIFE, now=t0 + 2 * LIFE.idle_seconds) is None
    assert store.sessions.account_of(idle, LIFE, now=t0 + 1) is None        # gone for good
    polled = store.sessions.start("u1", LIFE, now=t0)
    t = t0
    while t < t0 + LIFE.absolute_seconds - 60:      # a page asking every minute, all day
        assert store.sessions.account_of(polled, LIFE, now=t) == "u1", t - t0
        t += 60
    assert store.sessions.account_of(polled, LIFE, now=t0 + LIFE.absolute_seconds) is None


def test_the_store_keeps_no_session_token(state):
    store = AccountStore(state("accounts"))
    store.add("u1", "街道管理员", "220204001", PW)
    token = store.sessions.start("u1", LIFE)
    with store.db.connection() as con:
        kept = repr([con.execute(f"SELECT * FROM {t}").fetchall() for t in ("accounts", "sessions")])
    assert store.sessions.account_of(token, LIFE) == "u1" and token not in kept
    if state.dialect == "sqlite":                   # nor anywhere in the file (a freed page, the log)
        assert token.encode() not in store.db.path.read_bytes() + _wal(store.db.path)
    assert store.sessions.account_of(token + "x", LIFE) is None and store.sessions.account_of(None, LIFE) is None


def test_a_burst_of_wrong_passwords_is_counted_exactly(state):
    """Parallel sign-ins (threads, each its own connection; in PostgreSQL as from several web
    servers) each count: the fifth failure locks the account, the twentieth throttles the address."""
    store = AccountStore(state("accounts"))
    store.add("target", "街道管理员", "220204001", PW)
    start, t = threading.Barrier(12), 5_000_000.0

    def guess(i):
        start.wait()
        store.sign_in("target" if i < 4 else f"nobody{i}", "wrong", "10.9.9.9", now=t + i / 100)
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [r[6] for r in store.list() if r[0] == "target"] == [4]            # four failures, not fewer
    assert store.sign_in("target", "wrong", "10.9.9.8", now=t + 1).account is None
    assert store.sign_in("target", PW, "10.9.9.7", now=t + 2).account is None  # the fifth locked it
    for i in range(MAX_FAILURES_PER_ADDRESS - 12):
        store.sign_in(f"other{i}", "wrong", "10.9.9.9", now=t + 3)
    assert "次数过多" in store.sign_in("target", PW, "10.9.9.9", now=t + 4).refused


def _wal(path):
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


# the store as the release before schema versions created it (cockpit/accounts/store.py SCHEMA)
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY, role TEXT NOT NULL, area TEXT NOT NULL, holder TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '正常', password_hash TEXT, password_stamp REAL NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS failures (address TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_address ON failures (address, at);
"""


def test_a_store_from_before_schema_versions_is_upgraded_and_keeps_its_accounts(tmp_path):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA)
    con.execute("INSERT INTO accounts (account_id, role, area, holder, status, password_hash, password_stamp) "
                "VALUES ('old1', '社区书记', '220204001001', '张*', '正常', ?, 12345.0)", (hash_password(PW),))
    con.execute("INSERT INTO accounts (account_id, role, area, status) VALUES ('old2', '部门处置员', '司法局', '停用')")
    con.execute("INSERT INTO failures VALUES ('10.0.0.1', 99.0)")
    con.commit()
    con.close()
    store = AccountStore(path)
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == len(STEPS)
    assert store.get("old1") == Account("old1", "社区书记", "220204001001", "张*", "正常")
    assert store.get("old2").status == "停用"
    assert store.sign_in("old1", PW, "ip").account is not None           # its password still works
    assert store.sessions.account_of(store.sessions.start("old1", LIFE), LIFE) == "old1"
    AccountStore(path)                                                  # a second start: nothing to do
    assert len(store.list()) == 2


def test_a_store_from_a_newer_release_is_refused(state):
    store = AccountStore(state("accounts"))
    set_version(store.db, "accounts", len(SCHEMA.steps(state.dialect)) + 1)
    with pytest.raises(RuntimeError, match="newer"):
        AccountStore(state("accounts"))


def test_statements_keep_a_trigger_whole():
    script = "CREATE TABLE t (x); CREATE TRIGGER k BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END; -- end\n"
    assert [s.split()[1] for s in sqlite_store.statements(script)] == ["TABLE", "TRIGGER", "end"]
