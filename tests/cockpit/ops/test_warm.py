"""Warming (cockpit/ops/warm.py): once a generation is served, the views of every jurisdiction with
a live session are computed before its screens ask, as its requests would compute them."""
import os

import pytest

from cockpit.accounts import Account
from cockpit.app import create_app
from cockpit.cache import cache
from cockpit.config import Settings
from cockpit.ops import warm
from etl import storage
from tests.cockpit import signed_in
from tests.cockpit.conftest import first_areas
from tests.conftest import served_db


@pytest.fixture
def one_file(tiny_warehouse, tmp_path):
    """A single-file warehouse: touching it publishes a "new" generation."""
    db = tmp_path / "one.duckdb"
    storage.single_file(served_db(tiny_warehouse), db)
    return db


def _app(warehouse, home, **settings):
    return create_app(Settings(warehouse=warehouse, accounts=home / "accounts.sqlite", audit=home / "audit.sqlite",
                               labels=home / "labels.sqlite", secret_key_file=home / "session.key", **settings))


def _sign_in(app, account_id: str, role: str, area: str) -> Account:
    store = app.server.config["COCKPIT_ACCOUNTS"]
    store.add(account_id, role, area, "Passw0rd-long-enough")
    store.sessions.start(account_id, app.server.config["COCKPIT_LIFETIME"])
    return store.get(account_id)


def _screens(app, account: Account) -> list:
    """What the account's big screen, phone view and 预警研判 ask for, as their callbacks do."""
    from cockpit.pages import mobile, screen, warning
    with signed_in(app, account):
        return [repr(screen.refresh_overview(0)), repr(screen.refresh_columns(0)), repr(screen.refresh_boards(0)),
                repr(mobile.refresh_mobile(0)),
                repr(warning.warning_data(warning.warehouse(), warning.viewer_scope()))]


def test_a_served_generation_is_computed_for_each_signed_in_jurisdiction(one_file, tiny_warehouse, tmp_path,
                                                                          counted):
    app = _app(one_file, tmp_path)
    first = first_areas(tiny_warehouse)
    leader = _sign_in(app, "leader", "指挥长", first["district"])
    grid = _sign_in(app, "grid", "专职网格员", first["grid"])
    _sign_in(app, "leader-2", "指挥长", first["district"])              # the same jurisdiction: once
    store = app.server.config["COCKPIT_ACCOUNTS"]
    store.add("street", "街道管理员", first["street"], "Passw0rd-long-enough")     # no session: not warmed
    street = store.get("street")
    cache.clear()

    assert [(a.area_code, len(views)) for a, views in warm.jurisdictions(app)] == \
        [(first["district"], 5), (first["grid"], 5)]                 # widest first; 3 + 1 + 1 views
    assert warm.warm(app, warm.served(app)) == 10 and len(counted) > 0
    asked = len(counted)
    for account in (leader, grid):
        _screens(app, account)
    assert len(counted) == asked                                      # every one from the cache
    _screens(app, street)
    assert len(counted) > asked


def test_what_is_warmed_is_what_a_request_computes(one_file, tmp_path):
    """Under a URL prefix too: the map's polygons are named by the cockpit's own path."""
    app = _app(one_file, tmp_path, url_prefix="/cockpit")
    account = _sign_in(app, "admin", "区级管理员", "2202")
    from cockpit.pages import screen
    cache.clear()
    warm.warm(app, warm.served(app))
    warmed = _screens(app, account)
    cache.clear()
    with app.server.test_request_context("/", base_url="http://localhost/cockpit"):
        from flask import g
        g.account = account
        assert repr(screen.refresh_overview(0)) == warmed[0]
    assert "/cockpit/geo/" in warmed[0]


def test_a_new_generation_is_warmed_once_and_a_stale_one_is_left(one_file, tiny_warehouse, tmp_path, counted,
                                                                   monkeypatch):
    app = _app(one_file, tmp_path)
    account = _sign_in(app, "leader", "指挥长", first_areas(tiny_warehouse)["district"])
    cache.clear()
    warmed, real = [], warm.warm
    monkeypatch.setattr(warm, "warm", lambda app, generation, *a: warmed.append(generation) or real(app, generation, *a))
    warmer = warm.Warmer(app, every=60)
    warmer.turn()
    first, asked = warmer.warmed, len(counted)
    assert warmed == [first] == [warm.served(app)] and asked > 0
    warmer.turn()                                                     # nothing new: nothing warmed
    assert warmed == [first]
    os.utime(one_file, ns=(os.stat(one_file).st_atime_ns, os.stat(one_file).st_mtime_ns + 10**9))  # published
    warmer.turn()
    assert warmer.warmed != first and warmed == [first, warmer.warmed] and len(counted) > asked
    asked = len(counted)
    _screens(app, account)
    assert len(counted) == asked
    # a generation replaced while it was being warmed: left for the new one
    assert warm.warm(app, "an-older-generation") == 0


