"""The open read API (/api/v1, cockpit/api): token only (forged, unknown, revoked and expired
tokens, a signed-in session, a token in the URL are all refused), never outside the token's area
whatever the parameters, Open311's semantics and paging, the KPIs as the mart has them, nothing
personal in any answer, and docs/api/openapi.yaml saying exactly what is served."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import duckdb
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from cockpit.api import routes
from cockpit.api.limits import InProcessLimiter
from cockpit.app import create_app
from cockpit.config import Settings
from etl import storage
from tests.conftest import ROOT, served_db
from warehouse import personal

API = "/api/v1"
PASSWORD = "api-test-password"
OPENAPI = yaml.safe_load((ROOT / "docs" / "api" / "openapi.yaml").read_text(encoding="utf-8"))
SLOW = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _app(warehouse: Path, home: Path, url_prefix: str = ""):
    app = create_app(Settings(warehouse=warehouse, accounts=home / "accounts.sqlite", audit=home / "audit.sqlite",
                              secret_key_file=home / "session.key", api_tokens=home / "api_tokens.sqlite",
                              api_per_minute=100_000, url_prefix=url_prefix))
    app.server.config["COCKPIT_ACCOUNTS"].add("admin", "区级管理员", "2202", PASSWORD)
    # failed authentications are limited per address (tested on their own below)
    app.server.config["COCKPIT_API_FAILURES"] = InProcessLimiter(1_000_000)
    return app


@pytest.fixture(scope="module")
def api(world, tiny_warehouse, tmp_path_factory):
    """An app with its own stores, its tokens by name, and the served generation to check against.
    (The shared app serves first: Dash gives the callbacks declared at import to the first app of
    the process that serves a request, and the tests of the other modules need them there.)"""
    world["app"].server.test_client().get("/login").close()
    home = tmp_path_factory.mktemp("api")
    app = _app(tiny_warehouse, home)
    con = duckdb.connect(str(served_db(tiny_warehouse)), read_only=True)
    streets = [r[0] for r in con.execute("SELECT code FROM core.areas WHERE level = 'street' AND valid_to IS NULL "
                                         "ORDER BY code").fetchall()]
    community = con.execute("SELECT min(code) FROM core.areas WHERE level = 'community' AND starts_with(code, ?)",
                            [streets[0]]).fetchall()[0][0]
    department = con.execute("SELECT department FROM core.events WHERE department IS NOT NULL GROUP BY 1 "
                             "ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
    store = app.server.config["COCKPIT_API_TOKENS"]
    tokens = {"district": store.add("district", "220204"), "street": store.add("street", streets[0]),
              "other_street": store.add("other-street", streets[1]),
              "community": store.add("community", community),
              "department": store.add("department", streets[0], department),
              "revoked": store.add("revoked", "220204"), "expired": store.add("expired", "220204")}
    store.revoke("revoked")
    with sqlite3.connect(store.db.path) as db:
        db.execute("UPDATE tokens SET expires_at = '2020-01-01T00:00:00Z' WHERE name = 'expired'")
    yield {"app": app, "client": app.server.test_client(), "tokens": tokens, "streets": streets,
           "community": community, "department": department, "con": con, "home": home}
    con.close()


def get(api, url, token=None, client=None, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    r = (client or api["client"]).get(url, headers=headers)
    return r.status_code, r.headers, r.get_json(silent=True)


def grid_of(api, event_ids) -> dict[str, str]:
    """Each event's grid as the warehouse has it (not as the answer says)."""
    if not event_ids:
        return {}
    rows = api["con"].execute("SELECT event_id, grid_code FROM core.events WHERE list_contains(?, event_id)",
                              [list(event_ids)]).fetchall()
    return dict(rows)


# -- docs/api/openapi.yaml: exactly what is served ------------------------------------------------

def _operations():
    base = OPENAPI["servers"][0]["url"].replace("{prefix}", "")
    for path, item in OPENAPI["paths"].items():
        for method, op in item.items():
            yield base + path, method, op


