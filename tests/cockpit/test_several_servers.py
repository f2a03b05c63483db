"""Two real cockpit processes (`python app.py`) sharing their state, as two web servers behind one
proxy: the accounts, sessions, sign-in failures and audit log in one PostgreSQL database
(COCKPIT_DATABASE_URL), the cache and the API's rate limits in one Redis (COCKPIT_CACHE_URL), the
session key file alike. Whatever server a request lands on, the answer is the same: a sign-out,
a lockout, a throttle, a rate limit or a cached view made on one holds on the other, and both
write one unbroken audit chain."""
from __future__ import annotations

import http.client
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import urlparse

import pytest

from cockpit.api.tokens import TokenStore
from cockpit.audit import AuditLog
from tests.cockpit_process import TEST_PASSWORD, cockpit_process, http_session
from tests.servers import fresh_database

ASK = "_dash-dependencies"            # any signed-in request
API_PER_MINUTE = 8


@pytest.fixture(scope="module")
def servers(tiny_warehouse, postgres_url, redis_url, tmp_path_factory):
    home = tmp_path_factory.mktemp("several")
    with fresh_database(postgres_url) as database:
        env = {"COCKPIT_DATABASE_URL": database, "COCKPIT_CACHE_URL": redis_url,
               "COCKPIT_SECRET_KEY_FILE": str(home / "session.key"), "COCKPIT_REFRESH_SECONDS": "3600",
               "COCKPIT_API_PER_MINUTE": str(API_PER_MINUTE)}
        # each server its own SQLite files, as on two machines: they must stay unused
        unused = {name: {"COCKPIT_ACCOUNTS": str(home / f"{name}-accounts.sqlite"),
                         "COCKPIT_AUDIT": str(home / f"{name}-audit.sqlite"),
                         "COCKPIT_API_TOKENS": str(home / f"{name}-tokens.sqlite")} for name in ("one", "other")}
        accounts = [("T-STREET", "街道管理员", "220204001")]
        with cockpit_process(tiny_warehouse, env={**env, **unused["one"]}, accounts=accounts) as one, \
                cockpit_process(tiny_warehouse, env={**env, **unused["other"]}, accounts=accounts) as other:
            yield {"one": one, "other": other, "database": database, "home": home}
    assert not list(home.glob("*.sqlite"))


def status(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_session_opened_on_one_server_is_ended_by_signing_out_on_the_other(servers):
    jar = http.cookiejar.CookieJar()            # one browser; its cookie goes to either server
    browser = http_session(servers["one"], jar=jar)
    assert status(browser, servers["other"] + ASK) == 200
    assert status(browser, servers["other"] + "logout") == 200        # → the login page
    assert status(browser, servers["one"] + ASK) == 401
    assert status(browser, servers["other"] + ASK) == 401


class From:
    """Requests from a loopback address of one's own (the servers trust no proxy: it is the
    client's address), with a cookie jar of its own."""

    def __init__(self, source: str):
        self.source, self.cookies = source, {}

    def request(self, base: str, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        url = urlparse(base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, url.path + path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";")[0]
        conn.close()
        return response.status, text

    def sign_in(self, base: str, account: str, password: str) -> tuple[int, str]:
        _, form = self.request(base, "GET", "login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        return self.request(base, "POST", "login", {"account": account, "password": password, "csrf": csrf,
                                                    "next": "/"})


def test_a_lockout_and_the_address_throttle_count_on_both_servers(servers):
    one, other = servers["one"], servers["other"]
    guesser = From("127.0.0.7")
    for i in range(5):                          # five wrong passwords, alternately on each server
        assert guesser.sign_in((one, other)[i % 2], "T-STREET", "wrong")[0] == 401
    locked = From("127.0.0.8")                  # the account is locked everywhere, whoever asks
    assert locked.sign_in(one, "T-STREET", TEST_PASSWORD)[0] == 401
    assert locked.sign_in(other, "T-STREET", TEST_PASSWORD)[0] == 401
    for i in range(15):                         # the address's twentieth failure, over both servers
        guesser.sign_in((one, other)[i % 2], f"nobody{i}", "wrong")
    code, page = guesser.sign_in(one, "T-ADMIN", TEST_PASSWORD)
    assert code == 401 and "失败次数过多" in page
    code, page = guesser.sign_in(other, "T-ADMIN", TEST_PASSWORD)
    assert code == 401 and "失败次数过多" in page
    assert From("127.0.0.9").sign_in(other, "T-ADMIN", TEST_PASSWORD)[0] == 302    # another client is not


def test_the_api_rate_limit_is_one_allowance_across_both_servers(servers):
    token = TokenStore(servers["database"]).add("both-servers", "220204")
    codes = []
    for i in range(2 * API_PER_MINUTE):
        request = urllib.request.Request((servers["one"], servers["other"])[i % 2] + "api/v1/services.json",
                                         headers={"Authorization": f"Bearer {token}"})
        codes.append(_get(request))
    passed = codes.count(200)
    assert codes[:API_PER_MINUTE] == [200] * API_PER_MINUTE
    assert API_PER_MINUTE <= passed <= API_PER_MINUTE + 1 and codes[-1] == 429, codes


def _get(request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _cache_lookups(base: str, function: str) -> dict[str, int]:
    with urllib.request.urlopen(base + "metrics", timeout=60) as r:
        text = r.read().decode()
    found = re.findall(rf'cockpit_cache_lookups_total{{function="{re.escape(function)}",result="(\w+)",origin="request"}} (\d+)', text)
    return {result: int(n) for result, n in found}


def test_a_view_computed_on_one_server_is_served_from_the_cache_by_the_other(servers):
    browser = http_session(servers["one"])
    layer = "geo/any/street/220204.json"
    assert status(browser, servers["one"] + layer) == 200
    assert _cache_lookups(servers["one"], "geometry._layer").get("miss", 0) >= 1
    before = _cache_lookups(servers["other"], "geometry._layer")
    assert status(browser, servers["other"] + layer) == 200
    after = _cache_lookups(servers["other"], "geometry._layer")
    assert after.get("hit", 0) == before.get("hit", 0) + 1 and after.get("miss", 0) == before.get("miss", 0)


def test_both_servers_write_one_unbroken_audit_chain(servers):
    browser = http_session(servers["one"])
    status(browser, servers["other"] + "logout")
    log = AuditLog(servers["database"])
    verdict = log.verify()
    actions = set(log.recent(1000)["action"])
    assert verdict.ok and verdict.records > 2 and {"login", "logout"} <= actions, verdict
