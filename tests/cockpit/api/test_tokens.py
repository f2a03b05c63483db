"""The open API's client tokens (cockpit/api/tokens.py, `python -m cockpit.accounts token …`), in
SQLite and in PostgreSQL, and its rate limiter (cockpit/api/limits.py), in the process and in
Redis."""
from __future__ import annotations

import threading
import uuid

import pytest
from hypothesis import given, strategies as st

from cockpit.accounts.__main__ import main
from cockpit.api.limits import InProcessLimiter, RedisLimiter, redis_client
from cockpit.api.tokens import PREFIX, SCHEMA, SCHEMA_VERSION, ApiToken, TokenStore
from tests.cockpit.stores import set_version
from warehouse import state as kept_state


def test_a_token_is_stored_only_as_its_hash_with_a_schema_version(state):
    store = TokenStore(state("api_tokens"))
    token = store.add("yiwang", "220204001", days=30)
    assert token.startswith(PREFIX) and len(token) == len(PREFIX) + 43
    with store.db.connection() as con:
        kept = repr(con.execute("SELECT * FROM tokens").fetchall())
        if state.dialect == "sqlite":
            assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        else:
            assert con.execute("SELECT version FROM cockpit_schema WHERE store = 'api_tokens'").fetchone()[0] == \
                len(SCHEMA.postgresql)
    if state.dialect == "sqlite":                   # nor anywhere in the file
        kept += repr(b"".join(p.read_bytes() for p in state.folder.iterdir()))
    assert token not in kept and token[len(PREFIX) + 4:] not in kept
    assert store.verify(token).token == ApiToken("yiwang", "220204001", "")
    assert store.list()[0]["hint"] == token[:len(PREFIX) + 4]


def test_a_store_written_by_a_newer_release_is_refused(state):
    store = TokenStore(state("api_tokens"))
    token = store.add("a", "220204")
    set_version(store.db, "api_tokens", len(SCHEMA.steps(state.dialect)) + 1)
    with pytest.raises(RuntimeError):
        TokenStore(state("api_tokens")).verify(token)          # a web server started on it


def test_no_file_until_a_token_is_made_and_then_nothing_is_valid_but_it(state):
    store = TokenStore(state("api_tokens"))
    assert store.verify(PREFIX + "x" * 43).token is None and store.list() == []
    if state.dialect == "sqlite":
        assert not store.db.path.exists()
    token = store.add("a", "220204")
    assert store.verify(PREFIX + "x" * 43).token is None and store.verify(token).token is not None


def test_a_store_seen_by_two_servers_revokes_on_both(state):
    """Two web servers' stores on one database: a token made on one works on the other, and a
    revocation on either takes effect on both at once."""
    one, other = TokenStore(state("api_tokens")), TokenStore(state("api_tokens"))
    token = one.add("shared", "220204")
    assert other.verify(token).token == ApiToken("shared", "220204")
    other.revoke("shared")
    assert one.verify(token).refused == "令牌已吊销"


def test_revoking_is_at_once_and_for_good(state):
    store = TokenStore(state("api_tokens"))
    token = store.add("a", "220204")
    store.revoke("a")
    store.revoke("a")                                      # again: no change
    assert store.verify(token).refused == "令牌已吊销"
    with pytest.raises(ValueError):
        store.add("a", "220204")                           # the name stays taken
    with pytest.raises(KeyError):
        store.revoke("nobody")


@pytest.mark.parametrize("area, department, days", [("22020", "", 30), ("%", "", 30), ("220204' --", "", 30),
                                                     ("220204", "x" * 65, 30), ("220204", "", 0),
                                                     ("220204", "", 99999)])
def test_bad_areas_departments_and_lifetimes_are_refused(tmp_path, area, department, days):
    with pytest.raises(ValueError):
        TokenStore(tmp_path / "t.sqlite").add("a", area, department, days)


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    store = TokenStore(tmp_path_factory.mktemp("tokens") / "t.sqlite")
    return store, store.add("only", "220204")


@given(text=st.one_of(st.text(max_size=100), st.text(max_size=43).map(lambda t: PREFIX + t)))
def test_nothing_but_an_issued_token_verifies(issued, text):
    store, token = issued
    assert store.verify(text).token is None
    assert store.verify(token).token is not None


