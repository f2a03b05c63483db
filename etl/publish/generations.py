"""Publishing generations of the served warehouse (the layout, the pointer and how a reader finds
the served generation: warehouse/generations.py).

A refresh never writes a file that is being served: it builds under building/, moves the finished
file into generations/ and then replaces CURRENT with os.replace, which is atomic. A run killed at
any point leaves CURRENT naming a complete generation; anything under building/ at the start of a
run, which holds the lock, was left by a killed run."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from etl.exitcodes import ExitCode, Failure
from warehouse.generations import BUILDING, POINTER, Generation, current, generation_path, published


class NothingToRollBack(Failure):
    """`rollback` found no kept generation it may serve instead."""
    exit_code = ExitCode.NOTHING_TO_ROLL_BACK


def building_path(warehouse: Path, generation_id: str) -> Path:
    return Path(warehouse) / BUILDING / f"{generation_id}.duckdb"


def fsync(path: Path) -> None:
    """Flush a file or a folder's entries to disk (a rename is durable once its folder is)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def point_to(warehouse: Path, generation: Generation, published_at: str | None = None) -> None:
    """Make `generation` the served one: write the new pointer beside the old, then rename.
    `published_at`: when it was first published (a restore keeps it), else now."""
    warehouse = Path(warehouse)
    tmp = warehouse / f"{POINTER}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps({
        "generation": generation.id,
        "file": str(generation.path.relative_to(warehouse)),
        "published_at": published_at or dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }, ensure_ascii=False) + "\n", encoding="utf-8")
    fsync(tmp)
    os.replace(tmp, warehouse / POINTER)
    fsync(warehouse)


def publish(warehouse: Path, built: Path, generation_id: str, keep: int) -> Generation:
    """Move a finished build into generations/, serve it, and delete all but the `keep` newest
    generations (a process still reading a deleted file keeps it open until it lets go)."""
    fsync(built)
    target = generation_path(warehouse, generation_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, target)
    generation = Generation(generation_id, target)
    point_to(warehouse, generation)
    prune(warehouse, keep)
    return generation


def prune(warehouse: Path, keep: int) -> list[Generation]:
    """Delete old generations beyond the `keep` newest; never the served one."""
    served = current(warehouse)
    gone = []
    for g in published(warehouse)[: -max(keep, 1)]:
        if served is None or g.id != served.id:
            g.path.unlink(missing_ok=True)
            gone.append(g)
    return gone


def rollback(warehouse: Path) -> tuple[Generation, Generation]:
    """Serve the newest generation older than the served one. Returns (from, to)."""
    served = current(warehouse)
    if served is None:
        raise NothingToRollBack("没有已发布的数据版本 (nothing has been published)")
    older = [g for g in published(warehouse) if g.id < served.id]
    if not older:
        raise NothingToRollBack(f"{served.id} 之前没有保留的版本 (no older generation is kept)")
    # the cockpit shows a generation without warning tables (it says it has none); any other
    # missing table (or view), by schema and name, means an older release built it (one with every
    # table in `main`, say), and the cockpit would fail on it
    missing = sorted(t for t in _tables(served.path) - _tables(older[-1].path) if not t.startswith("warning."))
    if missing:
        raise NothingToRollBack(f"{older[-1].id} 缺少数据表 {', '.join(missing)}, 由旧版本程序生成, 不能回退 "
                          "(built by an older release; refresh with --force instead)")
    point_to(warehouse, older[-1])
    return served, older[-1]


def _tables(path: Path) -> set[str]:
    import duckdb  # here: the rest of this module is plain file handling
    with duckdb.connect(str(path), read_only=True) as con:
        return {name for (name,) in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() UNION ALL "
            "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def clear_building(warehouse: Path) -> list[Path]:
    """Remove builds left by killed runs. Call only while holding the refresh lock."""
    folder = Path(warehouse) / BUILDING
    left = sorted(folder.glob("*")) if folder.exists() else []
    for p in left:
        if p.is_dir():                 # a build's spill folder (DuckDB's temp_directory)
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return left
