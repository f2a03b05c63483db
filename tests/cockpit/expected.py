"""What pages should show, computed another way (pandas over plain SQL), for the tests of more
than one module (the callbacks' own tests, the hot swap, the browser)."""
import datetime as dt

import duckdb
import pandas as pd


def screen_counters(tiny_db, prefix, days=30):
    """The big screen's counters computed another way: pandas on whole tables."""
    con = duckdb.connect(str(tiny_db), read_only=True)
    as_of = con.execute("SELECT as_of FROM ops.meta").fetchone()[0]
    ev = con.execute("SELECT * FROM core.events").df()
    ev = ev[ev["grid_code"].str.startswith(prefix)]
    start = pd.Timestamp(as_of.date() - dt.timedelta(days=days - 1))
    due = ev["accepted_at"].notna() & (ev["deadline"] >= start) & (ev["deadline"] <= as_of)
    closed = due & ev["closed_at"].notna()
    on_time = closed & (ev["handled_at"] <= ev["deadline"])
    persons = con.execute("SELECT grid_code FROM core.persons").df()["grid_code"]
    return {
        "residents": int(persons.str.startswith(prefix).sum()),
        "events": int(((ev["reported_at"] >= start) & (ev["reported_at"] <= as_of)).sum()),
        "due": int(due.sum()), "closed": int(closed.sum()), "on_time": int(on_time.sum()),
    }


def warning_map(db, prefix, area_len):
    """The map's layers by pandas over plain SQL: areas with today's incidents that have a grid in
    them (or whose main area is inside them), and the grids of today's fine incidents."""
    areas = db.execute("SELECT code FROM core.areas WHERE length(code) = ? AND valid_to IS NULL "
                       "AND starts_with(code, ?) ORDER BY code", [area_len, prefix]).df()
    today = db.execute("SELECT incident_id, level, area_code FROM warning.incidents WHERE on_screen").df()
    grids = db.execute("SELECT * FROM warning.incident_grids").df()
    fine = today[today["level"].isin(["grid", "community"])]
    places = pd.concat([grids[grids["incident_id"].isin(fine["incident_id"])].rename(columns={"grid_code": "code"}),
                        today[~today["level"].isin(["grid", "community"])][["incident_id", "area_code"]]
                        .rename(columns={"area_code": "code"})])
    inside = [int(places.loc[places["code"].str.startswith(c), "incident_id"].nunique()) for c in areas["code"]]
    current = set(db.execute("SELECT code FROM core.areas WHERE level = 'grid' AND valid_to IS NULL").df()["code"])
    hot = {g for g in grids.loc[grids["incident_id"].isin(fine["incident_id"]), "grid_code"]
           if g in current and g.startswith(prefix)}
    return list(areas["code"]), inside, hot
