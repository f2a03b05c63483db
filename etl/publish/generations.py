"""Publishing generations of the served warehouse (the layout, the pointer and how a reader finds
the served generation: warehouse/generations.py).

A refresh never writes a file that is being served: it builds a new generation's folder, marked
BUILDING (a full build works in a file under building/ first), removes the mark when the folder is
complete and checked, and then replaces CURRENT with os.replace, which is atomic. A run killed at
any point leaves CURRENT naming a complete generation; anything under building/, and any folder
still marked, at the start of a run, which holds the lock, was left by a killed run."""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import struct
from pathlib import Path

from etl.exitcodes import ExitCode, Failure
from warehouse.generations import (
    BUILDING,
    BUILDING_MARK,
    FILE,
    GENERATIONS,
    POINTER,
    Generation,
    current,
    generation_path,
    published,
)


class NothingToRollBack(Failure):
    """`rollback` found no kept generation it may serve instead."""
    exit_code = ExitCode.NOTHING_TO_ROLL_BACK


def start(warehouse: Path, generation_id: str) -> Path:
    """A new generation's folder, marked as being built; its small file's path (not yet made)."""
    path = generation_path(warehouse, generation_id)
    path.parent.mkdir(parents=True)
    (path.parent / BUILDING_MARK).touch()
    fsync(path.parent.parent)
    return path


def work_path(warehouse: Path, generation_id: str, suffix: str) -> Path:
    """A run's scratch file (a full build's work file: .duckdb; DuckDB's spill folder: .spill)."""
    path = Path(warehouse) / BUILDING / f"{generation_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


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


def publish(warehouse: Path, built: Path, generation_id: str, keep: int,
            published_at: str | None = None) -> Generation:
    """Mark a finished generation complete (its files are synced: etl/storage.py), serve it, and
    delete all but the `keep` newest generations (a process still reading a deleted file keeps it
    open until it lets go; a partition a newer generation links stays)."""
    fsync(built)
    (built.parent / BUILDING_MARK).unlink()
    fsync(built.parent)
    generation = Generation(generation_id, built)
    point_to(warehouse, generation, published_at)
    prune(warehouse, keep)
    return generation


def prune(warehouse: Path, keep: int) -> list[Generation]:
    """Delete old generations beyond the `keep` newest; never the served one, nor one a process
    has open (a notebook, a cockpit request pinned to it): its partitions are read file by file,
    so deleting them would fail its next query. A later run prunes it."""
    served = current(warehouse)
    gone = []
    for g in published(warehouse)[: -max(keep, 1)]:
        if (served is None or g.id != served.id) and not in_use(g.path):
            _remove(g)
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


def in_use(path: Path) -> bool:
    """Whether a process has this DuckDB file open: DuckDB holds a shared POSIX lock on a file it
    reads (and a backup an open-file-description one). Asked with F_OFD_GETLK, which sees either,
    even this process's own. (Closing the probe drops this process's own POSIX locks on the file:
    the ETL holds no generation open when it prunes.)"""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        got = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
        return struct.unpack(_FLOCK, got)[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


def hold(fd: int) -> None:
    """Take a shared lock on an open generation file that `in_use` sees (a backup copying it), held
    until `fd` is closed, whatever other descriptors of the file this process closes."""
    fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, struct.pack(_FLOCK, fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0))


_FLOCK = "hhqqi4x"              # struct flock: l_type, l_whence, l_start, l_len, l_pid (x86-64, arm64)


def _remove(g: Generation) -> None:
    """Take a generation out of the list in one rename, then delete it: a prune killed midway
    leaves a hidden folder the next run clears, never a listed generation missing files."""
    if g.path.parent.name != g.id:                  # an older release's single file
        g.path.unlink(missing_ok=True)
        return
    gone = g.path.parent.with_name(f"{REMOVING}{g.id}")
    os.rename(g.path.parent, gone)
    fsync(gone.parent)
    shutil.rmtree(gone)


REMOVING = ".removing-"


def clear_building(warehouse: Path) -> list[Path]:
    """Remove builds left by killed runs. Call only while holding the refresh lock."""
    folder = Path(warehouse) / BUILDING
    left = sorted(folder.glob("*")) if folder.exists() else []
    left += sorted(m.parent for m in (Path(warehouse) / GENERATIONS).glob(f"*/{BUILDING_MARK}"))
    left += sorted((Path(warehouse) / GENERATIONS).glob(f"{REMOVING}*"))
    left += sorted(p for p in (Path(warehouse) / GENERATIONS).glob("*")       # killed inside start()
                   if p.is_dir() and not (p / FILE).exists() and p not in left)
    for p in left:
        if p.is_dir():                 # a build's spill folder (DuckDB's temp_directory)
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return left
