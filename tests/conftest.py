"""Shared fixtures: the `tiny` demo data generated once, and a real DuckDB warehouse built from it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def tiny_source(tmp_path_factory) -> Path:
    from etl.generate.run import generate
    out = tmp_path_factory.mktemp("tiny-source")
    generate("tiny", out, seed=42, workers=2)    # test_generate compares with one worker
    return out


@pytest.fixture(scope="session")
def tiny_dirty(tiny_source, tmp_path_factory) -> tuple[Path, dict]:
    """A copy of the clean tiny data (seed 42) made dirty: (folder, manifest)."""
    import shutil
    from etl.generate.dirty import make_dirty
    out = tmp_path_factory.mktemp("tiny-dirty")
    shutil.copytree(tiny_source, out, dirs_exist_ok=True)
    return out, make_dirty(out, seed=42)


@pytest.fixture(scope="session")
def key_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("secrets") / "pseudonym.key"


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_source, key_file, tmp_path_factory) -> Path:
    """A warehouse directory with one published generation of the tiny data."""
    from etl.refresh import refresh
    warehouse = tmp_path_factory.mktemp("warehouse")
    refresh(tiny_source, warehouse, key_file)
    return warehouse


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
