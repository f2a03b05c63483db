"""Sessions held on the server: signing out, disabling, resetting or changing a password ends a
session for every copy of its cookie, and a session ends when idle and at its absolute lifetime
however often its page polls; with the sessions in SQLite and in PostgreSQL."""
import time

import pytest

from cockpit.config import Settings
from tests.cockpit.web import PASSWORD, client


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, world):
    """The shared app (tests/cockpit/conftest.py), and its twin with the state in PostgreSQL."""
    return world if request.param == "sqlite" else request.getfixturevalue("pg_world")


COOKIE = "cockpit_session"
ASK = "/_dash-dependencies"          # any signed-in request


def _copy(world, c):
    """Another browser holding a copy of `c`'s session cookie."""
    other = world["app"].server.test_client()
    other.set_cookie(COOKIE, c.get_cookie(COOKIE).value)
    return other


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(world):
    c = client(world, "street")
    copy = _copy(world, c)
    assert copy.get(ASK).status_code == 200
    assert c.get("/logout").status_code == 302
    assert copy.get(ASK).status_code == 401 and c.get(ASK).status_code == 401
    assert client(world, "street").get(ASK).status_code == 200        # signing in again works


def test_disable_reset_and_password_change_end_every_session(world):
    store = world["app"].server.config["COCKPIT_ACCOUNTS"]
    store.add("moving", "社区书记", world["roles"]["community"][1], PASSWORD)
    for change in (lambda: store.set_password("moving", PASSWORD), lambda: store.set_status("moving", "停用")):
        browsers = [client(world, "moving") for _ in range(2)]
        copies = [_copy(world, b) for b in browsers]
        assert all(b.get(ASK).status_code == 200 for b in browsers + copies)
        change()
        assert all(b.get(ASK).status_code == 401 for b in browsers + copies)
    store.reset("moving")


def test_a_page_polling_all_day_is_signed_out_at_the_absolute_lifetime(world, monkeypatch):
    """Asked every 25 minutes (within the idle limit), the session still ends after
    `session_hours`; before, each request re-signed the cookie and it never ended."""
    settings = world["app"].server.config["COCKPIT_SETTINGS"]
    c = client(world, "grid")
    real, offset = time.time, [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])
    while offset[0] < settings.session_hours * 3600 - 25 * 60:
        assert c.get(ASK).status_code == 200, offset[0] / 3600
        offset[0] += 25 * 60
    offset[0] = settings.session_hours * 3600 + 60
    assert c.get(ASK).status_code == 401


def test_an_idle_session_ends(world, monkeypatch):
    settings = world["app"].server.config["COCKPIT_SETTINGS"]
    c = client(world, "grid")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + settings.session_idle_minutes * 60 + 60)
    assert c.get(ASK).status_code == 401


def test_the_cookie_carries_only_a_random_token(world):
    server = world["app"].server
    c = client(world, "street")
    content = server.session_interface.get_signing_serializer(server).loads(c.get_cookie(COOKIE).value)
    assert set(content) <= {"sid", "_permanent", "csrf"} and len(content["sid"]) >= 40
    assert "street" not in str(content)


def test_lifetimes_and_framing_come_from_the_environment():
    s = Settings.from_env({"COCKPIT_SESSION_IDLE_MINUTES": "15", "COCKPIT_SESSION_HOURS": "12",
                           "COCKPIT_FRAME_ANCESTORS": "'self' https://portal.example.gov.cn",
                           "COCKPIT_PEOPLE_PAGES_PER_HOUR": "50"})
    assert (s.session_idle_minutes, s.session_hours, s.people_pages_per_hour) == (15, 12, 50)
    assert s.frame_ancestors == "'self' https://portal.example.gov.cn"
