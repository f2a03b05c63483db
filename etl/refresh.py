"""`python -m etl refresh`: source files → checks → quarantine → models → a new generation of the
warehouse, checked against the served one and published atomically (etl/generations.py). One run
at a time (etl/lock.py); every run, however it ends, is in the run log (etl/runlog.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import sys
import time
import tomllib
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

from etl import contract, generations, models, runlog, values, vault, workcalendar
from etl.areas import area_layer_paths, read_area_layers
from etl.checks import NOW_LOCAL, failures_sql, has_points
from etl.exitcodes import ExitCode
from etl.extract import SourceError, load_csv, sniff
from etl.generations import NothingToRollBack
from etl.geo import map_shapes, topology
from etl.lock import Locked, refresh_lock
from etl.points import check_points, convert_gcj02
from etl.privacy import hmac_pads, masking_sql, scrub_text_sql, shown_line
from etl.reference import load_event_categories
from etl.repairs import repair
from etl.updates import applied, create_tables, merge_events, update_files
from etl.warning import build as warning
from etl.warning.settings import SettingsError
from warehouse.generations import Generation, current
from warehouse.keys import load_or_create_key
from warehouse.paths import ROOT
from warehouse.vault import vault_key_path

log = logging.getLogger(__name__)
# tables whose row counts must not collapse from one generation to the next
# the tables a build writes, by release: change it when they change, and every warehouse built
# before is rebuilt on its next refresh even though its source files are unchanged
WAREHOUSE_FORMAT = ("2026-12-06 column kinds: shared masks, scrubbed text, load_log.lines_in, "
                    "meta.calendar_digest, calendar_coverage, grid_topology")
GUARDED_TABLES = ("areas", "households", "persons", "events")


@dataclass(frozen=True)
class PublishRules:
    """What a build must pass before it is served (docs/operations.md, section 18)."""
    keep: int = 3                       # generations kept on disk, the served one included
    min_row_ratio: float = 0.5          # each guarded table keeps at least this share of its rows
    max_quarantine_share: float = 0.05  # of any one file's rows
    # grids that do not tile their community (etl/geo/topology.py): "warn" (report and publish)
    # or "refuse" (exit 4); overlaps and gaps up to this many square metres are not reported
    topology: str = "warn"
    topology_tolerance_m2: float = 100.0
    force: bool = False                 # build and publish even when the files are unchanged
    # DuckDB's memory during a build (read when the rules are made, so a test can set it)
    memory_limit: str = field(default_factory=lambda: os.environ.get("ETL_MEMORY_LIMIT", "2GB"))


class PublishRefused(Exception):
    """The build failed its checks; the served generation stays."""


@dataclass
class RunReport:
    run_id: str
    status: str = "running"
    generation: str | None = None
    files: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    detail: dict = field(default_factory=dict)          # the run log's detail column
    t0: float = field(default_factory=time.perf_counter)


def new_run_id() -> str:
    """Sortable by start time (generations are ordered by name), to the microsecond: two runs in
    one second still sort in the order they started. The suffix keeps ids unique across hosts."""
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S.%f-") + uuid.uuid4().hex[:4]


def _connect(memory_limit: str, spill: Path) -> duckdb.DuckDBPyConnection:
    """The build's in-memory database, held to `memory_limit` (DuckDB would take 80 % of the
    machine); what does not fit spills to `spill`, inside the building folder, which every run
    clears. On a terminal, DuckDB draws a progress bar for any query running over two seconds;
    in a log file (cron, systemd) it stays quiet."""
    spill.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute(f"SET enable_progress_bar = {str(sys.stdout.isatty()).lower()}")
    values.register(con)
    return con


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"   # ATTACH takes no bound parameter


def refresh(source: Path, warehouse: Path, key_file: Path, mapping: Path | None = None,
            rules: PublishRules = PublishRules(), incremental: bool = False,
            warning_settings: Path | None = None) -> RunReport:
    """Load `source` (files named by the contract, or by a site's `mapping` file) into a new
    generation of `warehouse` and serve it if it passes the checks. `incremental`: start from the
    served generation and merge only the event update files it has not seen (etl/updates.py).
    `warning_settings`: a site's early-warning settings file (etl/warning/settings.toml)."""
    warehouse = Path(warehouse)
    command = "refresh --incremental" if incremental else "refresh"
    with _locked(warehouse, command, str(source)), closing(runlog.connect(warehouse)) as runs:
        if runlog.mark_interrupted(runs):
            log.warning("上次运行被中断 (the previous run was killed); its build is discarded")
        report = RunReport(new_run_id())
        runlog.start(runs, report.run_id, command, str(source))
        try:
            _refresh_locked(Path(source), warehouse, key_file, mapping, rules, report, incremental,
                            warning_settings)
        except BaseException as exc:
            report.status = "rejected" if isinstance(exc, PublishRefused) else "failed"
            if report.problems:
                report.detail["problems"] = report.problems
            runlog.finish(runs, report.run_id, report.status, exit_code(exc),
                          seconds=time.perf_counter() - report.t0, files=report.files,
                          generation=report.generation,     # the data an incremental run served
                          error=f"{type(exc).__name__}: {exc}", detail=report.detail or None)
            raise
        finally:
            generations.clear_building(warehouse)
        report.seconds = time.perf_counter() - report.t0
        runlog.finish(runs, report.run_id, report.status, ExitCode.DONE, seconds=report.seconds,
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


def exit_code(exc: BaseException) -> ExitCode:
    """The process exit code for a run that ended with `exc` (etl/exitcodes.py)."""
    if isinstance(exc, (SourceError, SettingsError, tomllib.TOMLDecodeError, workcalendar.CalendarError)):
        return ExitCode.SOURCE_ERROR
    if isinstance(exc, Locked):
        return ExitCode.LOCKED
    if isinstance(exc, PublishRefused):
        return ExitCode.REJECTED
    if isinstance(exc, NothingToRollBack):
        return ExitCode.NOTHING_TO_ROLL_BACK
    return ExitCode.UNEXPECTED


def _refresh_locked(source, warehouse, key_file, mapping, rules, report, incremental, warning_settings):
    """Publish the data, then its early warnings as the next generation: warnings take a minute at
    city scale, and neither that minute nor a failure of theirs need hold the data back. Until
    the second is published the first serves the warnings of the data before, labelled so
    (warning_meta; carried over by a full build). A run that finds nothing new still computes the
    warnings when the served ones are not those of its data (the run that published it was killed
    before its warnings were)."""
    generations.clear_building(warehouse)          # whatever is there, a killed run left it
    specs = contract.load_contract(mapping)
    served = current(warehouse)
    state = _served_state(served, warning_settings) if served else None
    same_release = state is not None and state.built_by == WAREHOUSE_FORMAT
    if incremental and same_release:
        data = _refresh_incremental(source, warehouse, served, key_file, specs, rules, report, state,
                                    warning_settings)
    else:
        if incremental and state is not None:
            log.info("当前版本由旧版程序生成, 改为完整刷新 (built by an older release: a full refresh)")
        data = _refresh_full(source, warehouse, served, key_file, specs, mapping, rules, report, state,
                             warning_settings, carry_from=served if same_release else None)
    if data is not None:
        report.detail.update(data_generation=data.id, data_seconds=round(time.perf_counter() - report.t0, 3))
        served = data
    if served is not None and _served_state(served, warning_settings).warnings_stale:
        _publish_warnings(warehouse, served, rules, report, warning_settings)


class ServedState(NamedTuple):
    applied: set[str]                 # hashes of the update files merged into it
    warnings_stale: bool              # its warnings are not those of its data and settings
    built_by: str | None              # the WAREHOUSE_FORMAT of the release that built it
    digest: str | None                # its source files' fingerprint
    calendar: str | None = None       # the work calendar its deadlines were counted on


def _served_state(served, warning_settings) -> ServedState:
    with closing(duckdb.connect()) as con:
        try:
            con.execute(f"ATTACH {_literal(served.path)} AS wh (READ_ONLY)")
            meta = con.execute("SELECT * FROM wh.meta").df().iloc[0]
        except duckdb.Error:            # unreadable: a full build replaces it
            return ServedState(set(), False, None, None)
        return ServedState(applied(con), warning.stale(con, warning_settings),
                           meta.get("warehouse_format"), meta.get("source_digest"),
                           meta.get("calendar_digest"))


def _refresh_full(source, warehouse, served, key_file, specs, mapping, rules, report, state, warning_settings,
                  carry_from):
    """A new generation from every source file, unless they are those of the served one. The
    warnings of `carry_from` (the served generation, if this release built it: their columns may
    have changed since) stand in until the build's own follow."""
    sniffed = {p: sniff(p) for p in _source_files(source, specs)}
    digest = _fingerprint(sniffed, mapping)
    if state is not None and not rules.force and state.digest == digest:
        report.status, report.generation = "unchanged", served.id
        log.info("源文件与当前版本 %s 相同, 不重建 (unchanged)", served.id)
        return None
    building = generations.building_path(warehouse, report.run_id)
    building.parent.mkdir(parents=True, exist_ok=True)
    _build(source, building, key_file, specs, sniffed, digest, report, rules, carry_from, warning_settings)
    return _check_and_publish(warehouse, building, served, rules, report)


def _check_and_publish(warehouse, building, served, rules, report, generation_id=None) -> Generation:
    generation_id = generation_id or report.run_id
    report.problems = _publish_problems(building, served, report, rules)
    if report.problems:
        raise PublishRefused("; ".join(report.problems))
    published = generations.publish(warehouse, building, generation_id, rules.keep)
    report.status, report.generation = "published", generation_id
    log.info("发布 %s", generation_id)
    return published


def _refresh_incremental(source, warehouse, served, key_file, specs, rules, report, state, warning_settings):
    """The served generation with the update files it has not merged (etl/updates.py), its marts
    brought up to date (etl/models.py), and its deadlines counted again if the work calendar
    changed; None when there is neither."""
    new = {p: sniff(p) for p in update_files(source)}
    new = {p: v for p, v in new.items() if v[0] not in state.applied}
    recalendar = state.calendar != workcalendar.digest()
    if not new and not recalendar:
        report.status, report.generation = "unchanged", served.id
        log.info("没有新的事件增量文件 (no new update files); 仍为 %s", served.id)
        return None
    return _merge_updates(source, warehouse, served, key_file, specs, rules, report, new, warning_settings,
                          recalendar)


def _merge_updates(source, warehouse, served, key_file, specs, rules, report, new,
                   warning_settings, recalendar=False) -> Generation:
    events = next(s for s in specs if s.table == "events")
    building = generations.building_path(warehouse, report.run_id)
    with _copy_of(served, building, rules) as con:
        con.execute("CREATE TABLE memory.previous_meta AS SELECT * FROM wh.meta")
        con.execute("CREATE TABLE memory.merged_events (event_id VARCHAR)")
        key = load_or_create_key(key_file)
        for path, sniffed in new.items():
            _apply_update(con, source, path, events, key, report, sniffed)
        if recalendar:
            log.info("工作日历已变更: 重算办理时限 (work calendar changed: deadlines counted again)")
            _write_workdays(con)
            models.rebuild_from(con, "needs", "workdays")
        _write_calendar_coverage(con)
        served_digest = con.execute("SELECT source_digest FROM wh.meta").fetchall()[0][0]
        digest = hashlib.sha256((served_digest + "".join(v[0] for v in new.values())
                                 + (workcalendar.digest() if recalendar else "")).encode()).hexdigest()
        _write_meta(con, report, source, digest)
        (before,) = con.execute("SELECT as_of FROM memory.previous_meta").fetchone()
        if map_shapes.stale(con, before):           # an area started or ended since
            map_shapes.write(con)
        models.touched_versions(con, report.run_id)
        models.update_marts(con)
        if not warning.enabled(warning_settings):
            warning.drop(con)                       # switched off: no warnings, old or new
    return _check_and_publish(warehouse, building, served, rules, report)


def _publish_warnings(warehouse, served, rules, report, warning_settings):
    """The served generation with its warnings computed, published as the next one."""
    generation_id = new_run_id()
    building = generations.building_path(warehouse, generation_id)
    with _copy_of(served, building, rules) as con:
        warning.write(con, warehouse, warning_settings)
    _check_and_publish(warehouse, building, served, rules, report, generation_id)


@contextmanager
def _copy_of(served, building: Path, rules):
    """A connection with a copy of the served generation attached as `wh`, to be changed and
    published (never the served file itself); detached when the block ends without error."""
    building.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(served.path, building)
    con = _connect(rules.memory_limit, building.with_suffix(".spill"))
    try:
        con.execute(f"ATTACH {_literal(building)} AS wh")
        yield con
        con.execute("DETACH wh")
    finally:
        con.close()


def _apply_update(con, source, path, spec, key, report, sniffed):
    label = str(path.relative_to(source))
    _check_file(con, path, label, spec, key, report, sniffed)
    models.run_file(con, "staging", "stg_events")
    core = models.model_sql("core", "events")
    con.execute(f"CREATE OR REPLACE TABLE memory.events_incoming AS {core}")
    counts = merge_events(con, "memory.events_incoming", report.run_id, label, sniffed[0])
    log.info("  %s: 新增 %d, 更新 %d, 过时 %d", label, counts["new"], counts["changed"], counts["stale"])


def _source_files(source: Path, specs) -> list[Path]:
    paths = area_layer_paths(source) + [source / s.file for s in specs] + update_files(source)
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise SourceError(f"缺少源文件 {', '.join(missing)} (missing source files in {source})")
    return paths


def _fingerprint(sniffed: dict, mapping: Path | None) -> str:
    """One digest of what a build reads: every file's name and content, the mapping, the work
    calendar (a changed calendar counts deadlines again), and the warehouse's format (so a
    release that builds new tables rebuilds unchanged files once)."""
    h = hashlib.sha256(f"format:{WAREHOUSE_FORMAT}\ncalendar:{workcalendar.digest()}\n".encode())
    for path, (sha, _) in sorted(sniffed.items(), key=lambda kv: kv[0].name):
        h.update(f"{path.name}:{sha}\n".encode())
    if mapping is not None:
        h.update(Path(mapping).read_bytes())
    return h.hexdigest()


def _build(source, building, key_file, specs, sniffed, digest, report, rules, carry_from, warning_settings):
    key, vault_key = load_or_create_key(key_file), load_or_create_key(vault_key_path(key_file))
    con = _connect(rules.memory_limit, building.with_suffix(".spill"))
    try:
        con.execute(f"ATTACH {_literal(building)} AS wh")
        _create_bookkeeping(con)
        _load_reference(con)
        _load_areas(con, source, report, rules)
        _refuse_early(report, rules)
        for spec in specs:            # persons reference households: order matters
            _load_source(con, source, spec, key, report, sniffed[source / spec.file], vault_key)
            _refuse_early(report, rules)
        create_tables(con)
        events = next(s for s in specs if s.table == "events")
        for path in update_files(source):
            _apply_update(con, source, path, events, key, report, sniffed[path])
            _refuse_early(report, rules)
        models.run(con, ("staging", "core"))
        _write_calendar_coverage(con)
        _write_meta(con, report, source, digest)    # marts read the as-of instant from meta
        map_shapes.write(con)                       # the polygons in force at as-of, simplified
        models.run(con, ("marts",))
        if carry_from is not None and warning.enabled(warning_settings):
            warning.carry_over(con, _literal(carry_from.path))
        con.execute("DETACH wh")
    finally:
        con.close()


def _quarantine_problems(report: RunReport, rules: PublishRules) -> list[str]:
    return [f"{f['file']}: 隔离 {f['quarantined']}/{f['rows_in']} 行, 超过 "
            f"{rules.max_quarantine_share:.0%} (too much quarantined)"
            for f in report.files
            if f["rows_in"] and f["quarantined"] / f["rows_in"] > rules.max_quarantine_share]


def _refuse_early(report: RunReport, rules: PublishRules) -> None:
    """A file quarantined beyond the limit dooms the build: stop now, not after every model."""
    report.problems = _quarantine_problems(report, rules)
    if report.problems:
        raise PublishRefused("; ".join(report.problems))


def _publish_problems(building: Path, served, report: RunReport, rules: PublishRules) -> list[str]:
    """Reasons not to serve this build: a file mostly quarantined, a table collapsed."""
    problems = _quarantine_problems(report, rules)
    if served is not None:
        new, old = _row_counts(building), _row_counts(served.path)
        for table in GUARDED_TABLES:
            if old.get(table) and new.get(table, 0) < rules.min_row_ratio * old[table]:
                problems.append(f"{table}: {new.get(table, 0)} 行, 上一版本 {old[table]} 行 "
                                f"(fewer than {rules.min_row_ratio:.0%} of the served generation)")
    return problems


def _row_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in GUARDED_TABLES if t in present}
    finally:
        con.close()


def _create_bookkeeping(con):
    con.execute("""CREATE TABLE wh.quarantine (run_id VARCHAR, file VARCHAR, line BIGINT,
                   column_name VARCHAR, rule VARCHAR, raw_value VARCHAR)""")
    con.execute("""CREATE TABLE wh.repairs (run_id VARCHAR, file VARCHAR, line BIGINT,
                   column_name VARCHAR, repair VARCHAR, raw_value VARCHAR, repaired_value VARCHAR)""")
    con.execute("""CREATE TABLE wh.load_log (run_id VARCHAR, file VARCHAR, sha256 VARCHAR,
                   encoding VARCHAR, rows_in BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
                   rows_repaired BIGINT, lines_in BIGINT)""")
    con.execute("CREATE TABLE wh.vault (source_table VARCHAR, bucket BIGINT, sealed BLOB)")
    con.execute("CREATE TABLE wh.vault_index (source_table VARCHAR, record_id VARCHAR, bucket BIGINT)")


WORKDAYS_FROM = dt.date(2015, 1, 1)     # before any record a centre keeps on line


def _load_reference(con):
    cats = load_event_categories()
    con.register("cats", cats)
    con.execute("CREATE TABLE wh.event_categories AS SELECT * FROM cats")
    con.unregister("cats")
    _write_workdays(con)


def _write_workdays(con):
    """Working days numbered in order: a limit of N working days from a date is one join (needs)."""
    days = workcalendar.workdays(WORKDAYS_FROM, dt.date.today() + dt.timedelta(days=3 * 366))
    con.execute("CREATE OR REPLACE TABLE wh.workdays AS SELECT day, row_number() OVER (ORDER BY day) AS n "
                "FROM (SELECT unnest(?::DATE[]) AS day)", [days])


def _write_calendar_coverage(con):
    """wh.calendar_coverage: per year with events or needs (reported, or due), which calendar
    decides its working days (NULL: none, Monday–Friday counted) and how many events and needs
    it holds; and next year from November on, before it has any, so a missing notice shows up
    while there is time to add it."""
    rows = con.execute("""
        WITH y AS (
            SELECT year(reported_at) AS year, 1 AS events, 0 AS needs FROM wh.events
            UNION ALL SELECT year(deadline), 0, 0 FROM wh.events WHERE deadline IS NOT NULL
            UNION ALL SELECT year(reported_date), 0, 1 FROM wh.needs
            UNION ALL SELECT year(deadline_date), 0, 0 FROM wh.needs WHERE deadline_date IS NOT NULL)
        SELECT year, sum(events)::BIGINT, sum(needs)::BIGINT FROM y GROUP BY year ORDER BY year""").fetchall()
    today = dt.date.today()
    if today.month >= 11 and today.year + 1 not in {r[0] for r in rows}:
        rows.append((today.year + 1, 0, 0))
    cal = workcalendar.load_calendar()
    table = [(year, workcalendar.source_of(year, cal), events, needs) for year, events, needs in rows]
    con.execute("CREATE OR REPLACE TABLE wh.calendar_coverage (year INTEGER, source VARCHAR, "
                "events BIGINT, needs BIGINT)")
    if table:
        con.executemany("INSERT INTO wh.calendar_coverage VALUES (?, ?, ?, ?)", table)
    for year, source_, events, needs in table:
        if source_ is None:
            log.warning("工作日历未覆盖 %d 年 (事件 %d, 需求 %d): 按周一至周五计算; 请在 %s 中添加该年",
                        year, events, needs, workcalendar.calendar_path())


def _load_areas(con, source: Path, report: RunReport, rules: PublishRules):
    log.info("读取网格图层 …")
    areas, bad, counts = read_area_layers(source)
    con.register("areas_df", areas)
    con.execute("CREATE TABLE wh.areas AS SELECT * FROM areas_df")
    con.unregister("areas_df")
    _check_topology(con, areas, report, rules)
    if len(bad):
        bad.insert(0, "run_id", report.run_id)
        con.register("bad", bad)
        con.execute("INSERT INTO wh.quarantine SELECT * FROM bad")
        con.unregister("bad")
    for file, (sha, n_in, n_ok, n_bad) in counts.items():
        _log_file(con, report, file, sha, "utf-8", n_in, n_ok, n_bad)


def _check_topology(con, areas, report: RunReport, rules: PublishRules):
    """wh.grid_topology: where grids overlap, leave gaps in or leave their community beyond the
    tolerance; refused or reported by rules.topology."""
    found = topology.check(areas, rules.topology_tolerance_m2)
    con.execute("CREATE TABLE wh.grid_topology (check_date DATE, community_code VARCHAR, problem VARCHAR, "
                "grid_codes VARCHAR, area_m2 DOUBLE)")
    if len(found):
        con.register("topology_df", found)
        con.execute("INSERT INTO wh.grid_topology SELECT check_date, community_code, problem, grid_codes, "
                    "area_m2 FROM topology_df")
        con.unregister("topology_df")
    if found.empty:
        return
    summary = "; ".join(f"{r.community_code} {r.problem} {r.grid_codes} {r.area_m2:,.0f} m²"
                        for r in found.head(5).itertuples())
    message = (f"网格拓扑: {len(found)} 处重叠、缝隙或越出社区超过 {rules.topology_tolerance_m2:g} m² "
               f"(grids do not tile their community): {summary}" + (" …" if len(found) > 5 else ""))
    report.detail["topology_problems"] = len(found)
    if rules.topology == "refuse":
        report.problems = [message]
        raise PublishRefused(message)
    log.warning(message)


def _load_source(con, source: Path, spec: contract.SourceFile, key: bytes, report: RunReport,
                 sniffed: tuple[str, str], vault_key: bytes):
    _check_file(con, source / spec.file, spec.file, spec, key, report, sniffed, vault_key)
    # the core table this source feeds must exist before later sources check references
    models.run_file(con, "staging", f"stg_{spec.table}")
    models.run_file(con, "core", spec.table)


def _check_file(con, path: Path, label: str, spec: contract.SourceFile, key: bytes,
                report: RunReport, sniffed: tuple[str, str], vault_key: bytes | None = None) -> None:
    """Read, repair and check one file of `spec`'s kind into memory.checked_<table>; its failures
    go to quarantine and its counts to load_log under `label`. The clear personal values of the
    rows loaded are sealed into the vault (etl/vault.py) with `vault_key`."""
    log.info("读取 %s …", label)
    raw = f"raw_{spec.table}"
    personal = any(c.personal for c in spec.columns)
    text, malformed = load_csv(con, path, spec.headers, raw, sniffed)
    n_repaired = repair(con, spec, f"memory.{raw}", report.run_id, label, text.python_lines)
    if spec.crs == "GCJ-02":
        log.info("  %s: 由 GCJ-02 转换 %d 个坐标为 WGS-84", label, convert_gcj02(con, f"memory.{raw}"))
    if personal and vault_key is not None:
        clear = ", ".join(c.name for c in spec.columns if c.personal)
        con.execute(f"CREATE OR REPLACE TABLE memory.clear_{spec.table} AS "
                    f"SELECT line, {spec.key} AS record_id, {clear} FROM memory.{raw}")
    for sql in scrub_text_sql(spec, f"memory.{raw}"):    # ID and mobile numbers in free text
        con.execute(sql)
    if personal:          # the clear values go no further than this in-memory table (and the vault)
        sql = masking_sql(spec, f"memory.{raw}")
        params = hmac_pads(key) if "$ipad" in sql else None
        con.execute(f"CREATE OR REPLACE TABLE memory.{raw}_pseudonymised AS {sql}", params)
        con.execute(f"DROP TABLE memory.{raw}")
        raw += "_pseudonymised"
    if has_points(spec):
        version_date = (f"TRY_CAST({spec.grid_version_date} AS TIMESTAMP)"
                        if spec.grid_version_date else None)
        check_points(con, f"memory.{raw}", version_date)
    suspects, detail = failures_sql(spec, f"memory.{raw}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE suspects AS {suspects}")
    con.execute(f"CREATE OR REPLACE TABLE memory.fail_{spec.table} AS {detail}")
    con.execute(f"""INSERT INTO wh.quarantine SELECT ?, ?, * FROM memory.fail_{spec.table}""",
                [report.run_id, label])
    if malformed:
        con.executemany("INSERT INTO wh.quarantine VALUES (?, ?, ?, '*', ?, ?)",
                        [[report.run_id, label, m.line, m.rule, shown_line(spec, text.header, m.fields, m.text)]
                         for m in malformed])
    con.execute(f"""CREATE OR REPLACE TABLE memory.checked_{spec.table} AS
                    SELECT * FROM memory.{raw} WHERE line NOT IN (SELECT line FROM memory.fail_{spec.table})""")
    n_ok = con.execute(f"SELECT count(*) FROM memory.checked_{spec.table}").fetchall()[0][0]
    if personal and vault_key is not None:
        sealed = vault.seal(con, vault_key, spec.table, [c.name for c in spec.columns if c.personal],
                            f"(SELECT * FROM memory.clear_{spec.table} WHERE line IN "
                            f"(SELECT line FROM memory.checked_{spec.table}))")
        con.execute(f"DROP TABLE memory.clear_{spec.table}")
        log.info("  %s: 加密封存 %d 条个人信息 (sealed)", label, sealed)
    n_bad = con.execute(f"SELECT count(DISTINCT line) FROM memory.fail_{spec.table}").fetchall()[0][0] \
        + len(malformed)
    if text.rows_in != n_ok + n_bad:
        raise AssertionError(f"{label}: {text.rows_in} in ≠ {n_ok} loaded + {n_bad} quarantined")
    _log_file(con, report, label, text.sha256, text.encoding, text.rows_in, n_ok, n_bad, n_repaired,
              text.lines_in)


def _log_file(con, report, file, sha, enc, n_in, n_ok, n_bad, n_repaired=0, lines_in=None):
    """`lines_in`: physical lines after the header (a record may span several); for a layer, its
    features."""
    lines_in = n_in if lines_in is None else lines_in
    con.execute("INSERT INTO wh.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [report.run_id, file, sha, enc, n_in, n_ok, n_bad, n_repaired, lines_in])
    report.files.append({"file": file, "sha256": sha, "encoding": enc, "rows_in": n_in,
                         "loaded": n_ok, "quarantined": n_bad, "repaired": n_repaired,
                         "lines_in": lines_in})
    log.info("  %s: %d 行 (%d 物理行), 入库 %d, 隔离 %d, 修复 %d", file, n_in, lines_in, n_ok, n_bad,
             n_repaired)


def _write_meta(con, report: RunReport, source: Path, digest: str):
    try:
        shown = str(source.resolve().relative_to(ROOT))
    except ValueError:
        shown = str(source)
    # times are local (UTC+8), like the sources'; as_of never runs past the build
    con.execute(f"""CREATE OR REPLACE TABLE wh.meta AS SELECT ? AS run_id, {NOW_LOCAL} AS built_at,
                    least({NOW_LOCAL}, (SELECT max(greatest(reported_at, coalesce(closed_at, reported_at)))
                                        FROM wh.events)) AS as_of, ? AS source, ? AS source_digest,
                    ? AS warehouse_format, ? AS calendar_digest""",
                [report.run_id, shown, digest, WAREHOUSE_FORMAT, workcalendar.digest()])


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