def test_the_command_line_prints_the_token_once_and_lists_it_without(state, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COCKPIT_API_TOKENS", str(tmp_path / "tokens.sqlite"))
    monkeypatch.setenv("COCKPIT_ACCOUNTS", str(tmp_path / "accounts.sqlite"))
    if state.url:
        monkeypatch.setenv("COCKPIT_DATABASE_URL", state.url)
    assert main(["token", "add", "yiwangtongguan", "--area", "220204", "--days", "90"]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert token.startswith(PREFIX) and token not in out.err and "只显示这一次" in out.err
    assert main(["token", "add", "12345", "--area", "220204001", "--department", "城市管理执法局"]) == 0
    capsys.readouterr()
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert token not in listed and token[len(PREFIX) + 4:] not in listed
    assert "yiwangtongguan\t220204\t-\t" in listed and "12345\t220204001\t城市管理执法局\t" in listed
    assert main(["token", "revoke", "yiwangtongguan"]) == 0
    assert "已吊销 yiwangtongguan" in capsys.readouterr().err
    main(["token", "list"])
    assert "\t已吊销\t" in capsys.readouterr().out
    assert TokenStore(state.url or tmp_path / "tokens.sqlite").verify(token).refused == "令牌已吊销"
    assert main(["token", "add", "bad", "--area", "abc"]) == 2
    assert main(["token", "revoke", "nobody"]) == 2
    assert not (tmp_path / "accounts.sqlite").exists()       # the account store is not touched
    if state.url:
        with TokenStore(state.url).db.connection() as con:
            assert con.execute("SELECT to_regclass('accounts')").fetchone()[0] is None
            assert state.folder.joinpath("tokens.sqlite").exists() is False


def test_the_store_is_kept_like_the_others():
    kept = kept_state.BY_NAME["api_tokens"]
    assert (kept.kind, kept.env, kept.in_database) == ("sqlite", "COCKPIT_API_TOKENS", True)
    assert kept_state.locate({"COCKPIT_API_TOKENS": "/x/t.sqlite"})["api_tokens"].as_posix() == "/x/t.sqlite"


# -- the rate limiter ---------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module", params=["process", "redis"])
def limiter_of(request):
    """Limiters (per_minute, clock) → one in this process, or in a real Redis (its own keys)."""
    if request.param == "process":
        return InProcessLimiter
    client = redis_client(request.getfixturevalue("redis_url"))
    prefix = f"test:{uuid.uuid4().hex}:"
    return lambda per_minute, clock=None: RedisLimiter(client, per_minute, prefix, clock)


def test_a_bucket_bursts_a_minute_then_refills_at_its_rate(limiter_of):
    clock = Clock()
    limiter = limiter_of(6, clock)                             # one every 10 s
    assert [limiter.take("a").allowed for _ in range(7)] == [True] * 6 + [False]
    refused = limiter.take("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(10) and refused.remaining == 0
    assert limiter.take("b").allowed                           # per key
    clock.now += 9.9
    assert not limiter.take("a").allowed
    clock.now += 0.2
    assert limiter.take("a").allowed and not limiter.take("a").allowed
    clock.now += 3600
    assert limiter.peek("a").remaining == 6                    # never more than a minute's worth
    assert limiter.peek("a").remaining == 6                    # peeking spends nothing


@given(st.lists(st.floats(0, 30), max_size=200))
def test_no_more_than_the_allowance_ever_passes(limiter_of, gaps):
    clock = Clock()
    limiter = limiter_of(12, clock)
    key = f"k-{uuid.uuid4().hex}"                             # each example its own bucket
    passed, start = 0, clock.now
    for gap in gaps:
        clock.now += gap
        passed += limiter.take(key).allowed
    assert passed <= 12 + (clock.now - start) * 12 / 60 + 1e-9


def test_idle_buckets_are_forgotten(monkeypatch):
    import cockpit.api.limits as limits
    monkeypatch.setattr(limits, "MAX_KEYS", 100)
    clock = Clock()
    limiter = InProcessLimiter(60, clock)
    for i in range(100):
        limiter.take(f"10.0.0.{i}")
    clock.now += 120
    limiter.take("late")
    assert len(limiter._buckets) <= 2


def test_a_redis_bucket_is_one_for_every_server(redis_url):
    """Two web servers' limiters on one Redis, on the Redis server's clock: a burst spread over
    both, in parallel, passes exactly one minute's allowance between them."""
    prefix = f"test:{uuid.uuid4().hex}:"
    servers = [RedisLimiter(redis_client(redis_url), 30, prefix) for _ in range(2)]
    start, passed = threading.Barrier(8), []

    def client(i):
        start.wait()
        passed.extend(servers[i % 2].take("token-a").allowed for _ in range(10))
    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 30 <= sum(passed) <= 31 and len(passed) == 80       # 31: one refilled during the burst
    assert not servers[0].peek("token-a").allowed or servers[0].peek("token-a").remaining <= 1
    assert servers[1].take("token-b").allowed                  # another key, another bucket
    ttl = redis_client(redis_url).pttl(prefix + "token-a")
    assert 0 < ttl <= 61_000                                   # forgotten once full again
