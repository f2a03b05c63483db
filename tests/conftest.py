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
    from etl.generate.run import generate
    # two workers; test_generate compares with one
    return built_once(tmp_path_factory, "tiny-source", lambda out: generate("tiny", out, seed=42, workers=2))


@pytest.fixture(scope="session")
def tiny_dirty(tiny_source, tmp_path_factory) -> tuple[Path, dict]:
    """A copy of the clean tiny data (seed 42) made dirty: (folder, manifest). Built once per run."""
    import json
    import shutil

    from etl.generate.dirty import MANIFEST, make_dirty

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
    from etl.generations import current
    return current(warehouse).path


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder, by relative path: "same seed, same files"."""
    import hashlib
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
