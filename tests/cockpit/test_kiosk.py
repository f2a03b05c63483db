"""Wall screens (role 大屏终端, kind kiosk): what they may open, how long their sessions live and
where, and what the frame gives the browser for the rotation. The rotation itself, a publish and
a server restart under a real browser: tests/browser/test_kiosk.py."""
import io
import re
import time

import dash
import pytest
from hypothesis import given, strategies as st

from cockpit import stores
from cockpit.accounts import KINDS, WALL_PAGES, Account, check_wall_pages
from cockpit.accounts.sessions import TOUCH_SECONDS, lifetime
from cockpit.accounts.store import PG_STEPS, STEPS, AccountStore
from cockpit.app import create_app
from cockpit.config import Settings
from tests.cockpit.web import PASSWORD, login, post

ROTATION = ("/", "/warning", "/incident")
NEVER = ("/explorer", "/people", "/audit", "/health", "/m")
COOKIE = "cockpit_session"
ASK = "/_dash-dependencies"             # any signed-in request
WALL_ADDRESS = "10.20.30.40"


# -- the role ---------------------------------------------------------------------------------

def test_a_kiosk_opens_the_big_screen_and_its_rotation_only(wall_app):
    assert KINDS["大屏终端"] == "kiosk"
    plain = Account("W1", "大屏终端", "220204")
    assert [p for p in _pages() if plain.may_open(p)] == ["/"]        # from the store alone
    wall = Account("W1", "大屏终端", "220204", wall_pages=ROTATION)
    assert sorted(p for p in _pages() if wall.may_open(p)) == sorted(ROTATION)
    # even a rotation that named them (the settings refuse that) opens no list, register or log
    forged = Account("W1", "大屏终端", "220204", wall_pages=tuple(_pages()))
    assert [p for p in NEVER if forged.may_open(p)] == []
    assert not wall.may_unmask and not wall.views_audited and wall.home == "/"
    assert wall.area_code == "220204" and wall.department == ""


def test_people_s_page_views_are_still_audited():
    assert all(Account("x", role, "2202" if kind != "department" else "司法局").views_audited
               for role, kind in KINDS.items() if kind != "kiosk")


def test_the_rotation_is_checked_at_start():
    assert check_wall_pages(["/", "warning/", "/incident", "//warning"]) == ("/", "/warning", "/incident")
    assert check_wall_pages([]) == ("/",)
    for page in NEVER + ("/nowhere", "/audit/x"):
        with pytest.raises(ValueError):
            check_wall_pages(["/", page])
    s = Settings.from_env({"COCKPIT_KIOSK_PAGES": "/ /warning,/incident", "COCKPIT_KIOSK_SECONDS": "20",
                           "COCKPIT_KIOSK_SESSION_DAYS": "14", "COCKPIT_KIOSK_IDLE_HOURS": "12"})
    assert (s.kiosk_pages, s.kiosk_seconds, s.kiosk_session_days, s.kiosk_idle_hours) == \
        (ROTATION, 20, 14, 12)
    for env in ({"COCKPIT_KIOSK_PAGES": "/ /explorer"}, {"COCKPIT_KIOSK_SECONDS": "2"}):
        with pytest.raises(ValueError):
            Settings.from_env(env)


@given(st.lists(st.sampled_from(["/", "/map", "warning", "/incident/", "//heatmap", "/people", "/explorer",
                                  "/audit", "/health", "/m", "x", "", " /map ", "/map/x"])))
def test_a_checked_rotation_holds_wall_pages_only(pages):
    try:
        checked = check_wall_pages(pages)
    except ValueError:
        assert any("/" + p.strip("/") not in WALL_PAGES for p in pages)
        return
    assert checked and set(checked) <= set(WALL_PAGES) and len(set(checked)) == len(checked)


def test_wall_pages_are_registered_pages_without_lists_or_exports(wall_app):
    assert set(WALL_PAGES) <= set(_pages())
    assert not set(WALL_PAGES) & set(NEVER)


def _pages():
    """Every page's path (the registry is filled when an app is made: tests ask for wall_app)."""
    return [p["path"] for p in dash.page_registry.values()]


# -- sessions in the store, in SQLite and in PostgreSQL (`state`, tests/conftest.py) -----------

