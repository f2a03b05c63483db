"""`python -m etl backup --to DIR` and `python -m etl restore --from DIR --warehouse W`.

What is kept is listed once, in warehouse/state.py: the keys, the SQLite stores (accounts, audit,
the run log, any store registered there), the served generation and the settings files; with
COCKPIT_DATABASE_URL set, the state database instead of the accounts, audit, token and label
files (the entries `in_database`). A
backup is one folder, DIR/cockpit-backup-<time>/, with a manifest of every file's SHA-256:

    keys/<name>.key          the pseudonymisation, vault and session keys (mode 0600)
    sqlite/<name>.sqlite     each store, copied with SQLite's online backup API: a consistent
                             copy while the cockpit and the ETL keep writing (never `cp`)
    postgresql/database.dump the state database, by pg_dump (one consistent snapshot while the
                             web servers write; etl/backup/database.py); left out with
                             --without-database when the database's own backup is the DBA's
    warehouse/<id>/…         the served generation's folder: its small file and its partitions,
                             each with its checksum (a published generation is never written
                             again, so a plain copy of its open files is consistent; the copy is
                             made under a read lock on its small file, which a prune respects)
    folder/<name>/…          a folder's files (the briefings archive), each with its checksum
    file/<name><suffix>      settings files
    manifest.json

It is written as DIR/.cockpit-backup-<time>.partial and renamed when complete, so a backup that
was killed never looks like one; the newest `--keep` backups stay. Restore checks every checksum
before it writes anything, refuses to overwrite a store, key or warehouse that exists (unless
--force; a key or file with the same bytes is simply kept), and switches the warehouse's pointer
last. Run it with the same settings (environment) as the services, with the services stopped.

This module knows nothing of the cockpit: the locations come from warehouse/state.py and the
environment, like every other part."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

from etl import storage
from etl.backup import database as backup_database
from etl.exitcodes import ExitCode, Failure
from etl.publish.generations import fsync, hold, point_to, publish, start
from warehouse import generations, state

FORMAT = 1
MANIFEST = "manifest.json"
PREFIX = "cockpit-backup-"


class BackupError(Failure):
    """A backup that cannot be made, or a restore refused (nothing was written)."""
    exit_code = ExitCode.REFUSED


# -- backup -------------------------------------------------------------------------------

def backup(to: Path, found: dict[str, Path | None], keep: int | None = None, database: bool = True) -> Path:
    """Write a backup of every kept file located in `found` (state.locate) into a new folder
    under `to`; keep the newest `keep` backups there. Returns the folder. `database`: dump the
    state database when one is set (else it is recorded as left to the DBA)."""
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    final = _new_name(to)
    work = to / f".{final.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    entries = []
    for kept in state.KEPT:
        path = found.get(kept.name)
        if path is None:
            continue
        if kept.kind == "postgresql":
            entries.append(_backup_database(kept, path, work) if database else
                           {"name": kept.name, "kind": kept.kind, "path": backup_database.label(path),
                            "absent": True, "note": "--without-database: backed up by the DBA"})
        elif kept.in_database and found.get("database"):
            entries.append({"name": kept.name, "kind": kept.kind, "path": str(path), "absent": True,
                            "note": "in the state database"})
        elif kept.kind == "warehouse":
            entries.append(_backup_warehouse(kept, Path(path), work))
        elif kept.kind == "folder" and Path(path).is_dir():
            entries.append(_backup_folder(kept, Path(path), work))
        elif not Path(path).exists():
            entries.append({"name": kept.name, "kind": kept.kind, "path": str(path), "absent": True})
        else:
            rel = Path(kept.kind) / f"{kept.name}{Path(path).suffix}"
            if kept.kind == "sqlite":
                _sqlite_copy(Path(path), work / rel)
            else:
                _copy(Path(path), work / rel, secret=kept.kind == "key")
            entries.append(_described(kept, Path(path), work, rel))
    manifest = {"format": FORMAT, "created_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "entries": entries}
    (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for p in work.rglob("*"):
        if p.is_file():
            fsync(p)
    os.replace(work, final)
    fsync(to)
    if keep is not None:
        prune(to, keep)
    return final


def _new_name(to: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    name, n = f"{PREFIX}{stamp}", 1
    while (to / name).exists():
        n += 1
        name = f"{PREFIX}{stamp}-{n}"
    return to / name


def _backup_warehouse(kept: state.Kept, path: Path, work: Path) -> dict:
    if path.is_file():                          # a single DuckDB file
        rel = Path("warehouse") / path.name
        _copy(path, work / rel)
        return {**_described(kept, path, work, rel), "single_file": True}
    for _ in range(5):                          # a publish may prune the file between the two reads
        served = generations.current(path)
        if served is None:
            return {"name": kept.name, "kind": kept.kind, "path": str(path), "absent": True}
        try:
            source = open(served.path, "rb")    # held open (and locked): a prune no longer takes it away
        except FileNotFoundError:
            continue
        with source:
            pointer = json.loads((path / generations.POINTER).read_text(encoding="utf-8"))
            published = pointer.get("published_at") if pointer.get("generation") == served.id else None
            if served.path.parent.name != served.id:           # an older release's single file
                rel = Path("warehouse") / served.path.name
                _copy_from(source, work / rel)
                return {**_described(kept, path, work, rel), "generation": served.id, "published_at": published}
            hold(source.fileno())                   # a prune now leaves the folder alone
            if not served.path.exists():            # pruned before the lock: take the new one
                continue
            entry = _backup_folder(kept, served.path.parent, work, Path("warehouse") / served.id, strict=True)
            return {**entry, "path": str(path), "generation": served.id, "published_at": published}
    raise BackupError(f"数据版本在复制前被删除五次 (the served generation kept changing): {path}")


def _backup_database(kept: state.Kept, url: str, work: Path) -> dict:
    rel = Path("postgresql") / "database.dump"
    try:
        backup_database.dump(url, work / rel)
    except backup_database.DatabaseError as exc:
        raise BackupError(str(exc)) from exc
    return {"name": kept.name, "kind": kept.kind, "path": backup_database.label(url), "file": str(rel),
            "sha256": _sha256(work / rel), "bytes": (work / rel).stat().st_size}


def _folder_files(folder: Path) -> list[Path]:
    """A folder's regular files (not links), relative to it, in order."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _backup_folder(kept: state.Kept, path: Path, work: Path, rel: Path | None = None,
                   strict: bool = False) -> dict:
    """`strict`: a file removed meanwhile is an error (a generation's), not left out (an archive's)."""
    rel = rel or Path("folder") / kept.name
    files = {}
    for name in _folder_files(path):
        try:
            _copy(path / name, work / rel / name)
        except FileNotFoundError:               # removed meanwhile: not part of this backup
            if strict:
                raise
            continue
        files[name.as_posix()] = _sha256(work / rel / name)
    return {"name": kept.name, "kind": kept.kind, "path": str(path), "file": str(rel), "files": files,
            "bytes": sum((work / rel / f).stat().st_size for f in files)}


