"""Security headers on every answer, signed in or not, refused or served; no-store on everything
but static files; the framing setting cannot inject anything into the policy."""
import pytest
from flask import Flask

from cockpit.headers import check_frame_ancestors, install
from tests.cockpit.web import UPDATE, body, client


def _assert_secure(r, static=False):
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'sha256-" in csp
    assert r.headers.get("X-Frame-Options") == "DENY"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Referrer-Policy") == "same-origin"
    assert ("no-store" in r.headers.get("Cache-Control", "")) is not static


def test_every_kind_of_answer_carries_the_headers(world, tiny_warehouse):
    anonymous = client(world)
    for r in (anonymous.get("/login"), anonymous.get("/"), anonymous.post(UPDATE, json={}),
              anonymous.get("/_dash-layout")):
        _assert_secure(r)
    admin, street = client(world, "admin"), client(world, "street")
    for r in (admin.get("/"), admin.get("/explorer"), admin.get("/_dash-layout"), admin.get("/_dash-dependencies"),
              street.get("/audit"),                                          # refused: a redirect
              street.post(UPDATE, json={"output": "no-such.children"}),       # 403
              street.post(UPDATE, json=[1, 2]),                               # 400
              street.get(f"/geo/x/community/{world['other_street']}.json"),   # 403
              street.get(f"/geo/x/community/{world['roles']['street'][1]}.json")):
        _assert_secure(r)
    _assert_secure(admin.get("/assets/cockpit.css"), static=True)


def test_data_answers_and_exports_are_not_stored(world):
    r = client(world, "street").post(UPDATE, json=body(world, "explorer-download", {("explorer-csv", "n_clicks"): 1}))
    assert r.status_code == 200 and "filename" in r.get_data(as_text=True)
    _assert_secure(r)


@pytest.mark.parametrize("bad", ["", "*", "'none' https://a.example", "https://a.example; script-src *",
                                 "https://a.example\r\nSet-Cookie: x=1", "javascript:alert(1)", "'unsafe-inline'"])
def test_the_framing_setting_refuses_what_is_not_a_source_list(bad):
    with pytest.raises(ValueError):
        check_frame_ancestors(bad)


@pytest.mark.parametrize("setting, xfo", [("'none'", "DENY"), ("'self'", "SAMEORIGIN"),
                                          ("'self' https://portal.example.gov.cn:8443", None)])
def test_embedding_follows_the_setting(setting, xfo):
    class FakeDash:                   # what install needs of an app: its server and inline-script hashes
        server = Flask("embed-test")
        csp_hashes = staticmethod(lambda: ["'sha256-abc='"])
    FakeDash.server.add_url_rule("/", "index", lambda: "ok")
    install(FakeDash, setting)
    r = FakeDash.server.test_client().get("/")
    assert f"frame-ancestors {setting}" in r.headers["Content-Security-Policy"]
    assert r.headers.get("X-Frame-Options") == xfo
