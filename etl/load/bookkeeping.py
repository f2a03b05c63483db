"""Where a build accounts for what it read: quarantine (rows refused, with the rule), repairs
(cells changed, before and after), load_log (per file: lines in, rows loaded and quarantined) and
the vault's tables; the run's report gets the same counts."""
from __future__ import annotations

import logging

from etl.run import Run
from warehouse.generations import SCHEMAS

log = logging.getLogger(__name__)


def create(con) -> None:
    """The generation's schemas, then the bookkeeping tables."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA wh.{schema}")
    con.execute("""CREATE TABLE wh.ops.quarantine (run_id VARCHAR, file VARCHAR, line BIGINT,
                   column_name VARCHAR, rule VARCHAR, raw_value VARCHAR)""")
    con.execute("""CREATE TABLE wh.ops.repairs (run_id VARCHAR, file VARCHAR, line BIGINT,
                   column_name VARCHAR, repair VARCHAR, raw_value VARCHAR, repaired_value VARCHAR)""")
    con.execute("""CREATE TABLE wh.ops.load_log (run_id VARCHAR, file VARCHAR, sha256 VARCHAR,
                   encoding VARCHAR, rows_in BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
                   rows_repaired BIGINT, lines_in BIGINT)""")
    con.execute("CREATE TABLE wh.secure.vault (source_table VARCHAR, bucket BIGINT, sealed BLOB)")
    con.execute("CREATE TABLE wh.secure.vault_index (source_table VARCHAR, record_id VARCHAR, bucket BIGINT)")


def log_file(run: Run, file, sha, enc, n_in, n_ok, n_bad, n_repaired=0, lines_in=None) -> None:
    """`lines_in`: physical lines after the header (a record may span several); for a layer, its
    features."""
    lines_in = n_in if lines_in is None else lines_in
    run.con.execute("INSERT INTO wh.ops.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run.run_id, file, sha, enc, n_in, n_ok, n_bad, n_repaired, lines_in])
    run.report.files.append({"file": file, "sha256": sha, "encoding": enc, "rows_in": n_in,
                             "loaded": n_ok, "quarantined": n_bad, "repaired": n_repaired,
                             "lines_in": lines_in})
    log.info("  %s: %d 行 (%d 物理行), 入库 %d, 隔离 %d, 修复 %d", file, n_in, lines_in, n_ok, n_bad,
             n_repaired)