def _resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = OPENAPI
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_every_route_is_in_the_openapi_file_and_every_path_there_is_served(api):
    served = set()
    for rule in api["app"].server.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            served |= {(path, m.lower()) for m in rule.methods if m not in ("HEAD", "OPTIONS")}
    described = {(path, method) for path, method, _ in _operations()}
    assert served == described
    assert all(path.startswith(API) for path, _ in served)
    assert OPENAPI["openapi"].startswith("3.1")
    for schema in OPENAPI["components"]["schemas"].values():      # JSON Schema 2020-12, as 3.1 says
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_parameter_the_code_takes_is_described_and_no_other(api):
    endpoint_of = {rule.rule: rule.endpoint.removeprefix("api.")
                   for rule in api["app"].server.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    for path, _, op in _operations():
        flask_path = re.sub(r"\{([^}]+)\}", r"<\1>", path)
        documented = {_resolve(p)["name"] for p in op["parameters"] if _resolve(p)["in"] == "query"}
        assert documented == routes.ALLOWED[endpoint_of[flask_path]], path


def validate(status, headers, body, path: str, method: str = "get"):
    """The answer against the operation's response for its status: body schema and headers."""
    op = OPENAPI["paths"][path][method]
    response = _resolve(op["responses"][str(status)])
    schema = response["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": OPENAPI["components"]},
                        cls=jsonschema.Draft202012Validator)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    for name, header in response.get("headers", {}).items():
        header = _resolve(header)
        if name not in headers:
            assert not header.get("required"), (name, path, status)
            continue
        value = headers[name]
        kind = header["schema"].get("type")
        jsonschema.validate(int(value) if kind == "integer" else value, header["schema"],
                            cls=jsonschema.Draft202012Validator)


def test_answers_validate_against_the_openapi_file(api):
    t = api["tokens"]
    some = get(api, f"{API}/requests.json?page_size=3", t["street"])[2][0]["service_request_id"]
    cases = [
        ("/services.json", f"{API}/services.json", t["street"], 200),
        ("/requests.json", f"{API}/requests.json", t["street"], 200),
        ("/requests.json", f"{API}/requests.json?status=open&page_size=5&page=2", t["district"], 200),
        ("/requests.json", f"{API}/requests.json?start_date=2026-10-01T00:00:00Z&end_date=2026-10-02", t["community"], 200),
        ("/requests.json", f"{API}/requests.json?page=999999", t["street"], 200),
        ("/requests.json", f"{API}/requests.json?service_code=nope", t["street"], 400),
        ("/requests.json", f"{API}/requests.json", "gct_forged", 401),
        ("/requests.json", f"{API}/requests.json?area_code={api['streets'][1]}", t["street"], 403),
        ("/requests/{service_request_id}.json", f"{API}/requests/{some}.json", t["street"], 200),
        ("/requests/{service_request_id}.json", f"{API}/requests/{some}.json", t["other_street"], 404),
        ("/kpis.json", f"{API}/kpis.json", t["district"], 200),
        ("/kpis.json", f"{API}/kpis.json?level=grid&page_size=7&page=3", t["street"], 200),
        ("/kpis.json", f"{API}/kpis.json", t["department"], 403),
        ("/kpis.json", f"{API}/kpis.json?level=province", t["street"], 400),
        ("/services.json", f"{API}/services.json", None, 401),
    ]
    for path, url, token, status in cases:
        got = get(api, url, token)
        assert got[0] == status, (url, got)
        validate(*got, path)


# -- tokens -----------------------------------------------------------------------------------

@pytest.mark.parametrize("which, why", [("revoked", "令牌已吊销"), ("expired", "令牌已过期")])
def test_revoked_and_expired_tokens_are_refused(api, which, why):
    for url in (f"{API}/services.json", f"{API}/requests.json", f"{API}/kpis.json"):
        status, headers, body = get(api, url, api["tokens"][which])
        assert status == 401 and body == [{"code": 401, "description": why}]
        assert headers["WWW-Authenticate"].startswith("Bearer ")


tokenish = st.one_of(st.text(max_size=80), st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
                                                   min_size=43, max_size=43).map(lambda s: "gct_" + s))


