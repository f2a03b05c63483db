"""Detection kept from one run to the next: a run tests only the days whose inputs changed.

Detection is causal (screen.py): a day's records read the reports up to that day and baselines
fitted on the days before it, and detection reads `lookback_days` before its first day, so each
day's records are the same whichever days detection starts and ends on. A day's update adds a day and
changes the last one (a 15-minute schedule sees it part-done), so a run that detected the span
before needs to test only from its last day on. Each generation keeps its records with their
dates (`warning.detections`) and what they were computed from (`warning.detection_days`): per
calendar day a digest of that day's counts of every subclass and the patrol reports in every
area, of which areas existed, and of its calendar (holidays, working weekends, seasons); and one
digest of everything else detection reads: the areas, 片区 and tiers in their order, the first
day, the settings and the code of the modules detection runs. A run keeps the records of the days
before the first day whose digest changed (a late report, a corrected export) or its last one;
with any other change it detects the whole span again. A run over fewer days than the one
before (an older export run again, or a full refresh rebuilt from it) keeps the days both have
alike, and detects those its span begins with before the one before's began. The rules on the
backlog (open and overdue items, which change on any day) are computed afresh on every run.

Kept records equal, to the bit, those a full detection computes (tests/etl/warning/
test_detections.py): window sums restart on calendar blocks (detectors.Cumulative), the arrays
begin on one, and the counts come in one order."""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import scipy

from etl import storage
from etl.warning import catalog, detect
from etl.warning.prepare import PATROL, Prepared
from etl.warning.settings import Settings

log = logging.getLogger(__name__)
# what detection runs: a change to any of them is a change of every day's records
CODE = [Path(__file__).with_name(f"{m}.py") for m in ("baseline", "detect", "detections", "detectors", "panel",
                                                      "prepare", "series", "settings")]
COLUMNS = ["storm", *detect.RECORD_COLUMNS]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: each input bit moves about half the output's."""
    x = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def day_digests(p: Prepared) -> np.ndarray:
    """Per calendar day, a 64-bit digest of what detection reads of that day (module doc)."""
    T = p.n_days
    out = np.zeros(T, np.uint64)
    with np.errstate(over="ignore"):
        for k, code in enumerate(sorted(p.cells) + [PATROL]):
            cells = p.patrol if code == PATROL else p.cells[code]
            h = _mix(_mix(np.uint64(k) * np.uint64(1 << 40) + cells.area.astype(np.uint64)) + cells.n.astype(np.uint64))
            np.add.at(out, cells.day, h)           # a sum: the cells' order does not matter
        exists = np.packbits(p.areas.exists, axis=0)               # (areas / 8 × days)
        cal = np.column_stack([p.cal.dow, p.cal.off_weekday, p.cal.on_weekend, p.cal.long_holiday,
                               p.cal.periods]).astype(np.uint8)
        for t in range(T):
            extra = hashlib.blake2b(exists[:, t].tobytes() + cal[t].tobytes(), digest_size=8).digest()
            out[t] = _mix(out[t] ^ np.frombuffer(extra, np.uint64)[0])[()]
    return out


def inputs_digest(p: Prepared, s: Settings) -> str:
    """One digest of everything but the days' own inputs (module doc)."""
    h = hashlib.sha256()
    for path in CODE:
        h.update(path.read_bytes())
    h.update(f"numpy {np.__version__} scipy {scipy.__version__} duckdb {duckdb.__version__}".encode())
    h.update(repr(s).encode())
    h.update(str(p.cal.days[0]).encode())
    h.update(repr(p.tiers).encode())
    a, r = p.areas, p.rows
    for arr in (a.codes, a.levels, r.codes, r.levels, r.skip, a.repeats):
        h.update("\x1f".join(map(str, arr)).encode())
    for arr in (a.members.indptr, a.members.indices, r.grids.indptr, r.grids.indices, a.xy):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:32]


def reusable(p: Prepared, s: Settings, kept: pd.DataFrame | None, first: int,
             digests: tuple | None = None) -> tuple[int, int]:
    """(keep_from, start): the kept records of the days [keep_from, start) hold for this run,
    which detects [first, keep_from) and [start, last]; (first, first) when none hold. `start` is
    the first day whose digest changed, at most the last day both runs have (perhaps part of a
    day in one of them). The run before may have seen days this one has not (an older export run
    again) and, its span ending later, begun detecting later: `keep_from` is then past `first`."""
    per_day, inputs = digests or (day_digests(p), inputs_digest(p, s))    # a run's own, computed once
    if kept is None or kept.empty or kept["inputs"].iloc[0] != inputs:
        return first, first
    days = pd.DatetimeIndex(p.cal.days)
    before = pd.DatetimeIndex(kept["day"])
    n = min(len(before), len(days))
    if not before[:n].equals(days[:n]):
        return first, first
    differs = np.flatnonzero(per_day.view(np.int64)[:n] != kept["digest"].to_numpy(np.int64)[:n])
    start = min(differs[0] if len(differs) else n - 1, n - 1)
    detected = kept["detected"].to_numpy(bool)[:n]
    since = np.flatnonzero(detected)
    keep_from = max(first, int(since[0])) if len(since) else first
    if start <= keep_from or not detected[keep_from:start].all():
        return first, first
    return keep_from, int(start)


