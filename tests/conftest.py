"""Shared fixtures: the `tiny` demo data generated once, and a real DuckDB warehouse built from it."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# two shared cores: a property test's timing says nothing about the code (deadlines made them flaky)
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# refreshes in tests run without early warning unless they ask for it (tests/warning_off.toml);
# the shared tiny warehouse below is built with it, and the warning tests read that one
os.environ["COCKPIT_WARNING_SETTINGS"] = str(ROOT / "tests" / "warning_off.toml")

# no timings in tests (speed belongs in bench/): Hypothesis' default 200 ms deadline per example
# fails at random on a loaded two-core machine
from hypothesis import settings as _hypothesis  # noqa: E402

_hypothesis.register_profile("cockpit", deadline=None)
_hypothesis.load_profile("cockpit")


def built_once(tmp_path_factory, name: str, build) -> Path:
    """A folder built by `build(folder)` once per test run. Under pytest-xdist the workers share
    it (the first builds it under a lock, the others wait and reuse it), so the tiny data and its
    warehouse are generated once, not once per worker. Tests treat it as read-only."""
    import fcntl
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        out = tmp_path_factory.mktemp(name)
        build(out)
        return out
    root = tmp_path_factory.getbasetemp().parent       # this run's folder, shared by its workers
    out, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            import shutil
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            build(out)
            done.touch()
    return out


@pytest.fixture(scope="session")
def tiny_source(tmp_path_factory) -> Path:
    from demo.run import generate
    # two workers; test_generate compares with one
    return built_once(tmp_path_factory, "tiny-source", lambda out: generate("tiny", out, seed=42, workers=2))


@pytest.fixture(scope="session")
def tiny_dirty(tiny_source, tmp_path_factory) -> tuple[Path, dict]:
    """A copy of the clean tiny data (seed 42) made dirty: (folder, manifest). Built once per run."""
    import json
    import shutil

    from demo.dirty import MANIFEST, make_dirty

    def build(out):
        shutil.copytree(tiny_source, out, dirs_exist_ok=True)
        make_dirty(out, seed=42)
    out = built_once(tmp_path_factory, "tiny-dirty", build)
    return out, json.loads((out / MANIFEST).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def key_file(tmp_path_factory) -> Path:
    from warehouse.keys import load_or_create_key
    # shared with the warehouse built with it: later refreshes must pseudonymise alike
    folder = built_once(tmp_path_factory, "secrets", lambda out: load_or_create_key(out / "pseudonym.key"))
    return folder / "pseudonym.key"


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_source, key_file, tmp_path_factory) -> Path:
    """A warehouse directory with one published generation of the tiny data, early warning
    included (the default settings)."""
    from etl.refresh import refresh
    from etl.warning.settings import DEFAULT_FILE
    return built_once(tmp_path_factory, "warehouse",
                      lambda out: refresh(tiny_source, out, key_file, warning_settings=DEFAULT_FILE))


@pytest.fixture(scope="session")
def tiny_db(tiny_warehouse) -> Path:
    """The DuckDB file of the tiny warehouse's served generation."""
    return served_db(tiny_warehouse)


def served_db(warehouse: Path) -> Path:
    from etl.publish.generations import current
    return current(warehouse).path


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder, by relative path: "same seed, same files"."""
    import hashlib
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the cockpit's state on both backends (tests/servers.py) ------------------------------------

@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL server of this test worker's own (the URL of its `postgres` database)."""
    from tests.servers import postgres_server
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis server of this test worker's own."""
    from tests.servers import redis_server
    with redis_server() as url:
        yield url


@pytest.fixture
def pg_database(postgres_url) -> str:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    from tests.servers import fresh_database
    with fresh_database(postgres_url) as url:
        yield url


class State:
    """Where a test's stores live: `state("accounts")` is the SQLite file tmp/accounts.sqlite, or
    the URL of the test's own PostgreSQL database (the same for every store, as with
    COCKPIT_DATABASE_URL)."""

    def __init__(self, dialect: str, folder: Path, url: str | None = None):
        self.dialect, self.folder, self.url = dialect, folder, url

    def __call__(self, name: str):
        return self.url if self.url else self.folder / f"{name}.sqlite"

    def __repr__(self) -> str:
        return self.dialect


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request, tmp_path) -> State:
    if request.param == "sqlite":
        return State("sqlite", tmp_path)
    return State("postgresql", tmp_path, request.getfixturevalue("pg_database"))


@pytest.fixture(scope="session")
def briefing_archive(tiny_warehouse, tmp_path_factory) -> dict:
    """Briefings of the tiny warehouse rendered once (Chromium, as in production): the daily and
    weekly briefing of its district, the daily of its first and of its last street, issued the day
    after the data end. {"root", "day", "district", "street", "other_street"}"""
    import datetime as dt

    import duckdb
    with duckdb.connect(str(served_db(tiny_warehouse)), read_only=True) as con:
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchone()[0]
        district, street, other = con.execute(
            "SELECT min(code) FILTER (level = 'district'), min(code) FILTER (level = 'street'), "
            "max(code) FILTER (level = 'street') FROM core.areas WHERE valid_to IS NULL").fetchone()
    day = as_of.date() + dt.timedelta(days=1)

    def build(out):
        from cockpit.briefing.__main__ import area_scope, make
        from cockpit.db import Warehouse
        wh = Warehouse(tiny_warehouse)
        with wh.snapshot() as snap:
            for code, kind in ((district, "daily"), (district, "weekly"), (street, "daily"), (other, "daily")):
                make(snap, tiny_warehouse, area_scope(snap, code), kind, day, out)
        wh.close()
    root = built_once(tmp_path_factory, "briefings", build)
    return {"root": root, "day": day, "district": district, "street": street, "other_street": other}
