"""Served under a sub-path (COCKPIT_URL_PREFIX=/cockpit), as behind https://host/cockpit/: every
route, redirect, asset, Dash request and /geo URL stays under it, and the page gate reads the
page the way Dash's router does, prefix and all."""
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.cockpit_process import TEST_PASSWORD, cockpit_process, http_session, post_callback

PREFIX = "/cockpit"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _opener(jar=None):
    return urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPCookieProcessor(
        jar if jar is not None else http.cookiejar.CookieJar()))


def _get(opener, url):
    try:
        with opener.open(url, timeout=60) as r:
            return r.status, dict(r.headers), r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode(errors="replace")


@pytest.fixture(scope="module")
def served(tiny_warehouse, tiny_db):
    import duckdb
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        street, dept = con.execute(
            "SELECT (SELECT min(code) FROM core.areas WHERE level = 'street'), (SELECT department FROM core.events "
            "WHERE department IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)").fetchone()
    accounts = [("T-STREET", "街道管理员", street), ("T-DEPT", "部门处置员", dept)]
    with cockpit_process(tiny_warehouse, accounts=accounts,
                         env={"COCKPIT_URL_PREFIX": PREFIX, "COCKPIT_REFRESH_SECONDS": "3600"}) as url:
        assert url.endswith(PREFIX + "/")
        yield url


@pytest.fixture(scope="module")
def admin_jar(served):
    jar = http.cookiejar.CookieJar()
    http_session(served, jar=jar)
    return jar


def _values(tree, key):
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key and isinstance(v, str):
                yield v
            yield from _values(v, key)
    elif isinstance(tree, list):
        for v in tree:
            yield from _values(v, key)


def _root(url: str) -> str:
    return url[: -len(PREFIX) - 1]


def test_outside_the_prefix_nothing_is_served(served):
    root = _root(served)
    assert _get(_opener(), root + "/")[0] == 404
    assert _get(_opener(), root + "/login")[0] == 404
    status, headers, _ = _get(_opener(), root + PREFIX)
    assert status == 308 and headers["Location"] == PREFIX + "/"


def test_signing_in_and_out_stays_under_the_prefix(served):
    opener = _opener()
    status, headers, _ = _get(opener, served + "map")
    assert status == 302 and headers["Location"] == f"{PREFIX}/login?next=/map"
    status, _, form = _get(opener, served + "login?next=/map")
    assert status == 200 and f'action="{PREFIX}/login"' in form
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"account": "T-ADMIN", "password": TEST_PASSWORD, "csrf": csrf,
                                   "next": "/map"}).encode()
    try:
        opener.open(served + "login", data=data, timeout=60)
        raise AssertionError("no redirect after signing in")
    except urllib.error.HTTPError as e:
        assert e.code == 302 and e.headers["Location"] == f"{PREFIX}/map"
    status, _, page = _get(opener, served + "map")
    assert status == 200
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert config["requests_pathname_prefix"] == PREFIX + "/"
    local = re.findall(r'(?:src|href)="(/[^"]*)"', page)
    assert local and all(u.startswith(PREFIX + "/") for u in local), local
    status, headers, _ = _get(opener, served + "logout")
    assert status == 302 and headers["Location"] == f"{PREFIX}/login"


def test_a_department_lands_on_its_page_under_the_prefix(served):
    jar = http.cookiejar.CookieJar()
    http_session(served, "T-DEPT", jar=jar)
    status, headers, _ = _get(_opener(jar), served)
    assert status == 302 and headers["Location"] == f"{PREFIX}/explorer"


def test_layout_links_assets_and_polygons_are_under_the_prefix(served, admin_jar):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(admin_jar))
    status, out = post_callback(opener, served, [("_pages_content", "children"), ("_pages_store", "data")],
                                [("_pages_location", "pathname", PREFIX + "/map"),
                                 ("_pages_location", "search", "")])
    assert status == 200
    text = json.dumps(out, ensure_ascii=False)
    assert f'"topojsonURL": "{PREFIX}/assets/topojson/"' in text
    hrefs = list(_values(json.loads(_get(_opener(admin_jar), served + "_dash-layout")[2]), "href"))
    assert f"{PREFIX}/logout" in hrefs and f"{PREFIX}/map" in hrefs
    assert all(h.startswith(PREFIX + "/") for h in hrefs), hrefs
    status, out = post_callback(
        opener, served, [("grid-map-graph", "figure"), ("grid-map-drawn", "data"), ("grid-map-crumbs", "children"),
                         ("grid-map-title", "children"), ("grid-map-note", "children"),
                         ("grid-map-ranking", "children")],
        [("grid-map-position", "data", None), ("grid-map-metric", "value", "events"),
         ("grid-map-period", "value", "30"), ("frame-generation", "data", None)],
        [("grid-map-drawn", "data", None)])
    assert status == 200
    geo = out["grid-map-graph"]["figure"]["data"][0]["geojson"]
    assert geo.startswith(PREFIX + "/geo/")
    status, _, body = _get(_opener(admin_jar), _root(served) + geo)
    assert status == 200 and json.loads(body)["type"] == "FeatureCollection"
    assert _get(_opener(admin_jar), _root(served) + f"{PREFIX}/assets/topojson/world_110m.json")[0] == 200


def test_the_gate_reads_the_page_as_dash_routes_it(served):
    """A street account may not open 数据健康 (/health) however the path is written."""
    opener = http_session(served, "T-STREET")
    for path in (PREFIX + "/health", PREFIX + "//health", PREFIX + "/health/"):
        status, _ = post_callback(opener, served, [("_pages_content", "children"), ("_pages_store", "data")],
                                  [("_pages_location", "pathname", path), ("_pages_location", "search", "")])
        assert status == 403, path
    status, _ = post_callback(opener, served, [("_pages_content", "children"), ("_pages_store", "data")],
                              [("_pages_location", "pathname", "/health"), ("_pages_location", "search", "")])
    assert status == 400                          # not under the prefix: Dash would not route it


segments = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.%~", min_size=1, max_size=12),
                    min_size=0, max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=segments.map("/".join), signed_in=st.booleans(), query=st.sampled_from(["", "?next=/map", "?a=1&b=2"]))
def test_every_redirect_stays_under_the_prefix(served, admin_jar, path, signed_in, query):
    opener = _opener(admin_jar if signed_in else http.cookiejar.CookieJar())
    status, headers, _ = _get(opener, served + urllib.parse.quote(path, safe="/%~") + query)
    if 300 <= status < 400:
        assert headers["Location"].startswith(PREFIX + "/"), (path, headers["Location"])