SETTINGS = Settings()


def _life(kind):
    return lifetime(kind, SETTINGS)


@pytest.fixture
def store(state):
    s = AccountStore(state("accounts"))
    s.add("wall", "大屏终端", "220204", PASSWORD)
    s.add("person", "街道管理员", "220204001", PASSWORD)
    return s


def test_a_wall_s_session_outlives_a_working_day_and_a_night_but_not_its_own_lifetime(store):
    t0 = 5_000_000.0
    wall = store.sessions.start("wall", _life, now=t0, address=WALL_ADDRESS)
    person = store.sessions.start("person", _life, now=t0, address="10.0.0.7")
    t = t0
    while t < t0 + 3 * 86400:              # polled within the idle limit for three days: past 8 hours
        assert store.sessions.account_of(wall, _life, now=t, address=WALL_ADDRESS) == "wall", (t - t0) / 3600
        t += 25 * 60
    assert store.sessions.account_of(person, _life, now=t, address="10.0.0.7") is None
    # switched off for a night (14 h, far past the 30 minutes' idle limit), on again
    t += 14 * 3600
    assert store.sessions.account_of(wall, _life, now=t, address=WALL_ADDRESS) == "wall"
    end = t0 + SETTINGS.kiosk_session_days * 86400
    while t < end - 60:
        assert store.sessions.account_of(wall, _life, now=t, address=WALL_ADDRESS) == "wall"
        t += 3600
    assert store.sessions.account_of(wall, _life, now=end, address=WALL_ADDRESS) is None
    assert store.sessions.account_of(wall, _life, now=t0 + 1, address=WALL_ADDRESS) is None   # gone


def test_a_wall_s_session_ends_when_off_longer_than_its_idle_limit(store):
    t0 = 5_000_000.0
    wall = store.sessions.start("wall", _life, now=t0, address=WALL_ADDRESS)
    idle = SETTINGS.kiosk_idle_hours * 3600
    assert store.sessions.account_of(wall, _life, now=t0 + idle - TOUCH_SECONDS - 1, address=WALL_ADDRESS) == "wall"
    assert store.sessions.account_of(wall, _life, now=t0 + 2 * idle, address=WALL_ADDRESS) is None


def test_a_wall_s_session_answers_only_at_its_address(store):
    wall = store.sessions.start("wall", _life, address=WALL_ADDRESS)
    for elsewhere in ("10.20.30.41", "", "127.0.0.1", " " + WALL_ADDRESS):
        assert store.sessions.account_of(wall, _life, address=elsewhere) is None
    assert store.sessions.account_of(wall, _life, address=WALL_ADDRESS) == "wall"     # kept for its screen
    # a person's session is not pinned (a laptop changes networks)
    person = store.sessions.start("person", _life, address="10.0.0.7")
    assert store.sessions.account_of(person, _life, address="10.0.0.8") == "person"


def test_another_sign_in_forgets_expired_sessions_by_their_own_lifetime(store):
    t0 = 5_000_000.0
    wall = store.sessions.start("wall", _life, now=t0, address=WALL_ADDRESS)
    person = store.sessions.start("person", _life, now=t0, address="10.0.0.7")
    later = t0 + 9 * 3600
    store.sessions.start("person", _life, now=later, address="10.0.0.7")      # sweeps expired ones
    keys = _stored(store)
    assert len(keys) == 2                                   # the wall's and the new one; not the old
    assert store.sessions.account_of(wall, _life, now=later, address=WALL_ADDRESS) == "wall"
    assert store.sessions.account_of(person, _life, now=later, address="10.0.0.7") is None


def _stored(store):
    with store.db.connection() as con:
        return [r[0] for r in con.execute("SELECT token_hash FROM sessions").fetchall()]


