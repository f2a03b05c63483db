"""Event updates: what a live platform exports between full exports. Files
`updates/events-*.csv` in the source folder (same columns as events.csv; the state of each event
at the time of export, new events and changed ones) are applied in file-name order, which is
export order (name them by export time).

Merge rule: an incoming event replaces the stored one unless the stored one is further along
(its latest workflow time is later), so an update sent twice or out of order never moves an
event back. Every replaced state is kept in `event_history` (change = 'superseded'), and so is
an incoming state that lost (change = 'stale'): nothing read is dropped. `applied_updates`
records each file applied (hash, rows new / changed / stale), and an incremental refresh skips a
file whose hash is already there, so running the same files twice changes nothing."""
from __future__ import annotations

from pathlib import Path

from etl import storage
from etl.contract import EVENT_UPDATES

STAGES = ("reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")


def update_files(source: Path) -> list[Path]:
    return sorted(Path(source).glob(EVENT_UPDATES))


def create_tables(con) -> None:
    """The history and the applied-files table beside wh.core.events (no-ops when present: the
    history of an incremental run's overlay is a view, etl/storage.py)."""
    (present,) = con.execute("SELECT count(*) FROM duckdb_views() WHERE database_name = 'wh' "
                             "AND schema_name = 'core' AND view_name = 'event_history'").fetchone()
    if not present:
        con.execute("""CREATE TABLE IF NOT EXISTS wh.core.event_history AS
                       SELECT ''::VARCHAR AS run_id, ''::VARCHAR AS file, ''::VARCHAR AS change, *
                       FROM wh.core.events WHERE false""")
    con.execute("""CREATE TABLE IF NOT EXISTS wh.ops.applied_updates (run_id VARCHAR, file VARCHAR,
                   sha256 VARCHAR, rows_new BIGINT, rows_changed BIGINT, rows_stale BIGINT)""")


def applied(con) -> set[str]:
    """Hashes of the update files already merged into wh.core.events."""
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' "
                          "AND schema_name = 'ops' AND table_name = 'applied_updates'").fetchall()[0][0]
    return {h for (h,) in con.execute("SELECT sha256 FROM wh.ops.applied_updates").fetchall()} \
        if present else set()


def merge_events(con, incoming: str, run_id: str, label: str, sha256: str) -> dict[str, int]:
    """Merge table `incoming` (rows shaped like wh.core.events) into wh.core.events."""
    create_tables(con)
    latest_in = "greatest(" + ", ".join(f"i.{s}" for s in STAGES) + ")"
    latest_old = "greatest(" + ", ".join(f"e.{s}" for s in STAGES) + ")"
    # the stored state's partition too (etl/storage.py): one scan of the few columns these need
    con.execute(f"""CREATE OR REPLACE TEMP TABLE verdict AS
        SELECT i.event_id, e.event_id IS NULL AS is_new,
               coalesce({latest_in} < {latest_old}, false) AS is_stale, e.part
        FROM {incoming} i LEFT JOIN (SELECT event_id, {", ".join(STAGES)}, {storage.key("core.events")} AS part
                                     FROM wh.core.events) e USING (event_id)""")
    # written through etl/storage.py: in an incremental run's overlay, the large tables' partitions.
    # The partitions of the events replaced are opened first, and their old states read from there
    events = storage.open_partitions(con, "core.events", {p for (p,) in con.execute(
        "SELECT DISTINCT part FROM verdict WHERE NOT is_new AND NOT is_stale").fetchall()})
    storage.insert(con, "core.event_history", f"""SELECT ?, ?, 'superseded', e.* FROM {events} e
                   WHERE event_id IN (SELECT event_id FROM verdict WHERE NOT is_new AND NOT is_stale)""",
                   [run_id, label])
    storage.insert(con, "core.event_history", f"""SELECT ?, ?, 'stale', i.* FROM {incoming} i
                    WHERE event_id IN (SELECT event_id FROM verdict WHERE is_stale)""", [run_id, label])
    con.execute(f"DELETE FROM {events} WHERE event_id IN (SELECT event_id FROM verdict WHERE NOT is_stale)")
    storage.insert(con, "core.events", f"""SELECT * FROM {incoming}
                    WHERE event_id IN (SELECT event_id FROM verdict WHERE NOT is_stale)""")
    # the run's merged events, for the marts' incremental update (etl/transform/models.py)
    con.execute("CREATE TABLE IF NOT EXISTS memory.merged_events AS SELECT event_id FROM verdict WHERE false")
    con.execute("INSERT INTO memory.merged_events SELECT event_id FROM verdict WHERE NOT is_stale")
    new, stale, total = con.execute("SELECT count(*) FILTER (is_new), count(*) FILTER (is_stale), "
                                    "count(*) FROM verdict").fetchall()[0]
    counts = {"new": new, "changed": total - new - stale, "stale": stale}
    con.execute("INSERT INTO wh.ops.applied_updates VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, label, sha256, counts["new"], counts["changed"], counts["stale"]])
    con.execute("DROP TABLE verdict")
    return counts
