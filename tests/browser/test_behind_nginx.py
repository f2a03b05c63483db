"""The install kit's nginx site (deploy/nginx/cockpit.conf) in front of a real cockpit, as a
centre runs it: Debian's nginx started by the test as its own process (its own prefix, pid and
logs, free ports, a certificate made here), HTTPS, the cockpit under /cockpit/ trusting only
that nginx. Signing in, the pages and their polygons work through it, and the sign-in throttle
counts each client, not the proxy: clients come from 127.0.0.2 and 127.0.0.3 (Linux routes the
whole 127/8 to the loopback), nginx from 127.0.0.1."""
from __future__ import annotations

import http.client
import http.cookies
import json
import re
import ssl
import urllib.parse
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser.helpers import LOCAL_HOSTS, screenshot, under_csp
from tests.cockpit_process import TEST_PASSWORD, cockpit_process
from tests.nginx import nginx_in_front

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def behind(tiny_warehouse, key_file, role_accounts, tmp_path_factory):
    """(https base URL, http base URL, the cockpit's folder): nginx in front of the cockpit."""
    from warehouse.vault import vault_key_path
    home = tmp_path_factory.mktemp("behind-nginx")
    accounts = [(a, role, area) for a, (role, area) in role_accounts.items()]
    env = {"COCKPIT_URL_PREFIX": "/cockpit", "COCKPIT_TRUSTED_PROXIES": "127.0.0.1",
           "COCKPIT_SECURE_COOKIES": "1", "COCKPIT_AUDIT": str(home / "audit.sqlite"),
           "COCKPIT_ACCESS_LOG": str(home / "access.log"), "COCKPIT_REFRESH_SECONDS": "3600",
           "COCKPIT_VAULT_KEY_FILE": str(vault_key_path(key_file))}
    with cockpit_process(tiny_warehouse, accounts=accounts, env=env) as app_url, \
            nginx_in_front([urlparse(app_url).port], home) as (https, http):
        yield https, http, home


class Client:
    """An HTTPS client from a given loopback address, with its own cookies."""

    def __init__(self, base: str, source: str, ca: Path):
        self.port, self.source = urlparse(base).port, source
        self.context = ssl.create_default_context(cafile=str(ca))
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=60,
                                           source_address=(self.source, 0))
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie(value)
            self.cookies.update({k: m.value for k, m in jar.items()})
        conn.close()
        return response.status, response.headers, text

    def sign_in(self, account: str, password: str, headers: dict | None = None):
        status, _, form = self.request("GET", "/cockpit/login", headers=headers)
        assert status == 200, form
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        return self.request("POST", "/cockpit/login", {"account": account, "password": password,
                                                       "csrf": csrf, "next": "/"}, headers)


def test_plain_http_is_sent_to_https(behind):
    _, base_http, _ = behind
    conn = http.client.HTTPConnection("127.0.0.1", urlparse(base_http).port, timeout=30)
    conn.request("GET", "/cockpit/map")
    response = conn.getresponse()
    assert response.status == 301 and response.headers["Location"].startswith("https://127.0.0.1")
    assert response.headers["Location"].endswith("/cockpit/map")


def test_sign_in_pages_and_polygons_through_nginx(behind, browser, personal):
    base, _, home = behind
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                                  ignore_https_errors=True)
    blocked, failed, errors, geo = [], [], [], []

    def guard(route):
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()
    context.route("**/*", guard)
    page = under_csp(context.new_page())
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def seen(response):
        path = urlparse(response.url).path
        if response.status >= 400:
            failed.append((response.status, response.url))
        if "/geo/" in path:
            geo.append((response.status, path))
    page.on("response", seen)
    try:
        page.goto(base + "/")                                    # nginx → /cockpit/ → the login form
        assert urlparse(page.url).path == "/cockpit/login"
        page.fill("#account", "T-ADMIN")
        page.fill("#password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda u: urlparse(u).path == "/cockpit/")
        page.wait_for_function("(() => { const e = document.querySelector('#kpi-residents'); "
                               "return e && e.innerText !== '—' && !e.dataset.rolling; })()")
        page.wait_for_function("document.querySelectorAll('#community-map path.choroplethlocation').length > 0")
        screenshot(page, "behind_nginx_screen")
        page.goto(base + "/cockpit/map")
        page.wait_for_function("document.querySelectorAll('#grid-map-graph path.choroplethlocation').length > 0")
        screenshot(page, "behind_nginx_map")
        page.click("a.nav-link[href='/cockpit/workflow']")       # the frame's own links
        page.wait_for_url(lambda u: urlparse(u).path == "/cockpit/workflow")
        page.wait_for_function("(() => { const e = document.querySelector('#workflow-due'); "
                               "return e && /\\d/.test(e.innerText); })()")
        page.wait_for_selector("#workflow-overdue .ag-row [role=gridcell]")     # the grid's script, under the prefix
        screenshot(page, "behind_nginx_workflow")
        page.click(".nav-logout")
        page.wait_for_url(lambda u: urlparse(u).path == "/cockpit/login")
    finally:
        context.close()
    assert blocked == [] and failed == [] and errors == [], (blocked, failed, errors)
    assert geo and all(status == 200 and path.startswith("/cockpit/geo/") for status, path in geo), geo
    lines = [json.loads(line) for line in (home / "access.log").read_text(encoding="utf-8").splitlines()]
    assert {"T-ADMIN"} <= {line["account"] for line in lines}
    assert {"/", "/map", "/workflow"} <= {line["page"] for line in lines if line["handler"] == "render"}


def test_the_sign_in_throttle_counts_each_client_not_the_proxy(behind):
    base, _, home = behind
    ca = home / "cockpit.crt"
    a, b = Client(base, "127.0.0.2", ca), Client(base, "127.0.0.3", ca)
    for i in range(20):                     # names that do not exist: no account is locked
        status, _, _ = a.sign_in(f"guess{i % 4}", "wrong")
        assert status == 401
    status, _, page = a.sign_in("T-ADMIN", TEST_PASSWORD)
    assert status == 401 and "失败次数过多" in page
    # posing as another client changes nothing: nginx appends the address it saw
    status, _, page = a.sign_in("T-ADMIN", TEST_PASSWORD, headers={"X-Forwarded-For": "127.0.0.3"})
    assert status == 401 and "失败次数过多" in page
    status, headers, _ = b.sign_in("T-ADMIN", TEST_PASSWORD)
    assert status == 302 and headers["Location"] == "/cockpit/"
    status, _, _ = b.request("GET", "/cockpit/workflow")
    assert status == 200
    import sqlite3
    with sqlite3.connect(home / "audit.sqlite") as con:
        rows = dict(con.execute("SELECT action, group_concat(DISTINCT address) FROM audit "
                                "WHERE action IN ('login', 'login_failed') GROUP BY action").fetchall())
    assert rows["login_failed"] == "127.0.0.2" and "127.0.0.3" in rows["login"].split(",")


def test_health_through_nginx_and_metrics_only_for_the_monitoring_address(behind):
    base, _, home = behind
    outside, local = Client(base, "127.0.0.2", home / "cockpit.crt"), Client(base, "127.0.0.1", home / "cockpit.crt")
    assert outside.request("GET", "/cockpit/healthz")[0] == 200
    assert outside.request("GET", "/cockpit/metrics")[0] == 403
    assert outside.request("GET", "/cockpit/readyz", headers={"X-Forwarded-For": "127.0.0.1"})[0] == 403
    status, _, text = local.request("GET", "/cockpit/metrics")
    assert status == 200 and "cockpit_requests_total{" in text and "cockpit_generation_age_seconds" in text
