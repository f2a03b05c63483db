"""`python -m etl backup` and `restore`: a backup restored into an empty folder serves the same
numbers to the same accounts; checksums are checked before anything is written; nothing that
exists is overwritten without --force; SQLite stores are copied consistently while written; a
store registered in warehouse/state.py is backed up with no other change; the state in
PostgreSQL is dumped and restored with its audit chain and its protections."""
import http.cookiejar
import json
import os
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import duckdb
import pytest

from cockpit.accounts.store import AccountStore
from cockpit.audit import AuditLog
from cockpit.labels import LabelStore
from etl import backup as bk, storage
from tests.cockpit_process import TEST_PASSWORD, cockpit_process, http_session, post_callback
from warehouse import generations, state
from warehouse.paths import ROOT


def _env(home: Path, warehouse: Path, key_file: Path, settings: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    return {**env, "COCKPIT_WAREHOUSE": str(warehouse), "COCKPIT_PSEUDONYM_KEY_FILE": str(key_file),
            "COCKPIT_ACCOUNTS": str(home / "accounts.sqlite"), "COCKPIT_AUDIT": str(home / "audit.sqlite"),
            "COCKPIT_SECRET_KEY_FILE": str(home / "session.key"), "COCKPIT_LABELS": str(home / "warning_labels.sqlite"),
            **({"COCKPIT_WARNING_SETTINGS": str(settings)} if settings else {})}


def _etl(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture
def origin(tiny_warehouse, key_file, tmp_path):
    """A running centre's state: the shared tiny warehouse and keys, accounts, an audit log."""
    home = tmp_path / "origin"
    home.mkdir()
    store = AccountStore(home / "accounts.sqlite")
    store.add("T-ADMIN", "区级管理员", "2202", TEST_PASSWORD)
    store.add("ZH000001", "街道管理员", "220204001", "another-password")
    AuditLog(home / "audit.sqlite").record("T-ADMIN", "10.0.0.5", "login")
    LabelStore(home / "warning_labels.sqlite").add("T-ADMIN", "220204001", "YJ1", "确认", "核实")
    from warehouse.keys import load_or_create_key
    load_or_create_key(home / "session.key")
    settings = home / "warning.toml"
    settings.write_text((ROOT / "tests" / "warning_off.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return home, _env(home, tiny_warehouse, key_file, settings)


def _numbers(url: str) -> dict:
    """The big screen's counters (and its map) as the city administrator sees them."""
    from cockpit import ids
    status, out = post_callback(http_session(url), url, [
        (ids.KPI_RESIDENTS, "children"), (ids.KPI_HOUSEHOLDS, "children"), (ids.KPI_GRIDS, "children"),
        (ids.KPI_EVENTS_30D, "children"), (ids.KPI_CLOSURE_RATE, "children"), (ids.KPI_CLOSURE_DETAIL, "children"),
        (ids.KPI_ON_TIME_RATE, "children"), (ids.COMMUNITY_MAP, "figure"), (ids.MAP_TITLE, "children"),
        (ids.KPI_GRIDS_DETAIL, "children"), (ids.OVERVIEW_GENERATION, "children")],
        [(ids.GENERATION, "data", None)])
    assert status == 200 and out[ids.KPI_RESIDENTS]["children"]
    return out


def test_a_backup_restored_into_an_empty_folder_serves_the_same_numbers_to_the_same_accounts(
        origin, tiny_warehouse, key_file, tmp_path):
    home, env = origin
    # sessions live in the account store: one signed in before the backup holds after the restore
    served_env = {"COCKPIT_SECRET_KEY_FILE": str(home / "session.key")}
    with cockpit_process(tiny_warehouse, test_accounts=False, env={**served_env,
                         "COCKPIT_ACCOUNTS": str(home / "accounts.sqlite")}) as url:
        before = _numbers(url)
        jar = http.cookiejar.CookieJar()
        http_session(url, "ZH000001", "another-password", jar)
    made = _etl("backup", "--to", str(tmp_path / "backups"), env=env)
    assert made.returncode == 0, made.stderr
    folder = bk.backup_folder(tmp_path / "backups")
    manifest = json.loads((folder / bk.MANIFEST).read_text(encoding="utf-8"))
    present = {e["name"] for e in manifest["entries"] if not e.get("absent")}
    assert present == {"warehouse", "pseudonym_key", "vault_key", "session_key", "accounts", "audit", "runs",
                       "warning_settings", "warning_labels", "work_calendar"}
    assert all((folder / e["file"]).stat().st_mode & 0o077 == 0 for e in manifest["entries"] if e["kind"] == "key")
    assert generations.current(tiny_warehouse).id in json.dumps(manifest)

    new = tmp_path / "new"                                  # an empty folder on another server
    new.mkdir()
    env_new = _env(new, new / "warehouse", new / "secrets" / "pseudonym.key", new / "warning.toml")
    done = _etl("restore", "--from", str(tmp_path / "backups"), "--warehouse", str(new / "warehouse"), env=env_new)
    assert done.returncode == 0, done.stderr
    for name in ("pseudonym.key", "vault.key"):
        assert (new / "secrets" / name).read_bytes() == (key_file.parent / name).read_bytes()
    assert (new / "session.key").read_bytes() == (home / "session.key").read_bytes()
    assert (new / "warning.toml").read_bytes() == (home / "warning.toml").read_bytes()
    assert AccountStore(new / "accounts.sqlite").list() == AccountStore(home / "accounts.sqlite").list()
    assert AuditLog(new / "audit.sqlite").recent().equals(AuditLog(home / "audit.sqlite").recent())
    assert LabelStore(new / "warning_labels.sqlite").history("2202", "YJ1").equals(
        LabelStore(home / "warning_labels.sqlite").history("2202", "YJ1"))
    with sqlite3.connect(tiny_warehouse / "runs.sqlite") as a, sqlite3.connect(new / "warehouse" / "runs.sqlite") as b:
        assert a.execute("SELECT * FROM runs ORDER BY run_id").fetchall() \
            == b.execute("SELECT * FROM runs ORDER BY run_id").fetchall()
    assert generations.current(new / "warehouse").id == generations.current(tiny_warehouse).id
    assert json.loads((new / "warehouse" / generations.POINTER).read_text())["published_at"] \
        == json.loads((tiny_warehouse / generations.POINTER).read_text())["published_at"]
    # the large tables' partitions came along, and the restored views read those, not the origin's
    with duckdb.connect(str(generations.current(new / "warehouse").path), read_only=True) as con:
        texts = [t for (t,) in con.execute("SELECT sql FROM duckdb_views() WHERE sql LIKE '%read_parquet%'").fetchall()]
    assert len(texts) == len(storage.STORED)
    assert all(str((new / "warehouse").resolve()) in t and str(tiny_warehouse) not in t for t in texts)

    with cockpit_process(new / "warehouse", test_accounts=False, env={
            "COCKPIT_ACCOUNTS": str(new / "accounts.sqlite"), "COCKPIT_AUDIT": str(new / "audit.sqlite"),
            "COCKPIT_SECRET_KEY_FILE": str(new / "session.key"),
            "COCKPIT_VAULT_KEY_FILE": str(new / "secrets" / "vault.key")}) as url:
        assert _numbers(url) == before
        port = url.split(":")[2].split("/")[0]
        for cookie in jar:                                  # a session from before still holds
            cookie.domain, cookie.port = "127.0.0.1", port
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(url + "workflow", timeout=60) as r:
            assert "/login" not in r.url
    _vault_opens(new / "warehouse", new / "secrets" / "vault.key")


def _vault_opens(warehouse: Path, vault_key: Path) -> None:
    import duckdb

    from warehouse import vault
    with duckdb.connect(str(generations.current(warehouse).path), read_only=True) as con:
        table, record_id, bucket, sealed = con.execute(
            "SELECT i.source_table, i.record_id, i.bucket, v.sealed FROM secure.vault_index i JOIN secure.vault v "
            "USING (source_table, bucket) LIMIT 1").fetchone()
    assert vault.open_record(vault.load(vault_key), table, record_id, bucket, sealed)


def test_a_restore_checks_everything_before_it_writes_and_overwrites_nothing(origin, tmp_path):
    home, env = origin
    folder = bk.backup(tmp_path / "backups", state.locate(env))
    target = tmp_path / "target"
    target.mkdir()
    found = state.locate(_env(target, target / "warehouse", target / "secrets" / "pseudonym.key"))
    bk.restore(folder, found)
    with pytest.raises(bk.BackupError, match="--force"):      # a second time: everything is there
        bk.restore(folder, found)
    AccountStore(target / "accounts.sqlite").add("NEW", "区级管理员", "2202", "new-password")
    served = generations.current(target / "warehouse")
    served_files = {p: p.stat().st_ino for p in served.path.parent.rglob("*")}
    assert len(bk.restore(folder, found, force=True)) > 0
    assert [r[0] for r in AccountStore(target / "accounts.sqlite").list()] == ["T-ADMIN", "ZH000001"]
    # the generation restored over is never written: the backup's is published beside it
    assert {p: p.stat().st_ino for p in served.path.parent.rglob("*")} == served_files
    again = generations.current(target / "warehouse")
    assert again.id.startswith(served.id + "-restored-") and generations.published(target / "warehouse") == [served, again]
    with duckdb.connect(str(again.path), read_only=True) as a, duckdb.connect(str(served.path), read_only=True) as b:
        assert a.execute("SELECT count(*) FROM core.events").fetchone() == b.execute(
            "SELECT count(*) FROM core.events").fetchone()

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    accounts = next(folder.glob("sqlite/accounts*"))
    data = bytearray(accounts.read_bytes())
    data[len(data) // 2] ^= 0xFF
    accounts.write_bytes(bytes(data))
    with pytest.raises(bk.BackupError, match="校验和"):
        bk.restore(folder, state.locate(_env(damaged, damaged / "warehouse", damaged / "secrets" / "k.key")))
    assert list(damaged.iterdir()) == []                      # not one file written


def test_a_store_being_written_is_copied_consistently(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite")
    stop, written = threading.Event(), []

    def write():
        while not stop.is_set():
            log.record("writer", "10.0.0.1", "page_view", "/map", str(len(written)))
            written.append(1)
    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 50:
            pass
        copies = [tmp_path / f"copy{i}.sqlite" for i in range(5)]
        for copy in copies:
            bk._sqlite_copy(tmp_path / "audit.sqlite", copy)
    finally:
        stop.set()
        writer.join()
    counts = []
    for copy in copies:
        with sqlite3.connect(copy) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            n, top = con.execute("SELECT count(*), max(id) FROM audit").fetchone()
            assert n == top                                    # no gap, no half-written record
            counts.append(n)
    assert counts == sorted(counts) and counts[0] >= 50


def test_a_store_registered_in_state_is_backed_up_and_restored(origin, tmp_path, monkeypatch):
    """A store a later release adds (a name state.py does not list yet) is backed up and restored
    with no other change."""
    home, env = origin
    future = home / "future.sqlite"   # a store a later release adds
    with sqlite3.connect(future) as con:
        con.execute("CREATE TABLE things (alert TEXT, label TEXT)")
        con.execute("INSERT INTO things VALUES ('a1', 'true_event')")
    registered = state.Kept("future_store", "sqlite", "COCKPIT_TEST_FUTURE", lambda _: None, "test")
    monkeypatch.setattr(state, "KEPT", (*state.KEPT, registered))
    monkeypatch.setattr(state, "BY_NAME", {**state.BY_NAME, registered.name: registered})
    folder = bk.backup(tmp_path / "backups", state.locate({**env, "COCKPIT_TEST_FUTURE": str(future)}))
    target = tmp_path / "target"
    bk.restore(folder, state.locate({**_env(target, target / "warehouse", target / "k" / "p.key"),
                                     "COCKPIT_TEST_FUTURE": str(target / "future.sqlite")}))
    with sqlite3.connect(target / "future.sqlite") as con:
        assert con.execute("SELECT * FROM things").fetchall() == [("a1", "true_event")]
    monkeypatch.setattr(state, "KEPT", tuple(k for k in state.KEPT if k.name != "future_store"))
    monkeypatch.setattr(state, "BY_NAME", {k.name: k for k in state.KEPT})
    with pytest.raises(bk.BackupError, match="future_store"):   # an older release refuses, never drops it
        bk.restore(folder, state.locate(_env(tmp_path / "t2", tmp_path / "t2" / "w", tmp_path / "t2" / "p.key")))


def test_only_the_newest_backups_stay_and_a_killed_one_never_counts(origin, tmp_path):
    home, env = origin
    found = state.locate(env)
    (tmp_path / "backups").mkdir()
    killed = tmp_path / "backups" / f".{bk.PREFIX}20200101T000000.partial"
    killed.mkdir()
    made = [bk.backup(tmp_path / "backups", found, keep=2) for _ in range(3)]
    assert sorted((tmp_path / "backups").iterdir()) == made[1:]
    assert bk.backup_folder(tmp_path / "backups") == made[-1]


def test_the_state_database_is_dumped_and_restored_with_its_chain(origin, tmp_path, postgres_url):
    """COCKPIT_DATABASE_URL: the accounts, audit log, tokens and 研判 labels go into the backup as one pg_dump
    (not the unused SQLite files, never the password); restored into another database, the chain
    and its head are the same and its triggers guard it again; a database that holds a cockpit's
    state is replaced only with --force."""
    import psycopg

    from cockpit.api.tokens import TokenStore
    from tests.servers import fresh_database
    home, env = origin
    with fresh_database(postgres_url) as source, fresh_database(postgres_url) as target:
        store = AccountStore(source)
        store.add("T-ADMIN", "区级管理员", "2202", TEST_PASSWORD)
        log = AuditLog(source)
        for action in ("login", "page_view", "logout"):
            log.record("T-ADMIN", "10.0.0.5", action)
        head = log.verify().head
        TokenStore(source).add("client", "220204")
        LabelStore(source).add("T-ADMIN", "220204001", "YJ1", "误报", "演练")
        folder = bk.backup(tmp_path / "backups", state.locate({**env, "COCKPIT_DATABASE_URL": source}))
        manifest = (folder / bk.MANIFEST).read_text(encoding="utf-8")
        entries = {e["name"]: e for e in json.loads(manifest)["entries"]}
        assert entries["database"]["file"] == "postgresql/database.dump"
        assert all(entries[n].get("absent") for n in ("accounts", "audit", "api_tokens", "warning_labels"))
        assert entries["warning_labels"]["note"] == "in the state database"
        assert not (folder / "sqlite" / "accounts.sqlite").exists()
        password = psycopg.conninfo.conninfo_to_dict(postgres_url)["password"]
        assert password not in manifest and source not in manifest

        elsewhere = {**_env(tmp_path / "t", tmp_path / "t" / "warehouse", tmp_path / "t" / "p.key"),
                     "COCKPIT_DATABASE_URL": target}
        bk.restore(folder, state.locate(elsewhere))
        restored = AuditLog(target).verify()
        assert restored.ok and restored.head == head and restored.records == 3, restored
        assert AccountStore(target).sign_in("T-ADMIN", TEST_PASSWORD, "10.0.0.6").account is not None
        assert [t["name"] for t in TokenStore(target).list()] == ["client"]
        assert list(LabelStore(target).history("2202", "YJ1")[["label", "note"]].iloc[0]) == ["误报", "演练"]
        with psycopg.connect(target, autocommit=True) as con:
            with pytest.raises(psycopg.errors.IntegrityError):
                con.execute("UPDATE audit SET account = 'someone else'")
            with pytest.raises(psycopg.errors.IntegrityError):             # labels are only added, still
                con.execute("UPDATE labels SET label = '确认'")
        AuditLog(target).record("T-ADMIN", "10.0.0.6", "login")          # the chain goes on
        assert AuditLog(target).verify().records == 4

        again = {**_env(tmp_path / "t2", tmp_path / "t2" / "warehouse", tmp_path / "t2" / "p.key"),
                 "COCKPIT_DATABASE_URL": target}
        with pytest.raises(bk.BackupError, match="database"):
            bk.restore(folder, state.locate(again))
        bk.restore(folder, state.locate(again), force=True)
        assert AuditLog(target).verify().records == 3 and AuditLog(target).verify().head == head


def test_a_backup_without_pg_dump_fails_rather_than_leave_the_database_out(origin, tmp_path, monkeypatch):
    from etl.backup import database as backup_database

    def missing(name):
        raise backup_database.DatabaseError(f"找不到 {name}")
    monkeypatch.setattr(backup_database, "program", missing)
    home, env = origin
    found = state.locate({**env, "COCKPIT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    with pytest.raises(bk.BackupError, match="pg_dump"):
        bk.backup(tmp_path / "backups", found)
    assert not list((tmp_path / "backups").glob(bk.PREFIX + "*"))
    folder = bk.backup(tmp_path / "backups", found, database=False)      # the DBA backs it up
    entry = next(e for e in json.loads((folder / bk.MANIFEST).read_text())["entries"] if e["name"] == "database")
    assert entry["absent"] and "DBA" in entry["note"]


def test_the_briefings_archive_is_backed_up_and_restored_file_by_file(origin, tmp_path):
    home, env = origin
    briefings = tmp_path / "briefings"
    (briefings / "220204").mkdir(parents=True)
    (briefings / "220204" / "daily-2026-11-01.pdf").write_bytes(b"%PDF-1.4 one")
    (briefings / "220204001").mkdir()
    (briefings / "220204001" / "weekly-2026-11-02.png").write_bytes(b"\x89PNG two")
    folder = bk.backup(tmp_path / "backups", state.locate({**env, "COCKPIT_BRIEFINGS": str(briefings)}))
    entry = next(e for e in json.loads((folder / bk.MANIFEST).read_text(encoding="utf-8"))["entries"]
                 if e["name"] == "briefings")
    assert sorted(entry["files"]) == ["220204/daily-2026-11-01.pdf", "220204001/weekly-2026-11-02.png"]
    target = tmp_path / "restored"
    found = state.locate({**_env(target, target / "warehouse", target / "k" / "p.key"),
                          "COCKPIT_BRIEFINGS": str(target / "briefings")})
    (target / "briefings" / "220204").mkdir(parents=True)
    (target / "briefings" / "220204" / "daily-2026-10-31.pdf").write_bytes(b"kept")
    bk.restore(folder, found)
    assert (target / "briefings" / "220204" / "daily-2026-11-01.pdf").read_bytes() == b"%PDF-1.4 one"
    assert (target / "briefings" / "220204001" / "weekly-2026-11-02.png").read_bytes() == b"\x89PNG two"
    assert (target / "briefings" / "220204" / "daily-2026-10-31.pdf").read_bytes() == b"kept"
    # a damaged file in the backup: nothing is written
    (folder / entry["file"] / "220204" / "daily-2026-11-01.pdf").write_bytes(b"changed")
    other = tmp_path / "other"
    with pytest.raises(bk.BackupError, match="校验和"):
        bk.restore(folder, state.locate({**_env(other, other / "warehouse", other / "k" / "p.key"),
                                         "COCKPIT_BRIEFINGS": str(other / "briefings")}))
    assert not (other / "briefings").exists()
