"""What a generation says of itself (wh.ops.meta): the run that built it, when, the data's as-of
instant, its source files' fingerprint, the release's warehouse format and the work calendar its
deadlines were counted on."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from etl import workcalendar
from etl.load.checks import NOW_LOCAL
from etl.run import Run
from warehouse.paths import ROOT

# the tables a build writes, by release: change it when they change, and every warehouse built
# before is rebuilt on its next refresh even though its source files are unchanged
WAREHOUSE_FORMAT = ("2026-12-06 a folder per generation, large tables as Parquet partitions; schemas per layer: core, mart, warning, ops, secure (none in main); "
                    "column kinds: shared masks, scrubbed text, load_log.lines_in, meta.calendar_digest, "
                    "calendar_coverage, grid_topology; view areas_in_force; "
                    "2026-12-07 mart.event_sla: a refused case (不予立案) has no age")


def fingerprint(sniffed: dict, mapping: Path | None) -> str:
    """One digest of what a build reads: every file's name and content, the mapping, the work
    calendar (a changed calendar counts deadlines again), and the warehouse's format (so a
    release that builds new tables rebuilds unchanged files once)."""
    h = hashlib.sha256(f"format:{WAREHOUSE_FORMAT}\ncalendar:{workcalendar.digest()}\n".encode())
    for path, (sha, _) in sorted(sniffed.items(), key=lambda kv: kv[0].name):
        h.update(f"{path.name}:{sha}\n".encode())
    if mapping is not None:
        h.update(Path(mapping).read_bytes())
    return h.hexdigest()


def as_of(con) -> dt.datetime:
    """The data's as-of instant: the latest event time in wh.core.events, never past the build. Times
    are local (UTC+8), like the sources'."""
    return con.execute(f"""SELECT least({NOW_LOCAL}, (SELECT max(greatest(reported_at, coalesce(closed_at, reported_at)))
                                                     FROM wh.core.events))""").fetchone()[0]


def write(run: Run, digest: str) -> None:
    """wh.ops.meta, at the run's as-of instant (`run.as_of`, which the build sets from `as_of` once its
    events are merged)."""
    try:
        shown = str(run.source.resolve().relative_to(ROOT))
    except ValueError:
        shown = str(run.source)
    if run.as_of is None:
        raise ValueError("meta.write: the run's as-of instant is not set")
    run.con.execute(f"""CREATE OR REPLACE TABLE wh.ops.meta AS SELECT ? AS run_id, {NOW_LOCAL} AS built_at,
                    ?::TIMESTAMP AS as_of, ? AS source, ? AS source_digest,
                    ? AS warehouse_format, ? AS calendar_digest""",
                    [run.run_id, run.as_of, shown, digest, WAREHOUSE_FORMAT, workcalendar.digest()])