def _described(kept: state.Kept, path: Path, work: Path, rel: Path) -> dict:
    return {"name": kept.name, "kind": kept.kind, "path": str(path), "file": str(rel),
            "sha256": _sha256(work / rel), "bytes": (work / rel).stat().st_size}


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete backups in `folder`, and any partial one left by
    a backup that was killed."""
    done = sorted(p for p in Path(folder).glob(PREFIX + "*") if (p / MANIFEST).is_file())
    gone = done[: -max(keep, 1)] + list(Path(folder).glob(f".{PREFIX}*.partial"))
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone


# -- restore ------------------------------------------------------------------------------

def restore(source: Path, found: dict[str, Path | None], force: bool = False) -> list[str]:
    """Put a backup's files where `found` (state.locate) says they live. Returns what was done,
    one line each. Raises BackupError, having written nothing, on a bad checksum, a missing or
    unknown entry, or (without `force`) a target that already holds something else."""
    folder = backup_folder(source)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 不受支持 (unsupported backup format)")
    plan = []
    for entry in manifest["entries"]:
        if entry.get("absent"):
            continue
        kept = state.BY_NAME.get(entry["name"])
        if kept is None:
            raise BackupError(f"备份含本版本不认识的 {entry['name']} (a store this release does not know)")
        if "files" in entry:                    # a folder, or a generation's folder
            _check_folder(folder, entry)
        else:
            got = _sha256(folder / entry["file"]) if (folder / entry["file"]).is_file() else None
            if got != entry["sha256"]:
                raise BackupError(f"{entry['file']}: 校验和不符 (checksum mismatch or missing)")
        target = found.get(kept.name) or (Path(entry["path"]) if kept.kind == "file" else None)
        if target is None:
            raise BackupError(f"{kept.name}: 未配置存放位置 (no location configured"
                              + ("; set COCKPIT_DATABASE_URL)" if kept.kind == "postgresql" else ")"))
        plan.append((entry, kept, target if kept.kind == "postgresql" else Path(target)))
    conflicts = [f"{kept.name}: {target}" for entry, kept, target in plan
                 if _occupied(kept, target, folder / entry["file"], entry)]
    if conflicts and not force:
        raise BackupError("目标已存在, 未覆盖 (already there; --force to overwrite): " + "; ".join(conflicts))
    done = []
    for entry, kept, target in sorted(plan, key=lambda p: p[1].kind == "warehouse"):   # pointer last
        done.append(_restore_one(entry, kept, target, folder / entry["file"], force))
    return done


def backup_folder(source: Path) -> Path:
    """`source` itself if it is a backup, else the newest complete backup inside it."""
    source = Path(source)
    if (source / MANIFEST).is_file():
        return source
    found = sorted(p for p in source.glob(PREFIX + "*") if (p / MANIFEST).is_file())
    if not found:
        raise BackupError(f"{source} 中没有完整的备份 (no complete backup)")
    return found[-1]


def _check_folder(folder: Path, entry: dict) -> None:
    for name, digest in entry["files"].items():
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise BackupError(f"{entry['file']}/{name}: 路径不在目录内 (a path outside the folder)")
        got = _sha256(folder / entry["file"] / rel) if (folder / entry["file"] / rel).is_file() else None
        if got != digest:
            raise BackupError(f"{entry['file']}/{name}: 校验和不符 (checksum mismatch or missing)")


def _occupied(kept: state.Kept, target: Path, backed_up: Path, entry: dict) -> bool:
    if kept.kind == "postgresql":
        return backup_database.has_state(target)
    if kept.kind == "folder":                   # a file there already with other bytes
        return any((target / name).exists() and _sha256(target / name) != digest
                   for name, digest in entry["files"].items())
    if kept.kind == "warehouse":
        return target.exists() if entry.get("single_file") else generations.current(target) is not None
    if not target.exists():
        return False
    return kept.kind == "sqlite" or _sha256(target) != _sha256(backed_up)


def _restore_one(entry: dict, kept: state.Kept, target: Path, backed_up: Path, force: bool = False) -> str:
    if kept.kind == "warehouse":
        return _restore_warehouse(entry, target, backed_up)
    if kept.kind == "postgresql":
        try:
            backup_database.restore(target, backed_up, clean=force)
        except backup_database.DatabaseError as exc:
            raise BackupError(str(exc)) from exc
        return (f"database: {backup_database.label(target)} (Web 角色的权限请以属主重新授予 re-grant the web role: "
                f"python -m cockpit.accounts migrate --grant ROLE)")
    if kept.kind == "folder":
        return _restore_folder(entry, target, backed_up)
    target.parent.mkdir(parents=True, exist_ok=True)
    if kept.kind == "sqlite":                   # into the file itself: safe beside a WAL, a reader
        _sqlite_copy(backed_up, target)
    elif target.exists() and _sha256(target) == entry["sha256"]:
        return f"{kept.name}: {target} (相同, 未改动 unchanged)"
    else:
        tmp = target.with_name(f".{target.name}.restoring")
        _copy(backed_up, tmp, secret=kept.kind == "key")
        os.replace(tmp, target)
    return f"{kept.name}: {target}"


def _restore_folder(entry: dict, target: Path, backed_up: Path) -> str:
    """Every file of the backup into the folder (files it has beside them stay)."""
    written = 0
    for name, digest in entry["files"].items():
        dest = target / name
        if dest.exists() and _sha256(dest) == digest:
            continue
        tmp = dest.with_name(f".{dest.name}.restoring")
        _copy(backed_up / name, tmp)
        os.replace(tmp, dest)
        written += 1
    return f"{entry['name']}: {target} ({written} 个文件 files, {len(entry['files']) - written} 相同 unchanged)"


def _restore_warehouse(entry: dict, target: Path, backed_up: Path) -> str:
    if "files" in entry:                        # a generation's folder, built anew where it goes
        if generations.FILE not in entry["files"]:
            raise BackupError(f"{entry['file']}: 缺少 {generations.FILE} (not a whole generation)")
        generation_id = entry["generation"]
        if generations.generation_path(target, generation_id).parent.exists():
            # never written over (it may be the one served): the backup's becomes a generation of its own
            generation_id = f"{generation_id}-restored-{dt.datetime.now():%Y%m%dT%H%M%S}"
        path = start(target, generation_id)
        for name in entry["files"]:
            _copy(backed_up / name, path.parent / name)
        storage.relocate(path)                  # its views name its partitions by absolute path
        publish(target, path, generation_id, keep=len(generations.published(target)) + 1,
                published_at=entry.get("published_at"))
        return f"warehouse: {target} → {generation_id}"
    if entry.get("single_file") and target.suffix == ".duckdb":
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy(backed_up, target.with_name(f".{target.name}.restoring"))
        os.replace(target.with_name(f".{target.name}.restoring"), target)
        return f"warehouse: {target}"
    generation_id = entry.get("generation") or backed_up.stem
    path = generations.generation_path(target, generation_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.restoring")
    _copy(backed_up, tmp)
    os.replace(tmp, path)
    point_to(target, generations.Generation(generation_id, path), entry.get("published_at"))
    return f"warehouse: {target} → {generation_id}"


# -- files --------------------------------------------------------------------------------

def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy, page by page, while others write."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        # one self-contained file (a WAL copy would grow -wal/-shm files beside it when read);
        # the stores turn WAL on again when they open it
        dst.execute("PRAGMA journal_mode=DELETE")
        (ok,) = dst.execute("PRAGMA integrity_check").fetchone()
        if ok != "ok":
            raise BackupError(f"{source}: 完整性检查失败 (integrity check: {ok})")
    finally:
        dst.close()
        src.close()


def _copy(source: Path, target: Path, secret: bool = False) -> None:
    with open(source, "rb") as f:
        _copy_from(f, target, secret)


def _copy_from(f, target: Path, secret: bool = False) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(f, out, 1024 * 1024)
    if secret:
        os.chmod(target, 0o600)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            h.update(block)
    return h.hexdigest()



# -- command line -------------------------------------------------------------------------

def add_commands(sub, warehouse_arg) -> None:
    """`backup` and `restore` for `python -m etl` (etl/__main__.py registers them here)."""
    b = sub.add_parser("backup", help="备份密钥、账号库、审计日志、运行记录、当前数据版本和设置 (back up what a "
                                      "centre keeps)")
    b.add_argument("--to", type=Path, required=True, help="备份目录, 每次一个子目录 (a folder per backup)")
    b.add_argument("--keep", type=int, default=7, help="保留最近几份备份 (newest backups kept; default 7)")
    b.add_argument("--without-database", action="store_true",
                   help="不转储 PostgreSQL 状态库（由数据库管理员另行备份）(the DBA backs the state database up)")
    warehouse_arg(b)
    b.set_defaults(run=_run_backup)
    r = sub.add_parser("restore", help="从备份恢复 (restore; stop the services first)")
    r.add_argument("--from", dest="source", type=Path, required=True,
                   help="一份备份, 或备份目录 (取最新的) (a backup, or the folder of backups: the newest)")
    warehouse_arg(r)
    r.add_argument("--force", action="store_true", help="覆盖已存在的文件 (overwrite what exists)")
    r.set_defaults(run=_run_restore)


def _run_backup(args) -> int:
    folder = backup(args.to, state.locate(os.environ, warehouse=args.warehouse), args.keep,
                    database=not args.without_database)       # BackupError: exit 6, its message
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for e in manifest["entries"]:
        print(f"  {e['name']:<17} {e['file'] if not e.get('absent') else '(' + e.get('note', '无 absent') + ')'}")
    print(f"备份完成: {folder}")
    return ExitCode.DONE


def _run_restore(args) -> int:
    done = restore(args.source, state.locate(os.environ, warehouse=args.warehouse), args.force)
    for line in done:
        print(f"  {line}")
    print("恢复完成 (restored)")
    return ExitCode.DONE
