"""Serving in a real centre (cockpit/ops): the client's address behind a proxy, the sign-in
throttle per client, health and metrics without a session and only for the monitoring addresses,
the access log, and no data while the account store is empty."""
import ipaddress
import json
import re
import time

import duckdb
import pytest
from hypothesis import given, strategies as st

from cockpit import ids
from cockpit.app import create_app
from cockpit.config import Settings
from cockpit.ops.proxy import client_address, networks
from tests.conftest import served_db

PROXY = "10.0.0.1"
PASSWORD = "serving-password"
UPDATE = "/_dash-update-component"


@pytest.fixture
def fresh_app(world, tiny_warehouse, tmp_path):
    """A factory of apps with their own settings and stores. Dash hands the callbacks declared
    at import to the first app of the process that serves a request: the shared app (`world`)
    serves one first, so these apps, which the tests here never ask for a callback, take none."""
    world["app"].server.test_client().get("/login").close()
    return lambda accounts=True, **settings: _app(tiny_warehouse, tmp_path, accounts, **settings)


def _app(tiny_warehouse, tmp_path, accounts=True, **settings):
    app = create_app(Settings(warehouse=tiny_warehouse, accounts=tmp_path / "accounts.sqlite",
                              audit=tmp_path / "audit.sqlite", secret_key_file=tmp_path / "session.key",
                              **settings))
    if accounts:
        app.server.config["COCKPIT_ACCOUNTS"].add("admin", "区级管理员", "2202", PASSWORD)
    return app


def _login(client, account, password, peer, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    env = {"REMOTE_ADDR": peer}
    page = client.get("/login", environ_base=env, headers=headers).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"account": account, "password": password, "csrf": csrf,
                                           "next": "/"}, environ_base=env, headers=headers)
    response.get_data()              # read to the end: the access log writes its line then
    return response


# -- the client's address -------------------------------------------------------------------

ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
TRUSTED = networks(["10.0.0.0/24", "::1"])


@given(peer=ips.filter(lambda a: ipaddress.ip_address(a) not in ipaddress.ip_network("10.0.0.0/24")
                       and a != "::1"),
       forwarded=st.lists(st.one_of(ips, junk), max_size=6).map(", ".join))
def test_a_forwarded_header_from_an_untrusted_peer_is_not_believed(peer, forwarded):
    assert client_address(peer, forwarded, TRUSTED) == peer


@given(client=ips.filter(lambda a: not ipaddress.ip_address(a).is_loopback
                         and ipaddress.ip_address(a) not in ipaddress.ip_network("10.0.0.0/24")
                         and not (ipaddress.ip_address(a).version == 6 and ipaddress.ip_address(a).ipv4_mapped)),
       forged=st.lists(st.one_of(ips, junk.filter(lambda t: "," not in t)), max_size=5),
       proxies=st.lists(st.sampled_from(["10.0.0.7", "10.0.0.200", "::1"]), max_size=3))
def test_behind_trusted_proxies_the_client_is_the_rightmost_untrusted_hop(client, forged, proxies):
    """Whatever a client writes into the header itself (left of what the proxies append)."""
    header = ", ".join([*forged, client, *proxies])
    assert client_address(PROXY, header, TRUSTED) == str(ipaddress.ip_address(client))


def test_garbage_where_a_proxy_writes_an_address_stops_at_the_proxy():
    assert client_address(PROXY, "198.51.100.7, not-an-address", TRUSTED) == PROXY
    assert client_address(PROXY, "", TRUSTED) == PROXY
    assert client_address("::ffff:10.0.0.1", "198.51.100.7", TRUSTED) == "198.51.100.7"
    with pytest.raises(ValueError):
        networks(["10.0.0.0/33"])


def test_the_sign_in_throttle_is_per_client_through_a_proxy(fresh_app):
    """Twenty failures from one client behind the proxy refuse that client, not the others;
    a forged X-Forwarded-For moves neither it nor a client that connects directly."""
    app = fresh_app(trusted_proxies=(PROXY,))
    client, a, b = app.server.test_client(), "198.51.100.7", "198.51.100.8"
    for i in range(20):                      # spread over names that do not exist: no account locks
        assert _login(client, f"guess{i % 4}", "wrong", PROXY, a).status_code == 401
    refused = _login(client, "admin", PASSWORD, PROXY, a)
    assert refused.status_code == 401 and "失败次数过多" in refused.get_data(as_text=True)
    assert _login(client, "admin", PASSWORD, PROXY, f"{b}, {a}").status_code == 401   # forged hop on the left
    assert _login(app.server.test_client(), "admin", PASSWORD, PROXY, b).status_code == 302
    audit = app.server.config["COCKPIT_AUDIT"].recent(100)
    assert set(audit.loc[audit["action"] == "login_failed", "address"]) == {a}
    assert set(audit.loc[audit["action"] == "login", "address"]) == {b}


