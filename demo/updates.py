"""`python -m demo split-updates --source DIR --days N`: turn a generated folder into what a live
platform exports over time: `events.csv` as it stood N days before the end, and one update file
per later day, `updates/events-YYYYMMDD.csv`, holding that day's new events and every older event
whose state changed that day (same columns as events.csv, the state at the end of the day).

The state of an event as of an instant: workflow times after it blanked (the stages are in
order, so the blanks are a suffix), 期限 blank before dispatch, 返工/延期 counts zero before
verification/dispatch, satisfaction blank before closure, and the status of the last stage
reached. A rejected case (不予立案) carries no times and keeps its status."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from etl import contract
from etl.run import literal

UPDATES_DIR = contract.EVENT_UPDATES.split("/")[0]
STAGES = ("accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")
TS = "%Y-%m-%d %H:%M:%S"


def _state(columns: list[str], header: dict[str, str], at: str) -> dict[str, str]:
    """Per column, the SQL of its value (over table `ev`, VARCHAR cells) as of parameter `at`."""
    q = {c: f'"{header[c]}"' for c in columns}
    later = {s: f"({q[s]} <> '' AND {q[s]} > {at})" for s in STAGES}
    reached = {s: f"({q[s]} <> '' AND {q[s]} <= {at})" for s in STAGES}
    status = (f"CASE WHEN {q['status']} = '不予立案' THEN '不予立案' "
              f"WHEN {reached['closed_at']} THEN '已结案' WHEN {reached['verified_at']} THEN '待结案' "
              f"WHEN {reached['handled_at']} THEN '待核查' WHEN {reached['dispatched_at']} THEN '处置中' "
              f"WHEN {reached['accepted_at']} THEN '待派遣' ELSE '待立案' END")
    expr = dict(q)
    expr |= {s: f"CASE WHEN {later[s]} THEN '' ELSE {q[s]} END" for s in STAGES}
    expr |= {
        "deadline": f"CASE WHEN {reached['dispatched_at']} THEN {q['deadline']} ELSE '' END",
        "rework_count": f"CASE WHEN {reached['verified_at']} THEN {q['rework_count']} ELSE '0' END",
        "extension_count": f"CASE WHEN {reached['dispatched_at']} THEN {q['extension_count']} ELSE '0' END",
        "satisfaction": f"CASE WHEN {reached['closed_at']} THEN {q['satisfaction']} ELSE '' END",
        "status": status,
    }
    return expr


def split_updates(source: Path, days: int, out: Path | None = None) -> list[Path]:
    """Write `out`/events.csv (`source`'s by default, replaced) as `source`/events.csv stood
    `days` days before its last day, and the update files into `out`/updates. Returns their
    paths, oldest first. The file is read as it streams, never held whole: at the growth curve's
    scales it is 16 GB (bench/etl.py splits it into a scratch folder)."""
    spec = contract.EVENTS
    columns = [c.name for c in spec.columns]
    header = {c.name: c.header for c in spec.columns}
    path = Path(source) / spec.file
    out = Path(out or source)
    con = duckdb.connect()
    # a view, in file order: a filter keeps it (preserve_insertion_order), a table would hold it all
    con.execute(f"CREATE VIEW ev AS SELECT * FROM read_csv({literal(path)}, all_varchar = true, header = true)")
    reported = f'"{header["reported_at"]}"'
    end = dt.date.fromisoformat(con.execute(f"SELECT max({reported}) FROM ev").fetchall()[0][0][:10])
    now, prev = _state(columns, header, "$as_of"), _state(columns, header, "$prev")
    select = ", ".join(f'{now[c]} AS "{header[c]}"' for c in columns)
    changed = " OR ".join(f"({now[c]}) IS DISTINCT FROM ({prev[c]})" for c in columns)

    def write(sql: str, params: dict, target: Path) -> None:
        con.execute(f"COPY ({sql}) TO {literal(target)} (HEADER, DELIMITER ',', QUOTE '\"')", params)

    first = end - dt.timedelta(days=days)
    (out / UPDATES_DIR).mkdir(parents=True, exist_ok=True)
    written = []
    for k in range(1, days + 1):
        day = first + dt.timedelta(days=k)
        target = out / UPDATES_DIR / f"events-{day:%Y%m%d}.csv"
        write(f"SELECT {select} FROM ev WHERE {reported} <= $as_of AND ({reported} > $prev OR {changed}) "
              f'ORDER BY {reported}, "{header["event_id"]}"',   # ties in a fixed order
              {"as_of": f"{day} 23:59:59", "prev": f"{day - dt.timedelta(days=1)} 23:59:59"}, target)
        written.append(target)
    tmp = (out / spec.file).with_suffix(".csv.tmp")
    write(f"SELECT {select} FROM ev WHERE {reported} <= $as_of", {"as_of": f"{first} 23:59:59"}, tmp)
    con.close()
    tmp.replace(out / spec.file)
    return written
