"""`python -m etl refresh`: the orchestrator. Source files → load (etl/load: read, repair, check,
quarantine) with privacy on the way (etl/privacy) → transform (etl/transform: the SQL models, the
map shapes) → a new generation of the warehouse, checked against the served one and published
atomically (etl/publish). One run at a time (etl/lock.py); every run, however it ends, is in the
run log (etl/runlog.py). Every stage gets the one `Run` (etl/run.py)."""
from __future__ import annotations

import hashlib
import logging
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import NamedTuple

import duckdb

from etl import contract, cores, runlog, storage, workcalendar
from etl.exitcodes import ExitCode, exit_code
from etl.load import areas, bookkeeping, reference
from etl.load.extract import sniff
from etl.load.files import check_file, source_files
from etl.load.updates import applied, create_tables, merge_events, update_files
from etl.lock import Locked, refresh_lock
from etl.publish import checks, generations, meta
from etl.run import PublishRules, Run, RunReport, connect, literal, new_run_id
from etl.transform import calendar, map_shapes, models
from etl.warning import build as warning
from warehouse.generations import Generation, current
from warehouse.keys import load_or_create_key
from warehouse.vault import vault_key_path

log = logging.getLogger(__name__)


def refresh(source: Path, warehouse: Path, key_file: Path, mapping: Path | None = None,
            rules: PublishRules = PublishRules(), incremental: bool = False,
            warning_settings: Path | None = None) -> RunReport:
    """Load `source` (files named by the contract, or by a site's `mapping` file) into a new
    generation of `warehouse` and serve it if it passes the checks. `incremental`: start from the
    served generation and merge only the event update files it has not seen (etl/load/updates.py).
    `warning_settings`: a site's early-warning settings file (etl/warning/settings.toml)."""
    run = Run(source, warehouse, key_file, mapping, rules, incremental, warning_settings)
    command = "refresh --incremental" if incremental else "refresh"
    with _locked(run.warehouse, command, str(source)), closing(runlog.connect(run.warehouse)) as runs:
        run.runs = runs
        if runlog.mark_interrupted(runs):
            log.warning("上次运行被中断 (the previous run was killed); its build is discarded")
        report = run.report
        runlog.start(runs, run.run_id, command, str(source))
        try:
            _refresh_locked(run)
        except BaseException as exc:
            report.status = "rejected" if exit_code(exc) == ExitCode.REJECTED else "failed"
            if report.problems:
                report.detail["problems"] = report.problems
            runlog.finish(runs, run.run_id, report.status, exit_code(exc),
                          seconds=time.perf_counter() - report.t0, files=report.files,
                          generation=report.generation,     # the data an incremental run served
                          error=f"{type(exc).__name__}: {exc}", detail=report.detail or None)
            raise
        finally:
            generations.clear_building(run.warehouse)
        report.seconds = time.perf_counter() - report.t0
        runlog.finish(runs, run.run_id, report.status, ExitCode.DONE, seconds=report.seconds,
                      files=report.files, generation=report.generation, detail=report.detail or None)
    return report


