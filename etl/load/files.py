"""One source file through loading: read as text (every line accounted for), repaired, its points
converted to WGS-84, its free text scrubbed and its personal columns pseudonymised (etl/privacy),
its points checked against their grid, its rows checked by the contract; the failures to
quarantine, the rest to memory.checked_<table>, the clear personal values sealed into the vault."""
from __future__ import annotations

import logging
from pathlib import Path

from etl import contract
from etl.load import bookkeeping
from etl.load.areas import area_layer_paths
from etl.load.checks import failures_sql, has_points
from etl.load.extract import SourceError, load_csv
from etl.load.points import check_points, convert_gcj02
from etl.load.repairs import repair
from etl.load.updates import update_files
from etl.privacy import vault
from etl.privacy.pseudonymise import hmac_pads, masking_sql, scrub_text_sql, shown_line
from etl.run import Run

log = logging.getLogger(__name__)


def check_file(run: Run, path: Path, label: str, spec: contract.SourceFile, sniffed: tuple[str, str],
               seal: bool = False) -> None:
    """Read, repair and check one file of `spec`'s kind into memory.checked_<table>; its failures
    go to quarantine and its counts to load_log under `label`. With `seal`, the clear personal
    values of the rows loaded are sealed into the vault (etl/privacy/vault.py)."""
    con, run_id = run.con, run.run_id
    log.info("读取 %s …", label)
    raw = f"raw_{spec.table}"
    personal = any(c.personal for c in spec.columns)
    text, malformed = load_csv(con, path, spec.headers, raw, sniffed)
    n_repaired = repair(con, spec, f"memory.{raw}", run_id, label, text.python_lines, text.edge_rows)
    if spec.crs == "GCJ-02":
        log.info("  %s: 由 GCJ-02 转换 %d 个坐标为 WGS-84", label, convert_gcj02(con, f"memory.{raw}"))
    if personal and seal:
        clear = ", ".join(c.name for c in spec.columns if c.personal)
        con.execute(f"CREATE OR REPLACE TABLE memory.clear_{spec.table} AS "
                    f"SELECT line, {spec.key} AS record_id, {clear} FROM memory.{raw}")
    for sql in scrub_text_sql(spec, f"memory.{raw}"):    # ID and mobile numbers in free text
        con.execute(sql)
    if personal:          # the clear values go no further than this in-memory table (and the vault)
        sql = masking_sql(spec, f"memory.{raw}")
        params = hmac_pads(run.key) if "$ipad" in sql else None
        con.execute(f"CREATE OR REPLACE TABLE memory.{raw}_pseudonymised AS {sql}", params)
        con.execute(f"DROP TABLE memory.{raw}")
        raw += "_pseudonymised"
    if has_points(spec):
        version_date = (f"TRY_CAST({spec.grid_version_date} AS TIMESTAMP)"
                        if spec.grid_version_date else None)
        check_points(con, f"memory.{raw}", version_date, run.as_of)
    suspects, detail = failures_sql(spec, f"memory.{raw}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE suspects AS {suspects}")
    con.execute(f"CREATE OR REPLACE TABLE memory.fail_{spec.table} AS {detail}")
    con.execute(f"""INSERT INTO wh.ops.quarantine SELECT ?, ?, * FROM memory.fail_{spec.table}""",
                [run_id, label])
    if malformed:
        con.executemany("INSERT INTO wh.ops.quarantine VALUES (?, ?, ?, '*', ?, ?)",
                        [[run_id, label, m.line, m.rule, shown_line(spec, text.header, m.fields, m.text)]
                         for m in malformed])
    # the rows that failed deleted and the table renamed, not copied: at 40 million events a copy
    # was a second whole file in memory (spilled to disk) for the rest of the run
    con.execute(f"DELETE FROM memory.{raw} WHERE line IN (SELECT line FROM memory.fail_{spec.table})")
    con.execute(f"DROP TABLE IF EXISTS memory.checked_{spec.table}")
    con.execute(f"ALTER TABLE memory.{raw} RENAME TO checked_{spec.table}")
    n_ok = con.execute(f"SELECT count(*) FROM memory.checked_{spec.table}").fetchall()[0][0]
    if personal and seal:
        sealed = vault.seal(con, run.vault_key, spec.table, [c.name for c in spec.columns if c.personal],
                            f"(SELECT * FROM memory.clear_{spec.table} WHERE line IN "
                            f"(SELECT line FROM memory.checked_{spec.table}))")
        con.execute(f"DROP TABLE memory.clear_{spec.table}")
        log.info("  %s: 加密封存 %d 条个人信息 (sealed)", label, sealed)
    n_bad = con.execute(f"SELECT count(DISTINCT line) FROM memory.fail_{spec.table}").fetchall()[0][0] \
        + len(malformed)
    if text.rows_in != n_ok + n_bad:
        raise AssertionError(f"{label}: {text.rows_in} in ≠ {n_ok} loaded + {n_bad} quarantined")
    bookkeeping.log_file(run, label, text.sha256, text.encoding, text.rows_in, n_ok, n_bad, n_repaired,
                         text.lines_in)


def source_files(source: Path, specs) -> list[Path]:
    """Every file a full build reads; a SourceError naming those missing."""
    paths = area_layer_paths(source) + [source / s.file for s in specs] + update_files(source)
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise SourceError(f"缺少源文件 {', '.join(missing)} (missing source files in {source})")
    return paths