def test_a_forged_header_from_a_direct_client_changes_nothing(fresh_app):
    app = fresh_app(trusted_proxies=(PROXY,))
    client, a = app.server.test_client(), "198.51.100.7"
    for i in range(20):                      # a new made-up address each time: all still `a`
        assert _login(client, f"guess{i % 4}", "wrong", a, f"203.0.113.{i}").status_code == 401
    assert "失败次数过多" in _login(client, "admin", PASSWORD, a, "203.0.113.99").get_data(as_text=True)
    audit = app.server.config["COCKPIT_AUDIT"].recent(100)
    assert set(audit["address"]) == {a}


# -- health, readiness, metrics ----------------------------------------------------------------

def _area_words(tiny_warehouse) -> set[str]:
    with duckdb.connect(str(served_db(tiny_warehouse)), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT name, code FROM core.areas").fetchall()
    return {name for name, _ in rows} | {code for _, code in rows if len(code) >= 6}


def test_health_answers_without_a_session_and_monitoring_only_to_its_addresses(fresh_app, tiny_warehouse):
    app = fresh_app(trusted_proxies=(PROXY,), monitor_from=("127.0.0.1", "192.0.2.0/24"))
    c = app.server.test_client()
    outside, inside = {"REMOTE_ADDR": "198.51.100.7"}, {"REMOTE_ADDR": "192.0.2.5"}
    assert c.get("/healthz", environ_base=outside).get_data(as_text=True) == "ok\n"
    for path in ("/readyz", "/metrics"):
        assert c.get(path, environ_base=outside).status_code == 403
        # through the proxy, the client decides, not the proxy's own address
        assert c.get(path, environ_base={"REMOTE_ADDR": PROXY},
                     headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 403
        assert c.get(path, environ_base={"REMOTE_ADDR": PROXY},
                     headers={"X-Forwarded-For": "192.0.2.9"}).status_code == 200
        assert c.get(path, environ_base=inside).status_code == 200
    ready = c.get("/readyz", environ_base=inside).get_json()
    assert ready["status"] == "ready" and ready["accounts"] is True
    generation = ready["generation"]
    assert generation["generation"] and generation["age_seconds"] >= 0 and generation["data_age_seconds"] > 0
    assert generation["warnings"] == {"lagging": False, "lag_seconds": 0.0}
    assert 0 <= generation["quarantine_share"] < 0.05
    text = c.get("/readyz", environ_base=inside).get_data(as_text=True) \
        + c.get("/metrics", environ_base=inside).get_data(as_text=True)
    assert not [w for w in _area_words(tiny_warehouse) if w in text]


def test_readyz_says_when_nothing_is_published(world, tmp_path):
    world["app"].server.test_client().get("/login").close()      # see fresh_app
    app = _app(tmp_path / "no-warehouse", tmp_path)
    r = app.server.test_client().get("/readyz")
    assert r.status_code == 503 and "does not open" in r.get_json()["problems"][0]
    assert "cockpit_ready 0" in app.server.test_client().get("/metrics").get_data(as_text=True)


def test_readyz_is_not_ready_while_the_state_database_does_not_answer(fresh_app, postgres_url):
    """Several servers keep accounts and sessions in PostgreSQL: while it does not answer nobody
    can sign in, so the load balancer must take the server out."""
    import psycopg

    from tests.servers import fresh_database
    with fresh_database(postgres_url) as url:
        app = fresh_app(database_url=url)
        c = app.server.test_client()
        before = c.get("/readyz")
        assert before.status_code == 200 and before.get_json()["state_store"] is True
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(postgres_url, autocommit=True) as admin:     # as a server going away
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        after = c.get("/readyz")
        report = after.get_json()
        assert after.status_code == 503 and report["state_store"] is False
        assert report["problems"] == ["state store does not answer: PoolTimeout"]
        assert _metric(c.get("/metrics").get_data(as_text=True), "cockpit_state_store_up") == 0
        with psycopg.connect(postgres_url, autocommit=True) as admin:     # back: ready again, once
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")   # the pool reconnects
        deadline = time.monotonic() + 90
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "still not ready 90 s after the database came back"
            time.sleep(1)


def test_a_shared_cache_that_does_not_answer_is_reported_but_keeps_the_server_in(fresh_app, redis_url):
    up = fresh_app(cache_url=redis_url).server.test_client()
    assert up.get("/readyz").get_json()["cache"] is True
    assert _metric(up.get("/metrics").get_data(as_text=True), "cockpit_cache_up") == 1
    # the same store as `up` (its account): only the cache differs; nothing listens on port 1
    down = fresh_app(accounts=False, cache_url="redis://127.0.0.1:1/0").server.test_client()
    r = down.get("/readyz")
    assert r.status_code == 200 and r.get_json()["cache"] is False
    assert r.get_json()["problems"] == ["cache (Redis) does not answer"]
    assert _metric(down.get("/metrics").get_data(as_text=True), "cockpit_cache_up") == 0
    assert "cache" not in fresh_app(accounts=False).server.test_client().get("/readyz").get_json()


def _metric(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.partition(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def _total(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


def test_metrics_count_pages_callbacks_and_cache_by_closed_labels(world):
    """On the shared app (Dash gives the frame's callbacks to the first app of a process)."""
    from tests.cockpit.web import client, post
    app = world["app"]

    def scrape():
        return app.server.test_client().get("/metrics").get_data(as_text=True)

    def count(text, **labels):
        return _metric(text, "cockpit_requests_total", **labels) or 0
    before = scrape()
    c = client(world, "admin")
    page = c.get("/map")
    assert page.status_code == 200 and page.get_data()        # read to the end: then it is counted
    assert post(c, world, "_pages_content", {("_pages_location", "pathname"): "/map"})[0] == 200
    for _ in range(2):
        assert post(c, world, ids.GENERATION, {(ids.FRAME_TICK, "n_intervals"): 1})[0] == 200
    for _ in range(2):                                         # a cached view: a miss, then a hit
        assert post(c, world, "explorer-table", {})[0] == 200
    c.get("/no/such/page?q=张三13912345678").get_data()        # made-up paths and query text
    c.post(UPDATE, json={"output": "张三.children"}).get_data()
    text = scrape()
    for labels, more in (({"page": "/map", "handler": "page", "status": "200"}, 1),
                         ({"page": "/map", "handler": "render", "status": "200"}, 1),
                         ({"page": "frame", "handler": "layout.follow_generation", "status": "200"}, 2),
                         ({"page": "-", "handler": "other", "status": "200"}, 1),     # Dash's 404 page
                         ({"page": "-", "handler": "callback?", "status": "403"}, 1)):
        assert count(text, **labels) - count(before, **labels) == more, labels
    assert (_metric(text, "cockpit_request_seconds_count", page="/map", handler="page")
            - (_metric(before, "cockpit_request_seconds_count", page="/map", handler="page") or 0)) == 1
    assert _total(text, "cockpit_cache_lookups_total") > _total(before, "cockpit_cache_lookups_total")
    assert count(text, page="/explorer", handler="explorer.update_table", status="200") \
        - count(before, page="/explorer", handler="explorer.update_table", status="200") == 2
    assert "张三" not in text and "no/such" not in text and "13912345678" not in text
    assert _metric(text, "cockpit_generation_age_seconds") >= 0
    assert _metric(text, "cockpit_refresh_last_outcome", status="published") == 1
    assert _metric(text, "cockpit_refresh_last_duration_seconds") > 0
    assert _metric(text, "cockpit_quarantine_share") is not None
    assert _metric(text, "cockpit_ready") == 1


def test_cached_views_count_hits(fresh_app):
    from cockpit.cache import cache
    app = fresh_app()
    calls = []

    @cache.memoize()
    def answer(x):
        calls.append(x)
        return x * 2
    with app.server.app_context():
        answer(21), answer(21)
    text = app.server.config["COCKPIT_METRICS"].render()
    assert calls == [21]
    assert _metric(text, "cockpit_cache_lookups_total", function="test_serving.answer", result="hit",
                   origin="request") == 1
    assert _metric(text, "cockpit_cache_lookups_total", function="test_serving.answer", result="miss",
                   origin="request") == 1


# -- the access log --------------------------------------------------------------------------

def test_the_access_log_names_account_page_status_and_time_never_the_request_text(fresh_app, tmp_path):
    log = tmp_path / "logs" / "access.log"
    app = fresh_app(access_log=str(log), access_log_max_mb=0.002, access_log_backups=2)
    c = app.server.test_client()
    c.get("/map?q=张三13912345678").close()                      # signed out: redirected
    assert _login(c, "admin", PASSWORD, "127.0.0.1").status_code == 302
    shown = c.get("/map?name=李四&id=220204198001011232")
    assert shown.status_code == 200 and shown.get_data()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {"time", "account", "page", "handler", "method", "status", "ms"} <= set(lines[0])
    assert lines[0]["account"] == "" and lines[0]["status"] == 302 and lines[0]["page"] == "/map"
    assert lines[-1]["account"] == "admin" and lines[-1]["status"] == 200 and lines[-1]["page"] == "/map"
    text = log.read_text(encoding="utf-8")
    assert "张三" not in text and "李四" not in text and "1398" not in text and "19800101" not in text
    for _ in range(40):                                          # ~2 KB per file: rotated, two kept
        c.get("/healthz").close()
    rotated = sorted(p.name for p in log.parent.iterdir())
    assert rotated == ["access.log", "access.log.1", "access.log.2"]


# -- an empty account store ------------------------------------------------------------------

def test_an_empty_account_store_serves_nothing_but_how_to_create_the_first_administrator(fresh_app):
    app = fresh_app(accounts=False)
    c = app.server.test_client()
    for path in ("/", "/login", "/map", "/_dash-layout", "/assets/cockpit.css"):
        r = c.get(path)
        assert r.status_code == 503, path
        assert "python -m cockpit.accounts add" in r.get_data(as_text=True) and "区级管理员" in r.get_data(as_text=True)
    assert c.post(UPDATE, json={"output": "x.children"}).status_code == 503
    assert c.get("/healthz").status_code == 200
    ready = c.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["accounts"] is False
    app.server.config["COCKPIT_ACCOUNTS"].add("first", "区级管理员", "2202", PASSWORD)   # no restart
    assert _login(c, "first", PASSWORD, "127.0.0.1").status_code == 302
    assert c.get("/readyz").status_code == 200