@contextmanager
def _locked(warehouse: Path, command: str, source: str | None):
    """The warehouse's lock; a run refused for want of it is recorded in the run log."""
    try:
        lock = refresh_lock(warehouse)
        lock.__enter__()
    except Locked as exc:
        runlog.refused(warehouse, new_run_id(), command, source, str(exc))
        raise
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def _refresh_locked(run: Run) -> None:
    """Publish the data, then its early warnings as the next generation: warnings take a minute at
    city scale, and neither that minute nor a failure of theirs need hold the data back. Until
    the second is published the first serves the warnings of the data before, labelled so
    (warning.meta; carried over by a full build). A run that finds nothing new still computes the
    warnings when the served ones are not those of its data (the run that published it was killed
    before its warnings were)."""
    generations.clear_building(run.warehouse)          # whatever is there, a killed run left it
    run.specs = contract.load_contract(run.mapping)
    run.served = current(run.warehouse)
    state = _served_state(run.served, run.warning_settings) if run.served else None
    same_release = state is not None and state.built_by == meta.WAREHOUSE_FORMAT
    if run.incremental and same_release:
        try:
            data = _refresh_incremental(run, state)
        except _GridsChanged:
            log.info("增量使数据截止时刻越过网格版本的起止, 改为完整刷新 (the as-of crossed a grid "
                     "version's start or end: a full refresh checks every point at it)")
            generations.clear_building(run.warehouse)
            run.report.files.clear()
            data = _refresh_full(run, state, carry_from=run.served)
    else:
        if run.incremental and state is not None:
            log.info("当前版本由旧版程序生成, 改为完整刷新 (built by an older release: a full refresh)")
        data = _refresh_full(run, state, carry_from=run.served if same_release else None)
    if data is not None:
        run.report.detail.update(data_generation=data.id,
                                 data_seconds=round(time.perf_counter() - run.report.t0, 3))
        run.served = data
    if run.served is not None and _served_state(run.served, run.warning_settings).warnings_stale:
        _publish_warnings(run)


class ServedState(NamedTuple):
    applied: set[str]                 # hashes of the update files merged into it
    warnings_stale: bool              # its warnings are not those of its data and settings
    built_by: str | None              # the WAREHOUSE_FORMAT of the release that built it
    digest: str | None                # its source files' fingerprint
    calendar: str | None = None       # the work calendar its deadlines were counted on


def _served_state(served: Generation, warning_settings) -> ServedState:
    with closing(duckdb.connect()) as con:
        try:
            con.execute(f"ATTACH {literal(served.path)} AS wh (READ_ONLY)")
            row = con.execute("SELECT * FROM wh.ops.meta").df().iloc[0]
        except duckdb.Error:            # unreadable: a full build replaces it
            return ServedState(set(), False, None, None)
        return ServedState(applied(con), warning.stale(con, warning_settings),
                           row.get("warehouse_format"), row.get("source_digest"),
                           row.get("calendar_digest"))


def _refresh_full(run: Run, state: ServedState | None, carry_from: Generation | None) -> Generation | None:
    """A new generation from every source file, unless they are those of the served one. The
    warnings of `carry_from` (the served generation, if this release built it: their columns may
    have changed since) stand in until the build's own follow."""
    files = source_files(run.source, run.specs)      # hashed on threads (hashlib leaves the GIL)
    sniffed = dict(zip(files, cores.map_threads(sniff, files)))
    digest = meta.fingerprint(sniffed, run.mapping)
    if state is not None and not run.rules.force and state.digest == digest:
        run.report.status, run.report.generation = "unchanged", run.served.id
        log.info("源文件与当前版本 %s 相同, 不重建 (unchanged)", run.served.id)
        return None
    building = generations.start(run.warehouse, run.run_id)
    _build(run, building, sniffed, digest, carry_from)
    return _check_and_publish(run, building)


def _build(run: Run, building: Path, sniffed: dict, digest: str, carry_from: Generation | None) -> None:
    """Every source into a work file (building/), then written out as the generation's folder."""
    run.key, run.vault_key = load_or_create_key(run.key_file), load_or_create_key(vault_key_path(run.key_file))
    work = generations.work_path(run.warehouse, run.run_id, ".duckdb")
    run.con = connect(run.rules.memory_limit, generations.work_path(run.warehouse, run.run_id, ".spill"))
    con = run.con
    try:
        con.execute(f"ATTACH {literal(work)} AS wh")
        bookkeeping.create(con)
        reference.load(con)
        calendar.write_workdays(con)
        areas.load(run)
        checks.refuse_early(run)
        # the events (load order 0: they reference no other source) and their updates first: they
        # fix the data's as-of instant, at which the sources' points without a date are checked
        events = next(s for s in run.specs if s.table == "events")
        _load_file(run, events, sniffed)
        create_tables(con)
        for path in update_files(run.source):
            _apply_update(run, path, events, sniffed[path])
            checks.refuse_early(run)
        run.as_of = meta.as_of(con)
        for spec in run.specs:            # persons reference households: order matters
            if spec is not events:
                _load_file(run, spec, sniffed)
        models.run(con, ("staging", "core"))
        calendar.write_coverage(con)
        meta.write(run, digest)                     # marts read the as-of instant from meta
        models.create_views(con)                    # areas_in_force: the areas in force at as-of
        map_shapes.write(con)                       # the polygons in force at as-of, simplified
        models.run(con, ("marts",))
        if carry_from is not None and warning.enabled(run.warning_settings):
            warning.carry_over(con, literal(carry_from.path))
        storage.write(con, building.parent, models.create_views)
        con.execute("DETACH wh")
    finally:
        con.close()
        run.con = None
        work.unlink(missing_ok=True)