def test_live_sessions_are_listed_and_ended_by_id_or_account(store):
    t0 = time.time()
    store.sessions.start("wall", _life, now=t0 - 20 * 3600, address=WALL_ADDRESS)
    store.sessions.start("person", _life, now=t0 - 20 * 3600, address="10.0.0.7")     # expired
    store.sessions.start("person", _life, now=t0 - 60, address="10.0.0.8")
    live = store.sessions.live(_life)
    assert [(s.account_id, s.role, s.address) for s in live] == \
        [("wall", "大屏终端", WALL_ADDRESS), ("person", "街道管理员", "10.0.0.8")]
    wall, person = live
    assert wall.ends == pytest.approx(wall.last_seen + SETTINGS.kiosk_idle_hours * 3600)
    assert person.ends == pytest.approx(t0 - 60 + SETTINGS.session_idle_minutes * 60)
    assert all(len(s.session_id) == 12 and s.session_id in "".join(_stored(store)) for s in live)
    # an id in capitals is not one (an id of digits only has none: then a letter in capitals)
    shouted = wall.session_id.upper() if not wall.session_id.isdigit() else "A" + wall.session_id[1:]
    for bad in ("", wall.session_id[:6], "x" * 12, shouted, "%" * 12):
        assert store.sessions.end_by_id(bad) == 0
    assert store.sessions.end_by_id(wall.session_id) == 1
    assert [s.account_id for s in store.sessions.live(_life)] == ["person"]
    # the expired one went at the next sign-in
    assert store.sessions.end_of("person") == 1 and store.sessions.live(_life) == []


def test_a_store_of_the_release_before_addresses_is_upgraded_and_keeps_its_sessions(state):
    before = stores.open(state("accounts"))             # the store as the release before wrote it
    assert before.migrate(stores.Schema("accounts", STEPS[:2], PG_STEPS[:1])) < len(STEPS)
    with before.transaction() as con:
        con.execute("INSERT INTO accounts (account_id, role, area) VALUES ('person', '街道管理员', '220204001')")
        con.execute("INSERT INTO sessions VALUES ('h', 'person', ?, ?)", (time.time(), time.time()))
    store = AccountStore(state("accounts"))
    assert [(s.account_id, s.address) for s in store.sessions.live(_life)] == [("person", "")]
    assert store.sessions.start("person", _life, address="10.0.0.7")


# -- through the app: the gate, the cookie, the frame -----------------------------------------

@pytest.fixture(scope="module")
def wall_app(tiny_warehouse, tmp_path_factory):
    return _wall_app(tiny_warehouse, tmp_path_factory.mktemp("kiosk"))


