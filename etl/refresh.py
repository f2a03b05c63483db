"""`python -m etl refresh`: source files → checks → quarantine → models → a new database file,
published with an atomic rename so a reader never sees a half-built warehouse."""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl import contract
from etl.areas import read_area_layers
from etl.checks import NOW_LOCAL, failures_sql
from etl.extract import load_csv
from etl.paths import ROOT
from etl.reference import load_event_categories
from etl.privacy import hmac_pads, load_or_create_key

log = logging.getLogger(__name__)
SQL_DIR = Path(__file__).parent / "sql"


@dataclass
class RunReport:
    run_id: str
    files: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"   # ATTACH takes no bound parameter


def refresh(source: Path, db: Path, key_file: Path, mapping: Path | None = None) -> RunReport:
    """Load `source` (files named by the contract, or by a site's `mapping` file) into a new
    warehouse and publish it at `db`."""
    t0 = time.perf_counter()
    report = RunReport(run_id=dt.datetime.now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6])
    key = load_or_create_key(key_file)
    db.parent.mkdir(parents=True, exist_ok=True)
    for stale in db.parent.glob(f"{db.name}.building-*"):    # left by a killed run
        if not _pid_alive(stale.name.rsplit("-", 1)[-1]):
            stale.unlink()
    building = db.with_name(f"{db.name}.building-{os.getpid()}")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_literal(building)} AS wh")
        _create_bookkeeping(con)
        _load_reference(con)
        _load_areas(con, source, report)
        for spec in contract.load_contract(mapping):   # persons reference households: order matters
            _load_source(con, source, spec, key, report)
        _run_models(con, ("staging", "core"))
        _write_meta(con, report, source)          # marts read the as-of instant from meta
        _run_models(con, ("marts",))
        con.execute("DETACH wh")
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(building, db)          # atomic on one filesystem
    report.seconds = time.perf_counter() - t0
    log.info("发布 %s (%.1f s)", db, report.seconds)
    return report


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
        return True
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True


def _create_bookkeeping(con):
    con.execute("""CREATE TABLE wh.quarantine (run_id VARCHAR, file VARCHAR, line BIGINT,
                   column_name VARCHAR, rule VARCHAR, raw_value VARCHAR)""")
    con.execute("""CREATE TABLE wh.load_log (run_id VARCHAR, file VARCHAR, sha256 VARCHAR,
                   encoding VARCHAR, rows_in BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT)""")


def _load_reference(con):
    cats = load_event_categories()
    con.register("cats", cats)
    con.execute("CREATE TABLE wh.event_categories AS SELECT * FROM cats")
    con.unregister("cats")


def _load_areas(con, source: Path, report: RunReport):
    log.info("读取网格图层 …")
    areas, bad, counts = read_area_layers(source)
    con.register("areas_df", areas)
    con.execute("CREATE TABLE wh.areas AS SELECT * FROM areas_df")
    con.unregister("areas_df")
    if len(bad):
        bad.insert(0, "run_id", report.run_id)
        con.register("bad", bad)
        con.execute("INSERT INTO wh.quarantine SELECT * FROM bad")
        con.unregister("bad")
    for file, (sha, n_in, n_ok, n_bad) in counts.items():
        _log_file(con, report, file, sha, "utf-8", n_in, n_ok, n_bad)


def _load_source(con, source: Path, spec: contract.SourceFile, key: bytes, report: RunReport):
    log.info("读取 %s …", spec.file)
    raw = f"raw_{spec.table}"
    personal = any(c.personal for c in spec.columns)
    text, malformed = load_csv(con, source / spec.file, spec.headers, raw, personal)
    if spec.table == "persons":
        sql = (SQL_DIR / "privacy" / "pseudonymise_persons.sql").read_text(encoding="utf-8")
        con.execute(f"CREATE OR REPLACE TABLE memory.{raw}_pseudonymised AS {sql}", hmac_pads(key))
        con.execute(f"DROP TABLE memory.{raw}")      # the clear values go no further
        raw += "_pseudonymised"
    suspects, detail = failures_sql(spec, f"memory.{raw}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE suspects AS {suspects}")
    con.execute(f"CREATE OR REPLACE TABLE memory.fail_{spec.table} AS {detail}")
    con.execute(f"""INSERT INTO wh.quarantine SELECT ?, ?, * FROM memory.fail_{spec.table}""",
                [report.run_id, spec.file])
    if malformed:
        con.executemany("INSERT INTO wh.quarantine VALUES (?, ?, ?, '*', ?, ?)",
                        [[report.run_id, spec.file, *m] for m in malformed])
    con.execute(f"""CREATE OR REPLACE TABLE memory.checked_{spec.table} AS
                    SELECT * FROM memory.{raw} WHERE line NOT IN (SELECT line FROM memory.fail_{spec.table})""")
    n_ok = con.execute(f"SELECT count(*) FROM memory.checked_{spec.table}").fetchone()[0]
    n_bad = con.execute(f"SELECT count(DISTINCT line) FROM memory.fail_{spec.table}").fetchone()[0] \
        + len(malformed)
    if text.rows_in != n_ok + n_bad:
        raise AssertionError(f"{spec.file}: {text.rows_in} in ≠ {n_ok} loaded + {n_bad} quarantined")
    _log_file(con, report, spec.file, text.sha256, text.encoding, text.rows_in, n_ok, n_bad)
    # the core table this source feeds must exist before later sources check references
    _run_layer_file(con, "staging", f"stg_{spec.table}")
    _run_layer_file(con, "core", spec.table)


def _log_file(con, report, file, sha, enc, n_in, n_ok, n_bad):
    con.execute("INSERT INTO wh.load_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                [report.run_id, file, sha, enc, n_in, n_ok, n_bad])
    report.files.append({"file": file, "rows_in": n_in, "loaded": n_ok, "quarantined": n_bad})
    log.info("  %s: %d 行, 入库 %d, 隔离 %d", file, n_in, n_ok, n_bad)


def _model_target(layer: str, name: str) -> str:
    # staging models are scratch work in memory; core and marts are published
    return f"memory.{name}" if layer == "staging" else f"wh.{name}"


def _run_layer_file(con, layer: str, name: str):
    sql = (SQL_DIR / layer / f"{name}.sql").read_text(encoding="utf-8")
    con.execute(f"CREATE OR REPLACE TABLE {_model_target(layer, name)} AS {sql}")


def _run_models(con, layers):
    """Every model of these layers not already built while loading, in file-name order."""
    built = {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name IN ('wh', 'memory')").fetchall()}
    for layer in layers:
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            if path.stem not in built:
                log.info("模型 %s/%s", layer, path.stem)
                _run_layer_file(con, layer, path.stem)


def _write_meta(con, report: RunReport, source: Path):
    try:
        shown = str(source.resolve().relative_to(ROOT))
    except ValueError:
        shown = str(source)
    # times are local (UTC+8), like the sources'; as_of never runs past the build
    con.execute(f"""CREATE TABLE wh.meta AS SELECT ? AS run_id, {NOW_LOCAL} AS built_at,
                    least({NOW_LOCAL}, (SELECT max(greatest(reported_at, coalesce(closed_at, reported_at)))
                                        FROM wh.events)) AS as_of, ? AS source""", [report.run_id, shown])
