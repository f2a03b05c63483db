"""The point-in-grid check: a row's lon/lat must lie in (within TOLERANCE_M of) the version of
its grid in force on the row's date (events: the day reported), or at the data's as-of instant
for rows without a date (households, addresses, organisations: the rule of the view
areas_in_force, which the marts and the cockpit read).

DuckDB 2 has no spatial extension offline (docs/design.md), so the join of each row to its grid
version is SQL and the geometry test is shapely, in batches so memory stays bounded, on threads
(pyproj's transform and shapely's predicates leave the GIL; etl/cores.py). Rows whose code,
coordinates or date fail their own rules are left to those rules."""
from __future__ import annotations

import datetime as dt
import threading
from functools import partial

import numpy as np
import pandas as pd
import shapely

from etl import cores
from etl.geo.crs import gcj02_to_wgs84
from etl.geo.inside import TOLERANCE_M, inside, metric_geometries

BATCH = 1_000_000
TABLE = "memory.point_problems"      # (line, rule) for the source being checked, ordered by line


def check_points(con, raw: str, date_sql: str | None, as_of: dt.datetime | None = None,
                 workers: int | None = None) -> int:
    """Fill TABLE for `raw` (a table of VARCHAR cells with grid_code, lon, lat): rule
    `outside_grid` (not within tolerance of the grid version in force on `date_sql`, an SQL
    expression over the row, or when it is None at the instant `as_of`) or `grid_not_in_force`
    (the code exists but no version of it was in force then). The geometry is tested on `workers`
    threads (`cores.count()` by default); the table is the same whatever their number. Returns
    the number of problem rows."""
    if date_sql is None and as_of is None:
        raise ValueError("check_points: a row's date or the data's as-of instant is needed")
    versions = con.execute("""SELECT row_number() OVER (ORDER BY code, valid_from) - 1 AS idx, code,
                                     valid_from, valid_to, geometry_wkb
                              FROM wh.core.areas WHERE level = 'grid' ORDER BY idx""").df()
    grids = _PerThread([bytes(b) for b in versions["geometry_wkb"]])
    con.register("grid_versions_df", versions.drop(columns="geometry_wkb"))
    # begun (no start, or on/before) and not ended (no end, or after): the view's rule. A code's
    # versions never overlap (etl/load/areas.py quarantines those that do), so a row joins at most
    # one, and without an aggregate the rows stream to the threads while DuckDB still reads
    when = f"TRY_CAST({date_sql} AS DATE)" if date_sql else "CAST(? AS TIMESTAMP)"
    relation = con.sql(f"""
        WITH r AS (
            SELECT line, trim(grid_code) AS code, TRY_CAST(trim(lon) AS DOUBLE) AS lon,
                   TRY_CAST(trim(lat) AS DOUBLE) AS lat, {when} AS d
            FROM {raw}
        )
        SELECT r.line, r.lon, r.lat, v.idx
        FROM r LEFT JOIN grid_versions_df v ON v.code = r.code AND coalesce(v.valid_from <= r.d, true)
                                             AND (v.valid_to IS NULL OR v.valid_to > r.d)
        WHERE r.code IN (SELECT code FROM grid_versions_df)
          AND r.lon BETWEEN 73 AND 136 AND r.lat BETWEEN 3 AND 54 AND r.d IS NOT NULL""",
                      params=None if date_sql else [as_of])
    with relation.to_arrow_reader(batch_size=BATCH) as reader:
        # no other query on `con` until the reader is done; the threads only compute
        found = list(cores.map_threads(partial(_problems, grids=grids), reader, workers))
    con.unregister("grid_versions_df")
    problems = pd.concat(found, ignore_index=True) if found else pd.DataFrame({"line": [], "rule": []})
    con.register("point_problems_df", problems.astype({"line": "int64", "rule": "str"}))
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT * FROM point_problems_df ORDER BY line, rule")
    con.unregister("point_problems_df")
    return len(problems)


class _PerThread(threading.local):
    """The grid versions in metres, prepared: a copy in each thread, since GEOS builds a prepared
    geometry's indexes on its first test and two threads must not build them at once."""

    def __init__(self, wkb: list[bytes]):
        self.geoms = metric_geometries(shapely.from_wkb(wkb))


def _problems(batch, grids: _PerThread) -> pd.DataFrame:
    """One batch's problem rows: outside its grid version, or no version in force."""
    geoms, b = grids.geoms, batch.to_pandas()
    idx = b["idx"].to_numpy(dtype=float)
    known = ~np.isnan(idx)
    out = np.zeros(len(b), bool)
    out[known] = ~inside(geoms[idx[known].astype(int)], b["lon"].to_numpy()[known],
                         b["lat"].to_numpy()[known], TOLERANCE_M)
    return pd.DataFrame({
        "line": np.concatenate([b["line"].to_numpy()[out], b["line"].to_numpy()[~known]]),
        "rule": ["outside_grid"] * int(out.sum()) + ["grid_not_in_force"] * int((~known).sum())})


def convert_gcj02(con, raw: str) -> int:
    """Rewrite lon/lat of `raw` from GCJ-02 to WGS-84 where both parse (the rest are left for
    the checks to reject). Returns the number of rows converted."""
    rows = con.execute(f"""SELECT line, TRY_CAST(trim(lon) AS DOUBLE) AS lon, TRY_CAST(trim(lat) AS DOUBLE) AS lat
                           FROM {raw} WHERE TRY_CAST(trim(lon) AS DOUBLE) IS NOT NULL
                                    AND TRY_CAST(trim(lat) AS DOUBLE) IS NOT NULL""").df()
    lon, lat = gcj02_to_wgs84(rows["lon"].to_numpy(), rows["lat"].to_numpy())
    converted = pd.DataFrame({"line": rows["line"], "lon": np.round(lon, 7).astype(str),
                              "lat": np.round(lat, 7).astype(str)})
    con.register("converted_df", converted)
    con.execute(f"UPDATE {raw} SET lon = c.lon, lat = c.lat FROM converted_df c WHERE {raw}.line = c.line")
    con.unregister("converted_df")
    return len(converted)
