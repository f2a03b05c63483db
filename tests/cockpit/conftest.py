"""Shared fixtures of the cockpit tests: `app` (the app on the tiny warehouse, default settings:
tests sign in with tests.cockpit.signed_in), `first_area` (the first area in force of each level),
and `world`, one app for the callback tests that sign in through the login form: an account per
kind of role on real areas, a test client, and a poster of callback requests (as any script could
post them to Dash's update endpoint)."""
import duckdb
import pytest

from cockpit.app import create_app
from cockpit.config import Settings
from cockpit.db import Snapshot
from tests.cockpit.web import PASSWORD, UNMASK_PER_HOUR
from tests.conftest import served_db
from warehouse.vault import vault_key_path


@pytest.fixture(scope="module")
def app(tiny_warehouse):
    """The app on the tiny warehouse, one per test module (a module may override it)."""
    return create_app(Settings(warehouse=tiny_warehouse))


LEVELS = ("district", "street", "community", "grid")


@pytest.fixture(scope="session")
def first_area(tiny_warehouse) -> dict[str, str]:
    """level → the smallest code of that level in force: a real area of each level."""
    return first_areas(tiny_warehouse)


def first_areas(tiny_warehouse) -> dict[str, str]:
    with duckdb.connect(str(served_db(tiny_warehouse)), read_only=True) as con:
        return {lvl: con.execute("SELECT min(code) FROM core.areas WHERE level = ? AND valid_to IS NULL",
                                 [lvl]).fetchall()[0][0] for lvl in LEVELS}


@pytest.fixture(scope="session")
def world(tiny_warehouse, key_file, tmp_path_factory):
    """The app, and one account per kind of role on real areas of the tiny warehouse."""
    return make_world(tiny_warehouse, key_file, tmp_path_factory.mktemp("auth"))


@pytest.fixture(scope="session")
def pg_world(tiny_warehouse, key_file, tmp_path_factory, postgres_url):
    """The same with the accounts, sessions and audit log in PostgreSQL (COCKPIT_DATABASE_URL)."""
    from tests.servers import fresh_database
    with fresh_database(postgres_url) as url:
        yield make_world(tiny_warehouse, key_file, tmp_path_factory.mktemp("auth-pg"), database_url=url)


def make_world(tiny_warehouse, key_file, home, **settings):
    app = create_app(Settings(warehouse=tiny_warehouse, accounts=home / "accounts.sqlite",
                              audit=home / "audit.sqlite", labels=home / "labels.sqlite",
                              secret_key_file=home / "session.key", briefings=home / "briefings",
                              vault_key_file=vault_key_path(key_file), unmask_per_hour=UNMASK_PER_HOUR,
                              **settings))
    first = first_areas(tiny_warehouse)
    con = duckdb.connect(str(served_db(tiny_warehouse)), read_only=True)
    other_street = con.execute("SELECT max(code) FROM core.areas WHERE level = 'street'").fetchall()[0][0]
    dept, other_dept = [r[0] for r in con.execute(
        "SELECT department FROM core.events WHERE department IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 2"
    ).fetchall()]
    con.close()
    roles = {"admin": ("区级管理员", "2202"), "leader": ("指挥长", first["district"]),
             "analyst": ("分析研判员", first["district"]), "street": ("街道管理员", first["street"]),
             "community": ("社区书记", first["community"]), "grid": ("专职网格员", first["grid"]),
             "department": ("部门处置员", dept)}
    store = app.server.config["COCKPIT_ACCOUNTS"]
    for account_id, (role, area) in roles.items():
        store.add(account_id, role, area, PASSWORD)
    assert other_street != first["street"]
    return {"app": app, "roles": roles, "other_street": other_street, "other_dept": other_dept}


@pytest.fixture
def counted(monkeypatch):
    """The queries run on the warehouse so far (tests of the cache and of warming count them)."""
    calls = []
    original = Snapshot.query

    def query(self, sql, params=None):
        calls.append(sql)
        return original(self, sql, params)
    monkeypatch.setattr(Snapshot, "query", query)
    return calls
