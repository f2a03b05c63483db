"""The account store and the audit log on their own SQLite files."""
import sqlite3

import pytest

from cockpit.accounts import Account
from cockpit.accounts.passwords import hash_password, verify_password
from cockpit.accounts.store import LOCK_MINUTES, MAX_FAILURES_PER_ADDRESS, AccountStore
from cockpit.audit import AuditLog

PW = "a-long-password"


def test_passwords_are_salted_scrypt_hashes():
    a, b = hash_password(PW), hash_password(PW)
    assert a != b and a.startswith("scrypt$") and PW not in a
    assert verify_password(PW, a) and not verify_password("wrong", a) and not verify_password(PW, None)


def test_lockout_ends_after_its_time(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite")
    store.add("u1", "专职网格员", "220204001001001", PW)
    t = 1_000_000.0
    for i in range(5):
        assert store.sign_in("u1", "wrong", "10.0.0.1", now=t + i).account is None
    assert "锁定" in store.sign_in("u1", PW, "10.0.0.1", now=t + 10).refused
    later = store.sign_in("u1", PW, "10.0.0.1", now=t + LOCK_MINUTES * 60 + 10)
    assert later.account == Account("u1", "专职网格员", "220204001001001")


def test_one_address_guessing_many_accounts_is_throttled(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite")
    store.add("u1", "社区书记", "220204001001", PW)
    for i in range(MAX_FAILURES_PER_ADDRESS):
        store.sign_in(f"nobody{i}", "x", "10.0.0.9", now=2_000_000.0 + i)
    assert "次数过多" in store.sign_in("u1", PW, "10.0.0.9", now=2_000_100.0).refused
    assert store.sign_in("u1", PW, "10.0.0.10", now=2_000_100.0).account is not None


def test_disable_reset_and_import(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite")
    store.add("u1", "街道管理员", "220204001", PW)
    _, stamp = store.get("u1")
    store.set_status("u1", "停用")
    assert store.sign_in("u1", PW, "ip").refused == "账号已停用，请联系管理员"
    assert store.get("u1")[1] != stamp                        # open sessions end
    new = store.reset("u1")
    assert store.sign_in("u1", new, "ip").account is not None
    csv = tmp_path / "accounts.csv"
    csv.write_text("账号编号,账号层级,所属区域,角色,使用人,联系电话,账号状态,开通日期\n"
                   "ZH000001,区,220204,区级管理员,李丽海,13955244840,正常,2023-12-19\n"
                   "ZH000002,部门,城市管理执法局,部门处置员,田明,18825740293,正常,2023-11-14\n", encoding="utf-8")
    assert store.import_csv(csv) == (2, 0) and store.import_csv(csv) == (0, 2)
    assert store.sign_in("ZH000001", "", "ip2").account is None        # no password until reset
    account, _ = store.get("ZH000002")
    assert account.department == "城市管理执法局" and account.holder == "田*"
    with pytest.raises(ValueError):
        store.add("bad", "街道管理员", "not-a-code", PW)


def test_the_audit_log_is_append_only(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite", retention_days=30)
    log.record("u1", "127.0.0.1", "export", "/explorer", "事件查询.csv · 10 条")
    con = sqlite3.connect(tmp_path / "audit.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("UPDATE audit SET account = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("UPDATE retention SET days = 1")
    con.execute("INSERT INTO audit (at, account, address, action) VALUES ('2001-01-01T00:00:00', 'old', '', 'login')")
    con.commit()
    con.close()
    assert log.purge() == 1 and list(log.recent()["account"]) == ["u1"]