@SLOW
@given(presented=tokenish, scheme=st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", ""]))
def test_forged_and_unknown_tokens_get_nothing(api, presented, scheme):
    header = f"{scheme} {presented}".strip()
    if not header.isprintable() or "\n" in header:
        return                                       # not a header a client can send
    r = api["client"].get(f"{API}/requests.json", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.get_json()[0]["code"] == 401


def test_a_token_changed_by_one_character_is_refused(api):
    real = api["tokens"]["district"]
    for i in range(4, len(real), 7):
        forged = real[:i] + ("A" if real[i] != "A" else "B") + real[i + 1:]
        assert get(api, f"{API}/services.json", forged)[0] == 401
    assert get(api, f"{API}/services.json", real)[0] == 200


def test_a_signed_in_session_opens_nothing_and_csrf_does_not_matter(api):
    client = api["app"].server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"account": "admin", "password": PASSWORD, "csrf": csrf,
                                       "next": "/"}).status_code == 302
    assert client.get("/").status_code == 200                       # the session works for pages
    for url in (f"{API}/services.json", f"{API}/requests.json", f"{API}/kpis.json"):
        assert get(api, url, client=client)[0] == 401
        assert client.post(url, data={"csrf": csrf}).status_code == 405
        assert client.post(url, data={"csrf": csrf}, headers={
            "Authorization": f"Bearer {api['tokens']['district']}"}).status_code == 405
    status, headers, _ = get(api, f"{API}/services.json", api["tokens"]["district"], client=client)
    assert status == 200 and "Set-Cookie" not in headers and "Cookie" not in headers.get("Vary", "")


@pytest.mark.parametrize("query", ["access_token={t}", "token={t}", "api_key={t}", "page=1&x={t}",
                                   "service_request_id={t}", "TOKEN=abc", "key=anything"])
def test_a_token_in_the_url_is_refused_and_kept_nowhere(api, query):
    token = api["tokens"]["district"]
    status, _, body = get(api, f"{API}/requests.json?" + query.format(t=token), token)
    assert status == 400 and "Authorization" in body[0]["description"]
    assert get(api, f"{API}/requests/{token}.json", token)[0] == 400
    audit = api["app"].server.config["COCKPIT_AUDIT"].recent(50, action="api")
    assert not audit.astype(str).apply(lambda c: c.str.contains(token[4:], regex=False)).any().any()


def test_every_answer_is_no_store_and_nosniff(api):
    t = api["tokens"]
    for url, token in [(f"{API}/services.json", t["street"]), (f"{API}/requests.json", None),
                       (f"{API}/nothing", t["street"]), (f"{API}/kpis.json?level=x", t["street"]),
                       (f"{API}/requests.json?token=x", None), ("/api", t["street"])]:
        _, headers, _ = get(api, url, token)
        assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff", url


def test_calls_and_refusals_are_audited_without_the_token(api):
    token = api["tokens"]["community"]
    get(api, f"{API}/requests.json?page_size=4&status=open", token)
    get(api, f"{API}/requests.json?area_code={api['streets'][1]}", token)
    get(api, f"{API}/requests.json", "gct_" + "x" * 43)
    audit = api["app"].server.config["COCKPIT_AUDIT"].recent(3, action="api")
    ok, outside, forged = audit.iloc[2], audit.iloc[1], audit.iloc[0]
    assert (ok.account, ok.target) == ("api:community", "/api/v1/requests.json")
    assert ok.detail.startswith("200 ") and "page_size=4 status=open" in ok.detail
    assert outside.account == "api:community" and outside.detail.startswith("403 ")
    assert forged.account == "（无效令牌）" and forged.detail == "401 令牌无效"
    assert not audit.astype(str).apply(lambda c: c.str.contains("gct_", regex=False)).any().any()


