"""Views are cached per generation and scope: a repeat asks the warehouse nothing, a new
generation or another scope asks it again."""
import os

from cockpit.app import create_app
from cockpit.cache import cache
from cockpit.config import Settings
from cockpit.scope import CITY
from etl import storage
from tests.cockpit import signed_in
from tests.conftest import served_db


def _call(app, func, *args):
    with signed_in(app):
        return func(*args)


def test_a_repeat_is_served_from_the_cache(tiny_warehouse, counted):
    app = create_app(Settings(warehouse=tiny_warehouse))
    from cockpit.pages import incident, screen  # pages register once an app exists
    cache.clear()
    for func, args in [(screen.refresh_boards, (0,)), (screen.refresh_overview, (0,)),
                       (incident.refresh_incident, (CITY.code, "01", 0))]:
        first = _call(app, func, *args)
        asked = len(counted)
        assert asked > 0
        again = _call(app, func, *(args[:-1] + (args[-1] + 1,)))       # the frame ticked
        assert len(counted) == asked and repr(again) == repr(first)
    _call(app, incident.refresh_incident, CITY.code, "02", 0)           # another filter: asked again
    assert len(counted) > asked


def test_requests_asking_at_once_compute_a_view_once(tiny_warehouse, counted):
    """Every screen asks at once (just after a publish every key is new): one request computes,
    the others wait for it and read the cache."""
    import threading
    app = create_app(Settings(warehouse=tiny_warehouse))
    from cockpit.pages import screen
    cache.clear()
    _call(app, screen.refresh_overview, 0)
    alone = len(counted)
    cache.clear()
    counted.clear()
    start, answers = threading.Barrier(8), []

    def ask(tick):
        start.wait()
        answers.append(repr(_call(app, screen.refresh_overview, tick)))
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and len(set(answers)) == 1
    assert 0 < len(counted) == alone


def test_a_new_generation_or_another_scope_misses(tiny_warehouse, tmp_path, counted, monkeypatch):
    db = tmp_path / "one.duckdb"
    storage.single_file(served_db(tiny_warehouse), db)
    app = create_app(Settings(warehouse=db))
    from cockpit.pages import screen
    cache.clear()
    stamp = _call(app, screen.refresh_overview, 0)["generation"]
    asked = len(counted)
    os.utime(db, ns=(os.stat(db).st_atime_ns, os.stat(db).st_mtime_ns + 10**9))   # "republished"
    new_stamp = _call(app, screen.refresh_overview, 0)["generation"]
    assert len(counted) > asked and new_stamp != stamp

    asked = len(counted)
    street = app.server.config["COCKPIT_WAREHOUSE"].query(
        "SELECT code, name FROM core.areas WHERE level = 'street' ORDER BY code LIMIT 1").iloc[0]
    monkeypatch.setattr(screen, "viewer_scope", lambda: CITY.narrow(street["code"]))
    residents_street = _call(app, screen.refresh_overview, 0)["residents"]
    assert len(counted) > asked
    monkeypatch.setattr(screen, "viewer_scope", lambda: CITY)
    assert _call(app, screen.refresh_overview, 0)["residents"] != residents_street


def test_area_choices_are_read_once_per_generation_and_scope(tiny_warehouse, counted):
    app = create_app(Settings(warehouse=tiny_warehouse))
    from cockpit.context import warehouse
    from cockpit.options import area_options
    from cockpit.scope import Scope
    cache.clear()
    with signed_in(app):
        first = area_options(warehouse(), CITY)
        asked = len(counted)
        assert asked > 0 and area_options(warehouse(), CITY) == first and len(counted) == asked
        district = next(o["value"] for o in first if len(o["value"]) == 6)
        area_options(warehouse(), Scope(district, "x"))
        assert len(counted) > asked


def test_filter_choices_and_polygons_are_read_once(tiny_warehouse, counted):
    """Every page's filter choices, and a map layer by URL, cost the warehouse nothing on a repeat
    (they change only with a new build)."""
    app = create_app(Settings(warehouse=tiny_warehouse))
    from cockpit import geometry
    from cockpit.context import warehouse
    from cockpit.pages import heatmap, incident, workflow
    cache.clear()
    for func in (workflow.filter_options, incident.filter_options, heatmap.filter_options):
        first = _call(app, func, 0, None)
        asked = len(counted)
        assert asked > 0
        assert repr(_call(app, func, 1, None)) == repr(first) and len(counted) == asked, func.__module__
    with signed_in(app):
        wh = warehouse()
        for layer, variant in (("street", "detail"), (geometry.HEX, "")):
            first = geometry._layer(wh, layer, CITY.code, variant)
            asked = len(counted)
            assert geometry._layer(wh, layer, CITY.code, variant) == first and len(counted) == asked


def test_with_redis_a_view_computed_on_one_server_is_served_by_another(tiny_warehouse, redis_url, tmp_path,
                                                                      counted):
    """COCKPIT_CACHE_URL: two apps (as two web servers) on one Redis; what one computed, the other
    serves without asking the warehouse; another scope or generation still misses."""
    import redis

    from cockpit.cache import KEY_PREFIX

    def server(name):
        return create_app(Settings(warehouse=tiny_warehouse, cache_url=redis_url, accounts=tmp_path / f"{name}.a",
                                   audit=tmp_path / f"{name}.audit", secret_key_file=tmp_path / "session.key"))
    one, other = server("one"), server("other")
    from cockpit.pages import screen  # a page module registers itself: after an app exists
    try:
        with one.server.app_context():
            cache.clear()
        first = _call(one, screen.refresh_overview, 0)
        asked = len(counted)
        assert asked > 0 and redis.Redis.from_url(redis_url).keys(KEY_PREFIX + "*")
        again = _call(other, screen.refresh_overview, 1)
        assert len(counted) == asked and repr(again) == repr(first)
    finally:
        with one.server.app_context():
            cache.clear()
