"""Signing in, the gate, and every role's jurisdiction held against forged callback requests
(posted straight to Dash's update endpoint, as any script could)."""
import re

import duckdb
import pytest

from cockpit import create_app
from cockpit.config import Settings
from tests.conftest import served_db

PASSWORD = "role-test-password"
UPDATE = "/_dash-update-component"


@pytest.fixture(scope="module")
def world(tiny_warehouse, tmp_path_factory):
    """The app, and one account per kind of role on real areas of the tiny warehouse."""
    home = tmp_path_factory.mktemp("auth")
    app = create_app(Settings(warehouse=tiny_warehouse, accounts=home / "accounts.sqlite",
                              audit=home / "audit.sqlite", secret_key_file=home / "session.key"))
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


def _client(world, account=None, password=PASSWORD):
    client = world["app"].server.test_client()
    if account:
        response = _login(client, account, password)
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _login(client, account, password, next_="/"):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"account": account, "password": password, "csrf": csrf, "next": next_})


def _post(client, world, output_id: str, values: dict):
    """Post the callback that outputs `output_id`, with `values` ({(id, property): value}) for its
    inputs and states, None for the rest. Returns (status, {"id.prop": value})."""
    cmap = world["app"].callback_map
    key = next(k for k in cmap if f"{output_id}." in k)
    spec = cmap[key]
    outputs = [o for o in key.strip(".").split("...")]

    def refs(items):
        return [{"id": i["id"], "property": i["property"], "value": values.get((i["id"], i["property"]))}
                for i in items]
    body = {"output": key, "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                                       for o in outputs] if key.startswith("..") else
            {"id": outputs[0].rsplit(".", 1)[0], "property": outputs[0].rsplit(".", 1)[1]},
            "inputs": refs(spec["inputs"]), "state": refs(spec["state"]),
            "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}
    r = client.post(UPDATE, json=body)
    if r.status_code != 200:
        return r.status_code, None
    out = r.get_json()["response"]
    return 200, {f"{i}.{p}": v for i, props in out.items() for p, v in props.items()}


def _explorer(client, world, area=None, department=None):
    status, out = _post(client, world, "explorer-table", {("explorer-area", "value"): area,
                                                          ("explorer-department", "value"): department})
    assert status == 200
    count = int(re.search(r"共 ([\d,]+) 条", out["explorer-count.children"]).group(1).replace(",", ""))
    return count, out["explorer-table.data"]


def test_nothing_answers_without_signing_in(world):
    client = _client(world)
    assert client.get("/").status_code == 302 and "/login" in client.get("/map").headers["Location"]
    assert client.post(UPDATE, json={"output": "kpi-residents.children"}).status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/assets/cockpit.css").status_code == 302
    assert client.get("/login").status_code == 200


def test_wrong_passwords_lock_and_are_audited(world):
    client = _client(world)
    store = world["app"].server.config["COCKPIT_ACCOUNTS"]
    store.add("victim", "社区专干", world["roles"]["community"][1], PASSWORD)
    for _ in range(5):
        assert _login(client, "victim", "guess").status_code == 401
    locked = _login(client, "victim", PASSWORD)        # the right password, too late
    assert locked.status_code == 401 and "锁定" in locked.get_data(as_text=True)
    log = world["app"].server.config["COCKPIT_AUDIT"].recent(50, "login_failed", "victim")
    assert len(log) == 6
    store.set_status("victim", "正常")                   # an administrator unlocks it
    assert _login(client, "victim", PASSWORD).status_code == 302


def test_a_forged_login_form_and_open_redirects_are_refused(world):
    client = _client(world)
    r = client.post("/login", data={"account": "admin", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 401 and "过期" in r.get_data(as_text=True)
    r = _login(client, "admin", PASSWORD, next_="https://example.com/x")
    assert r.headers["Location"] == "/"


def test_pages_a_role_may_not_open_refuse_their_callbacks_too(world):
    dept = _client(world, "department")
    assert dept.get("/").headers["Location"] == "/explorer"
    status, _ = _post(dept, world, "kpi-residents", {})               # the big screen's counters
    assert status == 403
    street = _client(world, "street")
    assert _post(street, world, "health-cards", {})[0] == 403
    assert _post(street, world, "audit-table", {})[0] == 403
    admin = _client(world, "admin")
    status, out = _post(admin, world, "audit-table", {})
    assert status == 200 and any(r["action"] == "拒绝访问" for r in out["audit-table.data"])


@pytest.mark.parametrize("role", ["leader", "analyst", "street", "community", "grid"])
def test_forged_area_codes_never_widen_an_area_role(world, role):
    client = _client(world, role)
    mine = world["roles"][role][1]
    own_count, _ = _explorer(client, world, mine)
    outside = [c for c in ("2202", world["other_street"], "220299") if not c.startswith(mine)]
    for forged in (*outside, "' OR 1=1 --", ["2202"], {"code": "2202"}):
        assert _explorer(client, world, forged)[0] == own_count, forged
    status, out = _post(client, world, "grid-map-graph", {("grid-map-position", "data"): "2202",
                                                          ("grid-map-metric", "value"): "events",
                                                          ("grid-map-period", "value"): "30"})
    assert status == 200
    shown = out["grid-map-graph.figure"]["data"][0].get("locations", [])
    assert shown and all(code.startswith(mine) for code in shown)
    if role in ("street", "community", "grid"):     # below the (tiny) data's only district
        assert own_count < _explorer(_client(world, "admin"), world, "2202")[0]


def test_a_department_sees_only_its_own_events(world):
    client = _client(world, "department")
    dept = world["roles"]["department"][1]
    own_count, rows = _explorer(client, world)
    assert own_count > 0 and {r["department"] for r in rows} == {dept}
    forged_count, forged_rows = _explorer(client, world, department=world["other_dept"])
    assert forged_count == own_count and {r["department"] for r in forged_rows} == {dept}


def test_page_views_are_audited(world):
    client = _client(world, "street")
    status, _ = _post(client, world, "_pages_content", {("_pages_location", "pathname"): "/map"})
    log = world["app"].server.config["COCKPIT_AUDIT"].recent(20, "page_view", "street")
    assert "/map" in set(log["target"])
