"""PostgreSQL with two roles (docs/operations.md, "PostgreSQL roles"): the owner migrates the
schema and grants; the web servers connect as a role that owns nothing. Everything the cockpit
does works as that role, and what the audit log's protections rest on is out of its reach: it can
neither update nor truncate a record, nor drop, disable or replace a trigger, nor turn triggers
off for its session; an old schema makes it stop and say who must migrate."""
from __future__ import annotations

import functools
import secrets
import uuid
from urllib.parse import quote, urlparse

import psycopg
import pytest

from cockpit.accounts.__main__ import main
from cockpit.accounts.sessions import Lifetime, lifetime
from cockpit.accounts.store import AccountStore
from cockpit.api.tokens import TokenStore
from cockpit.audit import GENESIS, AuditLog
from cockpit.config import Settings
from cockpit.labels import LabelStore
from tests.cockpit.stores import OLD, raw_insert

PW = "a-long-password"
LIFE = Lifetime(1800, 8 * 3600)
LIFE_OF = functools.partial(lifetime, settings=Settings())


@pytest.fixture
def roles(pg_database, monkeypatch, capsys):
    """(owner's URL, web role's URL) for a database migrated and granted by the owner."""
    role, password = "web_" + uuid.uuid4().hex[:12], secrets.token_urlsafe(12)
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    monkeypatch.setenv("COCKPIT_DATABASE_URL", pg_database)
    assert main(["migrate", "--grant", role]) == 0
    assert f"已授予 {role}" in capsys.readouterr().out
    url = urlparse(pg_database)
    web = url._replace(netloc=f"{role}:{quote(password, safe='')}@{url.hostname}:{url.port}").geturl()
    yield pg_database, web
    from cockpit.stores import postgres
    postgres.close(web)
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(f"DROP OWNED BY {role}")
    with psycopg.connect(pg_database.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f"DROP ROLE {role}")


def test_the_cockpit_works_as_the_web_role(roles):
    owner, web = roles
    with AuditLog(owner).db.connection() as con:                # a record retention has released
        raw_insert(con, OLD, "old", prev=GENESIS)
    accounts = AccountStore(web)
    accounts.add("u1", "街道管理员", "220204001", PW)
    assert accounts.sign_in("u1", "wrong", "10.0.0.1").account is None
    assert accounts.sign_in("u1", PW, "10.0.0.1").account is not None
    token = accounts.sessions.start("u1", LIFE)
    assert accounts.signed_in(token, LIFE).account_id == "u1"
    accounts.set_status("u1", "停用")                           # and its sessions end
    assert accounts.signed_in(token, LIFE) is None
    log = AuditLog(web, retention_days=200)                     # retention may grow
    log.record("u1", "10.0.0.1", "login")
    import datetime as dt
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    assert log.record_capped("u1", "10.0.0.1", "unmask", 1, since)
    assert not log.record_capped("u1", "10.0.0.1", "unmask", 1, since)
    assert log.purge() == 1 and log.verify().ok and log.retention_days == 200
    tokens = TokenStore(web)
    issued = tokens.add("client", "220204")
    tokens.revoke("client")
    assert tokens.verify(issued).refused == "令牌已吊销"
    wall = "大屏01"                                              # a wall screen's session, pinned
    accounts.add(wall, "大屏终端", "220204", PW)
    pinned = accounts.sessions.start(wall, LIFE_OF, address="10.0.0.9")
    assert accounts.signed_in(pinned, LIFE_OF, address="10.0.0.9").account_id == wall
    assert accounts.signed_in(pinned, LIFE_OF, address="10.0.0.8") is None
    assert [s.account_id for s in accounts.sessions.live(LIFE_OF)] == [wall]
    assert accounts.sessions.end_of(wall) == 1
    labels = LabelStore(web)
    labels.add("u1", "220204001", "YJ1", "确认", "核实")
    assert list(labels.latest("220204")["label"]) == ["确认"]


@pytest.mark.parametrize("sql", [
    "UPDATE audit SET account = 'x'",
    "DELETE FROM audit",
    "TRUNCATE audit",
    "TRUNCATE retention",
    "DELETE FROM retention",
    "DROP TRIGGER audit_keep ON audit",
    "ALTER TABLE audit DISABLE TRIGGER audit_keep",
    "CREATE OR REPLACE FUNCTION audit_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
    "SET session_replication_role = replica",
    "DROP TABLE audit",
    "DELETE FROM accounts",
    "UPDATE labels SET label = '误报'",
    "DELETE FROM labels",
    "TRUNCATE labels CASCADE",
    "DELETE FROM label_areas",
    "UPDATE label_areas SET area_code = '2202'",
    "UPDATE cockpit_schema SET version = 1",
    "CREATE TABLE audit_copy (x int)",
])
def test_the_web_role_cannot_undo_the_protections(roles, sql):
    owner, web = roles
    AuditLog(owner).record("u1", "10.0.0.1", "login")
    with psycopg.connect(web, autocommit=True) as con:
        with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.IntegrityError)):
            con.execute(sql)
    verdict = AuditLog(owner).verify()
    assert verdict.ok and verdict.records == 1


def test_an_old_schema_stops_the_web_role_with_who_must_migrate(roles):
    owner, web = roles
    with psycopg.connect(owner, autocommit=True) as con:
        con.execute("DROP TABLE tokens")
        con.execute("UPDATE cockpit_schema SET version = 0 WHERE store = 'api_tokens'")
    with pytest.raises(RuntimeError, match="python -m cockpit.accounts migrate"):
        TokenStore(web).verify("gct_" + "x" * 43)
    AccountStore(web)                                           # the others are current: no change asked
