-- Every file read by the builds behind the served generation (its full refresh, then any
-- incremental refreshes on top, each under its run id), in reading order: rows in = loaded +
-- quarantined (a quarantined row is a line with at least one failed rule); repaired = loaded rows
-- with a repaired cell. Load metadata carries no area code, so it is not limited by $scope: the
-- page shows counts only, never a value from a row.
SELECT run_id, file, encoding, rows_in, rows_loaded, rows_quarantined, rows_repaired,
       round(100.0 * rows_quarantined / nullif(rows_in, 0), 2) AS quarantined_pct
FROM ops.load_log
ORDER BY run_id, rowid
