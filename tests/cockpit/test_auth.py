"""Signing in, the gate, and every role's jurisdiction held against forged callback requests
(posted straight to Dash's update endpoint, as any script could)."""
import re

import pytest

from tests.cockpit.web import PASSWORD, UPDATE, client as _client, login as _login, post as _post


def _explorer(client, world, area=None, department=None):
    status, out = _post(client, world, "explorer-table", {("explorer-area", "value"): area,
                                                          ("explorer-department", "value"): department})
    assert status == 200
    count = int(re.search(r"共 ([\d,]+) 条", out["explorer-count.children"]).group(1).replace(",", ""))
    return count, out["explorer-table.rowData"]


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
    assert status == 200 and any(r["action"] == "拒绝访问" for r in out["audit-table.rowData"])


@pytest.mark.parametrize("role", ["leader", "analyst", "street", "community", "grid"])
def test_forged_area_codes_never_widen_an_area_role(world, role):
    client = _client(world, role)
    mine = world["roles"][role][1]
    own_count, _ = _explorer(client, world, mine)
    outside = [c for c in ("2202", world["other_street"], "220299") if not c.startswith(mine)]
    for forged in (*outside, "' OR 1=1 --"):
        assert _explorer(client, world, forged)[0] == own_count, forged
    for malformed in (["2202"], {"code": "2202"}):          # not what a single-choice dropdown sends
        assert _post(client, world, "explorer-table", {("explorer-area", "value"): malformed})[0] == 400
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


def test_an_export_is_audited(world):
    c = _client(world, "street")
    status, out = _post(c, world, "explorer-download", {("explorer-csv", "n_clicks"): 1})
    assert status == 200 and out["explorer-download.data"]["filename"].endswith(".csv")
    record = world["app"].server.config["COCKPIT_AUDIT"].recent(5, "export", "street").iloc[0]
    rows = int(re.search(r"([\d,]+) 条", record["detail"]).group(1).replace(",", ""))
    assert record["target"] == "/explorer" and rows > 0 and world["roles"]["street"][1] in record["detail"]


def test_an_unknown_callback_is_refused(world):
    c = _client(world, "admin")
    r = c.post(UPDATE, json={"output": "no-such-component.children", "inputs": [], "state": []})
    assert r.status_code == 403


def test_the_login_page_answers_alike_for_unknown_wrong_and_locked(world):
    """The words on the page do not tell an existing account from an unknown name."""
    store = world["app"].server.config["COCKPIT_ACCOUNTS"]
    store.add("held", "社区专干", world["roles"]["community"][1], PASSWORD)
    for _ in range(5):
        _login(_client(world), "held", "guess")
    answers = {}
    for case, (account, password) in {"unknown": ("no-such-account", PASSWORD), "wrong": ("street", "guess"),
                                      "locked, right password": ("held", PASSWORD)}.items():
        r = _login(_client(world), account, password)
        answers[case] = (r.status_code, re.search(r'id="login-error">([^<]*)<', r.get_data(as_text=True)).group(1))
    assert len(set(answers.values())) == 1, answers


def test_a_refused_map_request_is_audited(world):
    c = _client(world, "street")
    other = world["other_street"]
    assert c.get(f"/geo/x/community/{other}.json").status_code == 403
    last = world["app"].server.config["COCKPIT_AUDIT"].recent(1, account="street").iloc[0]
    assert last["action"] == "denied" and last["target"] == f"/geo/x/community/{other}.json"