def load(con) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The kept detections and their days in the attached `wh`, if it has them."""
    if not {"detections", "detection_days"} <= set(catalog.present(con)):
        return None, None
    days = con.execute("SELECT day, digest, detected, inputs FROM wh.warning.detection_days ORDER BY day").df()
    # the days the run before detected: the table holds older ones too, to the month's start
    (since,) = con.execute("SELECT min(day) FROM wh.warning.detection_days WHERE detected").fetchone()
    # in the order a detection makes them (reset and best_per_day break a tie of scores by it)
    records = con.execute("SELECT * FROM wh.warning.detections WHERE day >= $since "
                          "ORDER BY storm, day, kind, tier, row, \"window\", rule, score", {"since": since}).df()
    return records, days


def run(con, p: Prepared, s: Settings, first: int, last: int, backlog=None) -> tuple[detect.Detected, dict, int]:
    """detect.detect(p, s, first, last, backlog), keeping the records of the days whose inputs
    did not change since the run that stored them; the tables that keep this run's; and the
    first day from which the inputs may have changed (`reusable`'s `start`)."""
    kept, kept_days = load(con)
    per_day, inputs = day_digests(p), inputs_digest(p, s)
    keep_from, start = reusable(p, s, kept_days, first, (per_day, inputs))
    days = pd.DatetimeIndex(p.cal.days)
    found = detect.detect(p, s, start, last)
    # the days before those kept, when the run before began later (each day's records are the same
    # whichever days a detection spans: tests/etl/warning/test_detections.py)
    head = [detect.detect(p, s, first, keep_from - 1)] if keep_from > first else []
    old_records, old_storms = _kept(kept, days, keep_from, start)
    log.info("预警检测 %d 天沿用, %d 天重算 (days kept, days tested)", start - keep_from,
             keep_from - first + last - start + 1)
    both = detect.Detected(
        detect.concat_records([h.records for h in head] + [old_records, found.records]),
        detect.concat_records([h.storms for h in head] + [old_storms, found.storms]),
        found.n_series, found.n_drop_series)
    index = np.arange(len(days))
    tables = {"detections": _stored(both, days),
              "detection_days": pd.DataFrame({"day": days, "digest": per_day.view(np.int64),
                                              "detected": (index >= first) & (index <= last),
                                              "tested": ((index >= first) & (index < keep_from))
                                              | ((index >= start) & (index <= last)),
                                              "inputs": inputs})}
    if backlog is not None:
        both.records = detect.concat_records([both.records, detect.backlog_records(p, s, backlog)])
    return both, tables, start


TABLE = "warning.detections"
DDL = (f"CREATE TABLE wh.{TABLE} (storm BOOLEAN, kind VARCHAR, tier INTEGER, row INTEGER, day DATE, "
       "\"window\" SMALLINT, observed DOUBLE, expected DOUBLE, score DOUBLE, rule VARCHAR, today DOUBLE, "
       "today_expected DOUBLE, members INTEGER[])")


def store(con, records: pd.DataFrame, days: pd.DataFrame) -> None:
    """This run's records into `wh`: in the table the run before kept (a stored table, by week:
    etl/storage.py), the days from the first it tested on are replaced, so a day's run rewrites
    the current week's partition, not the span (a run that tested days before those it kept
    rewrites the span); months wholly before the span are dropped."""
    if "detections" not in catalog.present(con):
        con.execute(DDL)
    tested = pd.DatetimeIndex(days.loc[days["tested"], "day"])
    first = pd.DatetimeIndex(days.loc[days["detected"], "day"])
    since, before = tested.min().date(), first.min().date().replace(day=1)
    if since <= first.min().date():         # nothing kept: no record of other inputs stays
        before = since
    storage.delete(con, TABLE, "day >= $since OR day < $before", {"since": since, "before": before})
    con.register("detections_frame", records[pd.DatetimeIndex(records["day"]) >= tested.min()])
    storage.insert(con, TABLE, "SELECT * FROM detections_frame", by_name=True)
    con.unregister("detections_frame")


def _kept(kept: pd.DataFrame | None, days: pd.DatetimeIndex, keep_from: int, start: int) -> tuple:
    if kept is None or start <= keep_from:
        return detect.empty_records(), detect.empty_records()
    on = kept[(kept["day"] >= days[keep_from]) & (kept["day"] < days[start])]
    frame = on.assign(day=days.get_indexer(pd.DatetimeIndex(on["day"])).astype(np.int32),
                      tier=on["tier"].astype(np.int32), row=on["row"].astype(np.int32),
                      window=on["window"].astype(np.int16),
                      members=[tuple(int(x) for x in m) if isinstance(m, (list, tuple, np.ndarray)) else None
                               for m in on["members"]],
                      rule=on["rule"].astype(object).where(on["rule"].notna(), None))
    storm = frame["storm"].to_numpy(bool)
    return (frame.loc[~storm, detect.RECORD_COLUMNS].reset_index(drop=True),
            frame.loc[storm, detect.RECORD_COLUMNS].reset_index(drop=True))


def _stored(found: detect.Detected, days: pd.DatetimeIndex) -> pd.DataFrame:
    """The records and storms as a table: dates for day indices, lists for member tuples."""
    parts = [found.records.assign(storm=False), found.storms.assign(storm=True)]
    frame = pd.concat([x for x in parts if len(x)] or [parts[0]], ignore_index=True)
    frame = frame.sort_values(["storm", "day", "kind", "tier", "row", "window", "rule", "score"], kind="stable",
                              ignore_index=True)            # one order, however the days were found
    return frame.assign(day=days[frame["day"].to_numpy(int)],
                        members=[list(m) if isinstance(m, tuple) else None for m in frame["members"]])[COLUMNS]
