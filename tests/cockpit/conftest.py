"""One app on the tiny warehouse for the callback tests that sign in: an account per kind of role
on real areas, a test client signed in through the login form, and a poster of callback requests
(as any script could post them to Dash's update endpoint)."""
import re

import duckdb
import pytest

from cockpit.app import create_app
from cockpit.config import Settings
from tests.conftest import served_db
from warehouse.vault import vault_key_path

UNMASK_PER_HOUR = 6
PASSWORD = "role-test-password"
UPDATE = "/_dash-update-component"


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
    con = duckdb.connect(str(served_db(tiny_warehouse)), read_only=True)
    first = {lvl: con.execute("SELECT min(code) FROM areas WHERE level = ? AND valid_to IS NULL",
                              [lvl]).fetchall()[0][0] for lvl in ("district", "street", "community", "grid")}
    other_street = con.execute("SELECT max(code) FROM areas WHERE level = 'street'").fetchall()[0][0]
    dept, other_dept = [r[0] for r in con.execute(
        "SELECT department FROM events WHERE department IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 2"
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


def client(world, account=None, password=PASSWORD):
    c = world["app"].server.test_client()
    if account:
        response = login(c, account, password)
        assert response.status_code == 302, response.get_data(as_text=True)
    return c


def login(client, account, password, next_="/"):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"account": account, "password": password, "csrf": csrf, "next": next_})


def body(world, output_id: str, values: dict, changed: str | None = None) -> dict:
    """The request a browser posts for the callback that outputs `output_id`, with `values`
    ({(id, property): value}) for its inputs and states, None for the rest, as if `changed`
    ("id.prop"; default the first input) had triggered it."""
    cmap = world["app"].callback_map
    key = next(k for k in cmap if f"{output_id}." in k)
    spec = cmap[key]
    outputs = [o for o in key.strip(".").split("...")]

    def refs(items):
        return [{"id": i["id"], "property": i["property"], "value": values.get((i["id"], i["property"]))}
                for i in items]
    return {"output": key, "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                                       for o in outputs] if key.startswith("..") else
            {"id": outputs[0].rsplit(".", 1)[0], "property": outputs[0].rsplit(".", 1)[1]},
            "inputs": refs(spec["inputs"]), "state": refs(spec["state"]),
            "changedPropIds": [changed or f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}


def post(client, world, output_id: str, values: dict, changed: str | None = None):
    """Post body(...) as any script could. Returns (status, {"id.prop": value})."""
    r = client.post(UPDATE, json=body(world, output_id, values, changed))
    if r.status_code != 200:
        return r.status_code, None
    out = r.get_json()["response"]
    return 200, {f"{i}.{p}": v for i, props in out.items() for p, v in props.items()}