def test_a_jurisdiction_that_fails_is_logged_and_the_others_are_warmed(one_file, tiny_warehouse, tmp_path,
                                                                       monkeypatch, caplog):
    app = _app(one_file, tmp_path)
    _sign_in(app, "admin", "区级管理员", "2202")
    _sign_in(app, "grid", "专职网格员", first_areas(tiny_warehouse)["grid"])
    from cockpit.pages import screen
    computed = []

    def view(wh, scope):
        if scope.code == "2202":
            raise RuntimeError("a view that fails")
        computed.append(scope.code)
    monkeypatch.setattr(screen, "WARMED", (view,))
    cache.clear()
    warmer = warm.Warmer(app, every=60)
    warmer.turn()
    assert computed == [first_areas(tiny_warehouse)["grid"]] and "预热失败 2202" in caplog.text
    assert warmer.warmed == warm.served(app)           # not tried again every turn


def test_a_jurisdiction_another_process_claimed_is_left_to_it(one_file, tiny_warehouse, tmp_path, counted):
    """With a shared cache, the first process to reach a jurisdiction warms it; the others skip it."""
    app = _app(one_file, tmp_path)
    _sign_in(app, "leader", "指挥长", first_areas(tiny_warehouse)["district"])
    cache.clear()
    generation = warm.served(app)
    with app.server.app_context():
        assert cache.add(f"warm:{generation}:{first_areas(tiny_warehouse)['district']}:", 1234, timeout=60)
    assert warm.warm(app, generation) == 0 and counted == []


def test_a_process_cache_is_warmed_to_a_quarter_at_most_widest_first(one_file, tiny_warehouse, tmp_path, counted):
    app = _app(one_file, tmp_path, cache_entries=40)             # a quarter: 10 views, two jurisdictions
    first = first_areas(tiny_warehouse)
    accounts = [_sign_in(app, f"a{i}", role, first[level]) for i, (role, level) in
                enumerate((("专职网格员", "grid"), ("社区书记", "community"), ("指挥长", "district")))]
    cache.clear()
    assert warm.warm(app, warm.served(app)) == 10
    asked = len(counted)
    for account in accounts[1:]:                                  # the district and the community
        _screens(app, account)
    assert len(counted) == asked
    _screens(app, accounts[0])                                    # the grid: left to its screens
    assert len(counted) > asked


def test_no_thread_when_switched_off(one_file, tmp_path):
    assert warm.start(_app(one_file, tmp_path), 0) is None
    warmer = warm.start(_app(one_file, tmp_path), 0.05)
    try:
        assert warmer.is_alive()
    finally:
        warmer.stop()
    assert not warmer.is_alive()


def test_stopping_ends_a_warm_after_the_view_being_computed(one_file, tiny_warehouse, tmp_path, monkeypatch):
    """A process shutting down does not wait for every jurisdiction's views; the jurisdiction it
    left unfinished is not claimed any more (another process of a shared cache may warm it)."""
    import threading
    app = _app(one_file, tmp_path)
    first = first_areas(tiny_warehouse)
    _sign_in(app, "leader", "指挥长", first["district"])
    _sign_in(app, "grid", "专职网格员", first["grid"])
    from cockpit.pages import screen
    computing, release, computed = threading.Event(), threading.Event(), []

    def slow(wh, scope):
        computing.set()
        release.wait(30)
        computed.append(scope.code)
    monkeypatch.setattr(screen, "WARMED", (slow, slow))
    cache.clear()
    warmer = warm.Warmer(app, every=60)
    warmer.start()
    assert computing.wait(30)                     # the first view of the first jurisdiction
    stopper = threading.Thread(target=warmer.stop)
    stopper.start()
    for _ in range(3000):                         # the stop asked for while the view computes
        if warmer._stop_asked.is_set():
            break
        threading.Event().wait(0.01)
    release.set()
    stopper.join(30)
    assert not warmer.is_alive() and computed == [first["district"]]
    assert warmer.warmed is None                  # not counted as warmed
    with app.server.app_context():
        assert cache.add(f"warm:{warm.served(app)}:{first['district']}:", 1, timeout=60)


def test_warming_lookups_are_counted_apart_from_the_screens(one_file, tiny_warehouse, tmp_path):
    """The cache's metrics say what the screens met: after a warm, their lookups all hit."""
    import re
    app = _app(one_file, tmp_path)
    account = _sign_in(app, "leader", "指挥长", first_areas(tiny_warehouse)["district"])
    cache.clear()
    warm.warm(app, warm.served(app))
    _screens(app, account)
    counts = {}
    for result, origin, n in re.findall(r'cockpit_cache_lookups_total\{function="[^"]+",result="(\w+)",'
                                        r'origin="(\w+)"\} (\d+)', app.server.config["COCKPIT_METRICS"].render()):
        counts[(result, origin)] = counts.get((result, origin), 0) + int(n)
    assert counts.get(("miss", "warming"), 0) > 0
    assert counts.get(("hit", "request"), 0) > 0 and counts.get(("miss", "request"), 0) == 0