@pytest.fixture(scope="module")
def pg_wall_app(tiny_warehouse, tmp_path_factory, postgres_url):
    """The same with the sessions in PostgreSQL (COCKPIT_DATABASE_URL)."""
    from tests.servers import fresh_database
    with fresh_database(postgres_url) as url:
        yield _wall_app(tiny_warehouse, tmp_path_factory.mktemp("kiosk-pg"), database_url=url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_wall_app(request):
    return request.getfixturevalue("wall_app" if request.param == "sqlite" else "pg_wall_app")


def _wall_app(tiny_warehouse, home, **settings):
    app = create_app(Settings(warehouse=tiny_warehouse, accounts=home / "accounts.sqlite",
                              audit=home / "audit.sqlite", secret_key_file=home / "session.key",
                              kiosk_pages=("/", "warning", "/incident/"), **settings))
    store = app.server.config["COCKPIT_ACCOUNTS"]
    store.add("wall", "大屏终端", "220204", PASSWORD)
    store.add("person", "指挥长", "220204", PASSWORD)
    return app


def _wall_client(app, address=WALL_ADDRESS):
    c = app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    assert login(c, "wall", PASSWORD).status_code == 302
    return c


def _world(app):
    return {"app": app}


def test_the_gate_refuses_a_wall_every_page_outside_its_rotation(wall_app):
    c = _wall_client(wall_app)
    audit = wall_app.server.config["COCKPIT_AUDIT"]
    for path in ("/", "/warning", "/incident"):
        assert c.get(path).status_code == 200, path
    for path in [p for p in _pages() if p not in ROTATION]:
        for form in (path, path + "/", path + "?x=/"):
            r = c.get(form)
            assert (r.status_code, r.headers.get("Location")) == (302, "/"), form
            last = audit.recent(1, account="wall").iloc[0]
            assert (last["action"], last["target"]) == ("denied", path)
        # and Dash's page renderer, posted as any script could
        status, _ = post(c, _world(wall_app), "_pages_content", {("_pages_location", "pathname"): path,
                                                                 ("_pages_location", "search"): ""})
        assert status == 403, path


@pytest.mark.parametrize("output_id", ["explorer-table", "explorer-download", "people-table", "people-full",
                                       "audit-table", "health-cards"])
def test_a_wall_may_use_no_callback_of_a_forbidden_page(wall_app, output_id):
    c = _wall_client(wall_app)
    if not any(f"{output_id}." in k for k in wall_app.callback_map):
        pytest.fail(f"no callback outputs {output_id}: the test names the wrong component")
    status, _ = post(c, _world(wall_app), output_id, {})
    assert status == 403
    last = wall_app.server.config["COCKPIT_AUDIT"].recent(1, account="wall").iloc[0]
    assert last["action"] == "denied"


def test_a_wall_s_rotation_is_not_audited_page_by_page_but_a_person_s_views_are(wall_app):
    audit = wall_app.server.config["COCKPIT_AUDIT"]
    wall, person = _wall_client(wall_app), wall_app.server.test_client()
    assert login(person, "person", PASSWORD).status_code == 302
    for c, who in ((wall, "wall"), (person, "person")):
        before = len(audit.recent(1000, "page_view", who))
        for path in ROTATION:
            status, _ = post(c, _world(wall_app), "_pages_content", {("_pages_location", "pathname"): path,
                                                                     ("_pages_location", "search"): ""})
            assert status == 200
        assert len(audit.recent(1000, "page_view", who)) - before == (0 if who == "wall" else 3)
    assert len(audit.recent(10, "login", "wall")) >= 1          # its sign-in is


def test_a_wall_s_cookie_copied_to_another_machine_opens_nothing(any_wall_app):
    wall_app = any_wall_app
    c = _wall_client(wall_app)
    copy = wall_app.server.test_client()
    copy.environ_base["REMOTE_ADDR"] = "10.20.30.99"
    copy.set_cookie(COOKIE, c.get_cookie(COOKIE).value)
    assert copy.get(ASK).status_code == 401
    assert copy.get("/warning").status_code == 302 and "/login" in copy.get("/warning").headers["Location"]
    assert c.get(ASK).status_code == 200                  # the wall itself carries on


def test_a_wall_s_cookie_lasts_as_long_as_its_session(wall_app):
    c = wall_app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = WALL_ADDRESS
    response = login(c, "wall", PASSWORD)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    expires = time.mktime(time.strptime(cookie.split("Expires=")[1].split(";")[0], "%a, %d %b %Y %H:%M:%S GMT"))
    assert expires - time.mktime(time.gmtime()) >= Settings().kiosk_session_days * 86400 - 120


def test_a_wall_polling_for_days_stays_signed_in_a_person_does_not(any_wall_app, monkeypatch):
    wall_app = any_wall_app
    wall, person = _wall_client(wall_app), wall_app.server.test_client()
    assert login(person, "person", PASSWORD).status_code == 302
    real, offset = time.time, [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])
    settings = wall_app.server.config["COCKPIT_SETTINGS"]
    while offset[0] < 2 * 86400:                       # two days and a midnight or two, asked every 20 min
        assert wall.get(ASK).status_code == 200, offset[0] / 3600
        offset[0] += 20 * 60
    assert person.get(ASK).status_code == 401
    offset[0] = settings.kiosk_session_days * 86400 + 60
    assert wall.get(ASK).status_code == 401


def test_behind_a_trusted_proxy_the_wall_is_pinned_to_the_address_the_proxy_vouches_for(tiny_warehouse, tmp_path):
    app = create_app(Settings(warehouse=tiny_warehouse, accounts=tmp_path / "accounts.sqlite",
                              audit=tmp_path / "audit.sqlite", secret_key_file=tmp_path / "session.key",
                              trusted_proxies=("127.0.0.1",)))
    app.server.config["COCKPIT_ACCOUNTS"].add("wall", "大屏终端", "220204", PASSWORD)

    def via_proxy(forwarded):
        c = app.server.test_client()
        c.environ_base.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        return c
    wall = via_proxy(WALL_ADDRESS)
    assert login(wall, "wall", PASSWORD).status_code == 302
    assert wall.get(ASK).status_code == 200
    for forged in (f"{WALL_ADDRESS}, 10.0.0.5", "10.0.0.5"):   # the proxy appends the real peer
        other = via_proxy(forged)
        other.set_cookie(COOKIE, wall.get_cookie(COOKIE).value)
        assert other.get(ASK).status_code == 401, forged
    # a peer that is not the proxy: its X-Forwarded-For is not believed
    direct = app.server.test_client()
    direct.environ_base.update(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=WALL_ADDRESS)
    direct.set_cookie(COOKIE, wall.get_cookie(COOKIE).value)
    assert direct.get(ASK).status_code == 401