def test_failed_authentications_are_limited_per_address(api, monkeypatch):
    monkeypatch.setitem(api["app"].server.config, "COCKPIT_API_FAILURES", InProcessLimiter(3))
    client = api["app"].server.test_client()
    env = {"REMOTE_ADDR": "192.0.2.77"}
    statuses = [client.get(f"{API}/services.json", headers={"Authorization": "Bearer gct_wrong"},
                           environ_base=env).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    refused = client.get(f"{API}/services.json", environ_base=env,
                         headers={"Authorization": f"Bearer {api['tokens']['street']}"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    other = client.get(f"{API}/services.json", environ_base={"REMOTE_ADDR": "192.0.2.78"},
                       headers={"Authorization": f"Bearer {api['tokens']['street']}"})
    assert other.status_code == 200


def test_each_token_has_its_own_rate_limit(api, monkeypatch):
    monkeypatch.setitem(api["app"].server.config, "COCKPIT_API_LIMITER", InProcessLimiter(4))
    t = api["tokens"]
    seen = [get(api, f"{API}/services.json", t["street"]) for _ in range(5)]
    assert [s for s, _, _ in seen] == [200, 200, 200, 200, 429]
    assert [h.get("X-RateLimit-Remaining") for _, h, _ in seen[:4]] == ["3", "2", "1", "0"]
    validate(*seen[4], "/services.json")
    assert get(api, f"{API}/services.json", t["community"])[0] == 200


# -- the token's area, whatever the parameters ----------------------------------------------------

junk = st.one_of(st.text(max_size=30), st.sampled_from(
    ["%", "%%", "_", "*", "' OR 1=1 --", "1); DROP TABLE core.events; --", "220204%", "2202040019999999",
     "99999999999999999999999999", "-1", "0", "1e9", "NaN", "null", "[]", "{}", "220204,220204002",
     "\x00", "２２０２０４", "open;closed", "2026-13-45", "9999-12-31T23:59:59+14:00"]))
values = {
    "area_code": st.one_of(junk, st.sampled_from(["220204", "2202", "220204001", "220204002", "220204100",
                                                   "220204001001", "220204002001", "220204001001001"])),
    "service_code": st.one_of(junk, st.sampled_from(["0101", "0101,0402", "0402,9999", "01"])),
    "status": st.one_of(junk, st.sampled_from(["open", "closed", "open,closed", "Open"])),
    "start_date": st.one_of(junk, st.sampled_from(["2026-10-01", "2026-10-01T00:00:00Z", "2025-01-01T08:00:00+08:00"])),
    "end_date": st.one_of(junk, st.sampled_from(["2026-10-31", "2026-10-15T12:00:00-05:00"])),
    "page": st.one_of(junk, st.integers(-5, 10**12).map(str)),
    "page_size": st.one_of(junk, st.integers(-5, 10**6).map(str)),
    "service_request_id": st.one_of(junk, st.sampled_from(["SJ220204002202511010001", "SJ220204001202511010001"])),
    "level": st.one_of(junk, st.sampled_from(["district", "street", "community", "grid"])),
    "start_month": st.one_of(junk, st.sampled_from(["2026-01", "2026-1", "2026-10"])),
    "end_month": st.one_of(junk, st.sampled_from(["2026-10", "2025-11"])),
    "jurisdiction_id": junk,
    "unknown": junk,
}

@SLOW
@given(path=st.sampled_from(["/requests.json", "/kpis.json", "/services.json"]),
       picks=st.lists(st.sampled_from(sorted(values)), max_size=5), data=st.data())
def test_a_street_token_never_sees_another_street_and_bad_parameters_are_400(api, path, picks, data):
    street = api["streets"][0]
    query = [(name, data.draw(values[name], label=name)) for name in picks]      # repeats: arrays
    r = api["client"].get(API + path, query_string=query,
                          headers={"Authorization": f"Bearer {api['tokens']['street']}"})
    assert r.status_code in (200, 400, 403), (query, r.get_data(as_text=True))
    body = r.get_json()
    if r.status_code == 403:
        code = dict(query).get("area_code", "")
        assert path != "/services.json" and code.isdigit() and not code.startswith(street)
        return
    if r.status_code != 200:
        return
    if path == "/requests.json":
        grids = grid_of(api, [x["service_request_id"] for x in body])
        assert len(grids) == len(body) and all(g.startswith(street) for g in grids.values())
        assert all(x["area_code"] == grids[x["service_request_id"]] for x in body)
    elif path == "/kpis.json":
        assert all(x["area_code"].startswith(street) for x in body["items"])


def test_a_request_of_another_street_is_not_found_and_ids_are_filtered(api):
    t, con = api["tokens"], api["con"]
    mine, theirs = (con.execute("SELECT min(event_id) FROM core.events WHERE starts_with(grid_code, ?)",
                                [code]).fetchall()[0][0] for code in api["streets"][:2])
    assert get(api, f"{API}/requests/{mine}.json", t["street"])[0] == 200
    assert get(api, f"{API}/requests/{theirs}.json", t["street"])[:3:2] == (
        404, [{"code": 404, "description": "没有这个服务请求（或不在本令牌的区域内）"}])
    assert get(api, f"{API}/requests/{theirs}.json", t["other_street"])[0] == 200
    _, _, both = get(api, f"{API}/requests.json?service_request_id={mine},{theirs}", t["street"])
    assert [x["service_request_id"] for x in both] == [mine]


def test_a_department_token_sees_only_its_department_inside_its_area(api):
    status, headers, body = get(api, f"{API}/requests.json?start_date=2025-01-01&page_size=1000",
                                api["tokens"]["department"])
    expected = api["con"].execute(
        "SELECT count(*) FROM core.events e JOIN mart.event_sla USING (event_id) "
        "WHERE starts_with(e.grid_code, ?) AND e.department = ?",
        [api["streets"][0], api["department"]]).fetchall()[0][0]
    assert status == 200 and int(headers["X-Total-Count"]) == expected > 0
    assert {x["agency_responsible"] for x in body} == {api["department"]}
    assert get(api, f"{API}/kpis.json", api["tokens"]["department"])[0] == 403


# -- Open311 semantics and paging --------------------------------------------------------------

def test_status_and_dates_follow_open311(api):
    token, con = api["tokens"]["street"], api["con"]
    as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]
    _, headers, _ = get(api, f"{API}/requests.json", token)
    default_total = con.execute(
        "SELECT count(*) FROM core.events e JOIN mart.event_sla USING (event_id) "
        "WHERE starts_with(e.grid_code, ?) AND e.reported_at >= ?",
        [api["streets"][0], dt.datetime.combine(as_of.date() - dt.timedelta(days=89), dt.time())]
    ).fetchall()[0][0]
    assert int(headers["X-Total-Count"]) == default_total    # the last 90 days, as the cockpit's
    assert headers["X-Data-As-Of"] == as_of.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    for status, states in (("open", {"待立案", "待派遣", "处置中", "待核查", "待结案"}),
                           ("closed", {"已结案", "不予立案"})):
        _, _, body = get(api, f"{API}/requests.json?start_date=2025-01-01&status={status}&page_size=1000", token)
        assert body and {x["status"] for x in body} == {status}
        ids = [x["service_request_id"] for x in body]
        found = dict(con.execute("SELECT event_id, status FROM core.events WHERE list_contains(?, event_id)",
                                 [ids]).fetchall())
        assert set(found.values()) <= states
        assert all(x["status_notes"].startswith(found[x["service_request_id"]]) for x in body)
    # 2026-10-01T00:00Z is 08:00 in Jilin: the window is read in local time, both ends included
    _, _, body = get(api, f"{API}/requests.json?start_date=2026-10-01T00:00:00Z"
                          f"&end_date=2026-10-01T12:00:00%2B08:00&page_size=1000", token)
    times = [dt.datetime.fromisoformat(x["requested_datetime"]) for x in body]
    assert times and all(dt.datetime(2026, 10, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))) <= t
                         <= dt.datetime(2026, 10, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))) for t in times)
    first = con.execute("SELECT reported_at FROM core.events WHERE starts_with(grid_code, ?) AND reported_at "
                        ">= '2026-10-01 08:00' ORDER BY reported_at, event_id LIMIT 1",
                        [api["streets"][0]]).fetchall()[0][0]
    assert times[0] == first.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.mark.parametrize("size", [7, 37, 250])