def _load_file(run: Run, spec: contract.SourceFile, sniffed: dict) -> None:
    """One source of a full build checked, loaded and sealed, and the core table it feeds made
    (later sources check their references against it)."""
    check_file(run, run.source / spec.file, spec.file, spec, sniffed[run.source / spec.file], seal=True)
    models.run_file(run.con, "staging", f"stg_{spec.table}")
    models.run_file(run.con, "core", spec.table)
    # its rows are in the core table now: the in-memory stages no other model reads are emptied,
    # not kept to the end of the run (40 million events were three whole copies spilled to disk)
    tables = {t for (t,) in run.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'memory'").fetchall()}
    for stage in (f"checked_{spec.table}", f"stg_{spec.table}"):       # (a staging view holds nothing)
        if stage in tables and models.readers(stage) <= {f"stg_{spec.table}", spec.table}:
            run.con.execute(f"CREATE OR REPLACE TABLE memory.{stage} AS SELECT * FROM memory.{stage} LIMIT 0")
    checks.refuse_early(run)


def _check_and_publish(run: Run, building: Path, generation_id: str | None = None) -> Generation:
    generation_id = generation_id or run.run_id
    checks.refuse_unfit(run, building)
    published = generations.publish(run.warehouse, building, generation_id, run.rules.keep)
    run.report.status, run.report.generation = "published", generation_id
    log.info("发布 %s", generation_id)
    return published


def _refresh_incremental(run: Run, state: ServedState) -> Generation | None:
    """The served generation with the update files it has not merged (etl/load/updates.py), its
    marts brought up to date (etl/transform/models.py), and its deadlines counted again if the
    work calendar changed; None when there is neither."""
    new = {p: sniff(p) for p in update_files(run.source)}
    new = {p: v for p, v in new.items() if v[0] not in state.applied}
    recalendar = state.calendar != workcalendar.digest()
    if not new and not recalendar:
        run.report.status, run.report.generation = "unchanged", run.served.id
        log.info("没有新的事件增量文件 (no new update files); 仍为 %s", run.served.id)
        return None
    return _merge_updates(run, new, recalendar)


def _merge_updates(run: Run, new: dict, recalendar: bool = False) -> Generation:
    events = next(s for s in run.specs if s.table == "events")
    building = generations.start(run.warehouse, run.run_id)
    with _overlay(run, building) as con:
        con.execute("CREATE TABLE memory.previous_meta AS SELECT * FROM wh.ops.meta")
        con.execute("CREATE TABLE memory.merged_events (event_id VARCHAR)")
        run.key = load_or_create_key(run.key_file)
        for path, sniffed in new.items():
            _apply_update(run, path, events, sniffed)
        if recalendar:
            log.info("工作日历已变更: 重算办理时限 (work calendar changed: deadlines counted again)")
            calendar.write_workdays(con)
            models.rebuild_from(con, "needs", "workdays")
        calendar.write_coverage(con)
        served_digest = con.execute("SELECT source_digest FROM wh.ops.meta").fetchall()[0][0]
        digest = hashlib.sha256((served_digest + "".join(v[0] for v in new.values())
                                 + (workcalendar.digest() if recalendar else "")).encode()).hexdigest()
        run.as_of = meta.as_of(con)
        (before,) = con.execute("SELECT as_of FROM memory.previous_meta").fetchone()
        if _grid_versions_between(con, before, run.as_of):
            raise _GridsChanged()      # the served rows without a date were checked at the old as-of
        meta.write(run, digest)
        areas_changed = map_shapes.stale(con, before)      # an area started or ended since
        if areas_changed:
            map_shapes.write(con)
        models.touched_versions(con, run.run_id)
        models.update_marts(con, areas_changed)
        if not warning.enabled(run.warning_settings):
            warning.drop(con)                       # switched off: no warnings, old or new
    return _check_and_publish(run, building)


class _GridsChanged(Exception):
    """An incremental run's as-of crossed a grid version's start or end."""


def _grid_versions_between(con, before, after) -> bool:
    """Whether a grid version starts or ends between two as-of instants: the households,
    addresses and organisations (points without a date, checked at the as-of) would be checked
    against other versions by a full build of the same files."""
    (n,) = con.execute("""SELECT count(*) FROM wh.core.areas, (SELECT least(?::TIMESTAMP, ?::TIMESTAMP) AS lo,
                                                              greatest(?::TIMESTAMP, ?::TIMESTAMP) AS hi) t
                          WHERE level = 'grid' AND ((valid_from > lo AND valid_from <= hi)
                                                    OR (valid_to > lo AND valid_to <= hi))""",
                       [before, after, before, after]).fetchone()
    return n > 0


def _publish_warnings(run: Run) -> None:
    """The served generation with its warnings computed, published as the next one."""
    generation_id = new_run_id()
    building = generations.start(run.warehouse, generation_id)
    with _overlay(run, building) as con:
        warning.write(con, run.warehouse, run.warning_settings)
    _check_and_publish(run, building, generation_id)


@contextmanager
def _overlay(run: Run, building: Path):
    """The run's connection with the served generation as an overlay attached as `wh`
    (etl/storage.py: its small tables in memory, its large ones read in place), to be changed;
    written out as the generation `building` when the block ends without error. The served
    generation's files are never written."""
    run.con = con = connect(run.rules.memory_limit,
                            generations.work_path(run.warehouse, building.parent.name, ".spill"))
    try:
        storage.open_served(con, run.served.path, models.create_views)
        yield con
        storage.write(con, building.parent, models.create_views)
        con.execute("DETACH wh")
    finally:
        con.close()
        run.con = None


def _apply_update(run: Run, path: Path, spec: contract.SourceFile, sniffed: tuple[str, str]) -> None:
    """One event update file checked (its personal values are not sealed: the full export's are)
    and merged into wh.core.events (etl/load/updates.py)."""
    con = run.con
    label = str(path.relative_to(run.source))
    check_file(run, path, label, spec, sniffed)
    models.run_file(con, "staging", "stg_events")
    core = models.model_sql("core", "events")
    con.execute(f"CREATE OR REPLACE TABLE memory.events_incoming AS {core}")
    counts = merge_events(con, "memory.events_incoming", run.run_id, label, sniffed[0])
    log.info("  %s: 新增 %d, 更新 %d, 过时 %d", label, counts["new"], counts["changed"], counts["stale"])


def rollback(warehouse: Path) -> tuple[Generation, Generation]:
    """Serve the generation before the served one (`python -m etl rollback`), logged as a run."""
    warehouse = Path(warehouse)
    t0 = time.perf_counter()
    with _locked(warehouse, "rollback", None), closing(runlog.connect(warehouse)) as runs:
        runlog.mark_interrupted(runs)
        run_id = new_run_id()
        runlog.start(runs, run_id, "rollback", None)
        try:
            was, now = generations.rollback(warehouse)
        except BaseException as exc:
            runlog.finish(runs, run_id, "failed", exit_code(exc), seconds=time.perf_counter() - t0,
                          error=f"{type(exc).__name__}: {exc}")
            raise
        runlog.finish(runs, run_id, "rolled_back", ExitCode.DONE, seconds=time.perf_counter() - t0,
                      generation=now.id, detail={"from": was.id, "to": now.id})
    return was, now