def test_the_frame_gives_a_wall_its_rotation_and_no_navigation(wall_app):
    wall, person = _wall_client(wall_app), wall_app.server.test_client()
    assert login(person, "person", PASSWORD).status_code == 302
    frame = wall.get("/_dash-layout").get_json()
    found = _find(frame, "frame-kiosk")
    assert found["props"]["data-pages"] == "/ /warning /incident"
    assert found["props"]["data-seconds"] == str(Settings().kiosk_seconds)
    assert _find(frame, None, "nav") is None
    other = person.get("/_dash-layout").get_json()
    assert _find(other, "frame-kiosk") is None and _find(other, None, "nav") is not None


def test_under_a_url_prefix_the_rotation_names_the_browser_s_paths(tiny_warehouse, tmp_path):
    app = create_app(Settings(warehouse=tiny_warehouse, accounts=tmp_path / "accounts.sqlite",
                              audit=tmp_path / "audit.sqlite", secret_key_file=tmp_path / "session.key",
                              url_prefix="/cockpit", kiosk_pages=ROTATION))
    app.server.config["COCKPIT_ACCOUNTS"].add("wall", "大屏终端", "220204", PASSWORD)
    c = app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = WALL_ADDRESS
    page = c.get("/cockpit/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert c.post("/cockpit/login", data={"account": "wall", "password": PASSWORD, "csrf": csrf,
                                          "next": "/"}).status_code == 302
    found = _find(c.get("/cockpit/_dash-layout").get_json(), "frame-kiosk")
    assert found["props"]["data-pages"] == "/cockpit/ /cockpit/warning /cockpit/incident"


def _find(node, component_id, type_name=None):
    """The first component in a layout's JSON with that id (or of that type)."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if (component_id is not None and props.get("id") == component_id) or \
                (type_name is not None and node.get("type", "").lower() == type_name):
            return node
        return _find(list(props.values()), component_id, type_name)
    if isinstance(node, list):
        for item in node:
            found = _find(item, component_id, type_name)
            if found is not None:
                return found
    return None


def test_the_command_lists_and_ends_sessions(state, tmp_path, monkeypatch, capsys):
    from cockpit.accounts.__main__ import main
    path = state("accounts")
    monkeypatch.setenv("COCKPIT_ACCOUNTS", str(tmp_path / "accounts.sqlite"))
    if state.dialect == "postgresql":
        monkeypatch.setenv("COCKPIT_DATABASE_URL", path)
    monkeypatch.setattr("sys.stdin", io.StringIO("wall-password-1\n"))
    assert main(["add", "WALL01", "--role", "大屏终端", "--area", "220204", "--password-stdin"]) == 0
    store = AccountStore(path)
    token = store.sessions.start("WALL01", _life, address=WALL_ADDRESS)
    store.sessions.start("WALL01", _life, address=WALL_ADDRESS)
    capsys.readouterr()
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert out.count("WALL01\t大屏终端") == 2 and WALL_ADDRESS in out and "共 2 个在线会话" in out
    first_id = out.splitlines()[1].split("\t")[0]
    assert main(["sessions", "end", "--id", first_id]) == 0
    assert len(store.sessions.live(_life)) == 1
    assert main(["sessions", "end", "WALL01"]) == 0 and "已结束 1 个会话" in capsys.readouterr().out
    assert store.sessions.account_of(token, _life, address=WALL_ADDRESS) is None
    assert main(["sessions", "end", "WALL01"]) == 1                       # nothing left to end
    assert main(["sessions", "end"]) == 2 and main(["sessions", "end", "WALL01", "--id", first_id]) == 2