def test_pages_join_up_to_the_whole_answer(api, size):
    token = api["tokens"]["community"]
    query = "start_date=2026-06-01&end_date=2026-09-30T23:59:59%2B08:00"
    _, headers, whole = get(api, f"{API}/requests.json?{query}&page_size=1000", token)
    total = int(headers["X-Total-Count"])
    assert 0 < total == len(whole) < 1000
    pages, url = [], f"{API}/requests.json?{query}&page_size={size}"
    while url:
        status, headers, body = get(api, url, token)
        assert status == 200 and int(headers["X-Total-Count"]) == total
        pages += body
        nxt = re.search(r'<([^>]+)>; rel="next"', headers.get("Link", ""))
        url = nxt.group(1) if nxt else None
    assert pages == whole
    assert len({x["service_request_id"] for x in pages}) == total
    keys = [(x["requested_datetime"], x["service_request_id"]) for x in pages]
    assert keys == sorted(keys)
    _, headers, beyond = get(api, f"{API}/requests.json?{query}&page_size={size}&page={total // size + 2}", token)
    assert beyond == [] and int(headers["X-Total-Count"]) == total and 'rel="prev"' in headers["Link"]


def test_kpis_are_the_marts_rows_page_by_page(api):
    street = api["streets"][0]
    expected = api["con"].execute(
        "SELECT code, strftime(month, '%Y-%m'), due, closed, closed_on_time, closure_rate FROM mart.area_kpis_monthly "
        "WHERE level = 'community' AND starts_with(code, ?) AND month BETWEEN DATE '2026-01-01' AND DATE '2026-10-01' "
        "ORDER BY code, month", [street]).fetchall()
    got, page = [], 1
    while True:
        status, headers, body = get(api, f"{API}/kpis.json?level=community&start_month=2026-01"
                                         f"&end_month=2026-10&page_size=25&page={page}", api["tokens"]["street"])
        assert status == 200 and body["total"] == len(expected) == int(headers["X-Total-Count"])
        got += [(x["area_code"], x["month"], x["due"], x["closed"], x["closed_on_time"], x["closure_rate"])
                for x in body["items"]]
        if not body["items"]:
            break
        page += 1
    assert got == [tuple(r) for r in expected]
    _, _, own = get(api, f"{API}/kpis.json", api["tokens"]["street"])
    assert own["level"] == "street" and {x["area_code"] for x in own["items"]} == {street}
    assert len(own["items"]) == 12 and own["end_month"] == "2026-10"


