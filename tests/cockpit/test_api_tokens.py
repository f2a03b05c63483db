"""The open API's client tokens (cockpit/api/tokens.py, `python -m cockpit.accounts token …`) and
its rate limiter (cockpit/api/limits.py)."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, strategies as st

from cockpit.accounts.__main__ import main
from cockpit.api.limits import InProcessLimiter
from cockpit.api.tokens import PREFIX, SCHEMA_VERSION, ApiToken, TokenStore
from warehouse import state


def test_a_token_is_stored_only_as_its_hash_with_a_schema_version(tmp_path):
    store = TokenStore(tmp_path / "tokens.sqlite")
    token = store.add("yiwang", "220204001", days=30)
    assert token.startswith(PREFIX) and len(token) == len(PREFIX) + 43
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert token.encode() not in raw and token[len(PREFIX) + 4:].encode() not in raw
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.verify(token).token == ApiToken("yiwang", "220204001", "")
    assert store.list()[0]["hint"] == token[:len(PREFIX) + 4]


def test_a_store_written_by_a_newer_release_is_refused(tmp_path):
    store = TokenStore(tmp_path / "tokens.sqlite")
    token = store.add("a", "220204")
    with sqlite3.connect(store.path) as con:
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError):
        store.verify(token)


def test_no_file_until_a_token_is_made_and_then_nothing_is_valid_but_it(tmp_path):
    store = TokenStore(tmp_path / "tokens.sqlite")
    assert store.verify(PREFIX + "x" * 43).token is None and store.list() == []
    assert not store.path.exists()


def test_revoking_is_at_once_and_for_good(tmp_path):
    store = TokenStore(tmp_path / "tokens.sqlite")
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


def test_the_command_line_prints_the_token_once_and_lists_it_without(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COCKPIT_API_TOKENS", str(tmp_path / "tokens.sqlite"))
    monkeypatch.setenv("COCKPIT_ACCOUNTS", str(tmp_path / "accounts.sqlite"))
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
    assert TokenStore(tmp_path / "tokens.sqlite").verify(token).refused == "令牌已吊销"
    assert main(["token", "add", "bad", "--area", "abc"]) == 2
    assert main(["token", "revoke", "nobody"]) == 2
    assert not (tmp_path / "accounts.sqlite").exists()       # the account store is not touched


def test_the_store_is_kept_like_the_others():
    kept = state.BY_NAME["api_tokens"]
    assert (kept.kind, kept.env) == ("sqlite", "COCKPIT_API_TOKENS")
    assert state.locate({"COCKPIT_API_TOKENS": "/x/t.sqlite"})["api_tokens"].as_posix() == "/x/t.sqlite"


# -- the rate limiter ---------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_bucket_bursts_a_minute_then_refills_at_its_rate():
    clock = Clock()
    limiter = InProcessLimiter(6, clock)                       # one every 10 s
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
def test_no_more_than_the_allowance_ever_passes(gaps):
    clock = Clock()
    limiter = InProcessLimiter(12, clock)
    passed, start = 0, clock.now
    for gap in gaps:
        clock.now += gap
        passed += limiter.take("k").allowed
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