def test_under_a_url_prefix(api, tiny_warehouse, tmp_path):
    app = _app(tiny_warehouse, tmp_path, url_prefix="/cockpit")
    token = app.server.config["COCKPIT_API_TOKENS"].add("prefixed", "220204")
    client = app.server.test_client()
    r = client.get("/cockpit/api/v1/requests.json?page_size=5", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.headers["Link"].startswith("</cockpit/api/v1/requests.json?")
    assert client.get("/api/v1/services.json", headers={"Authorization": f"Bearer {token}"}).status_code == 404


# -- nothing personal in any answer ---------------------------------------------------------------

ID_NUMBER, MOBILE = "11010519491231002X", "139-1234-5678"


@pytest.fixture(scope="module")
def leaky(api, tiny_warehouse, tiny_source, tmp_path_factory):
    """A copy of the served generation with ID and mobile numbers written into every text the
    API could read (addresses, descriptions, area, category and department names) and residents'
    full names into the free text (an area's name is served as it is: no names there); the
    answers must hold none of them."""
    from tests.browser.personal import PersonalData
    home = tmp_path_factory.mktemp("leaky")
    db = home / "leaky.duckdb"
    storage.single_file(served_db(tiny_warehouse), db)
    names = PersonalData(tiny_source, "")
    name = sorted(names.names)[0]
    with duckdb.connect(str(db)) as con:
        con.execute(f"UPDATE core.events SET address = address || ' 报警人{name} 电话{MOBILE} 身份证{ID_NUMBER}', "
                    f"description = '{name}（{ID_NUMBER}）来电 {MOBILE}', "
                    f"department = department || ' 值班１３９１２３４５６７８'")
        con.execute("UPDATE core.areas SET name = name || ' 网格员 13912345678'")     # names of areas are served
        con.execute(f"UPDATE core.event_categories SET subclass_name = subclass_name || ' 联系{ID_NUMBER}'")
    app = _app(db, home)
    token = app.server.config["COCKPIT_API_TOKENS"].add("leaky", "220204")
    return app.server.test_client(), token, name


def _strings(value, key=""):
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def test_no_personal_number_or_name_in_any_answer(api, leaky):
    client, token, name = leaky
    auth = {"Authorization": f"Bearer {token}"}
    one = client.get(f"{API}/requests.json?page_size=1", headers=auth).get_json()[0]["service_request_id"]
    urls = [f"{API}/services.json", f"{API}/requests/{one}.json", f"{API}/kpis.json?level=grid&page_size=1000",
            f"{API}/kpis.json?level=grid&area_code=220204001001001"]
    urls += [f"{API}/requests.json?start_date=2025-01-01&page_size=1000&page={p}" for p in range(1, 40)]
    areas = {r[0] for r in api["con"].execute("SELECT code FROM core.areas").fetchall()}
    checked = 0
    for url in urls:
        r = client.get(url, headers=auth)
        assert r.status_code == 200, url
        text = r.get_data(as_text=True)
        assert name not in text
        assert ID_NUMBER not in text and "1234-5678" not in text and "13912345678" not in text
        for key, s in [*_strings(r.get_json()), *(("header", v) for v in r.headers.values())]:
            checked += 1
            if key == "area_code" and s in areas:      # a grid's code (a key) may read as a 15-digit ID
                continue
            assert personal.find(s) == [], (url, key, s)
    assert checked > 100_000
