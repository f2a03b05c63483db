"""The point-in-grid check: a row's lon/lat must lie in (within TOLERANCE_M of) the version of
its grid in force on the row's date (events: the day reported; households: today's layer).

DuckDB 2 has no spatial extension offline (docs/design.md), so the join of each row to its grid
version is SQL and the geometry test is shapely, in batches so memory stays bounded. Rows whose
code, coordinates or date fail their own rules are left to those rules."""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from etl.geo.crs import gcj02_to_wgs84
from etl.geo.inside import TOLERANCE_M, inside, metric_geometries

BATCH = 1_000_000
TABLE = "memory.point_problems"      # (line, rule) for the source being checked


def check_points(con, raw: str, date_sql: str | None) -> int:
    """Fill TABLE for `raw` (a table of VARCHAR cells with grid_code, lon, lat): rule
    `outside_grid` (not within tolerance of the grid version in force on `date_sql`, an SQL
    expression over the row; None = the current version) or `grid_not_in_force` (the code exists
    but no version of it was in force that day). Returns the number of problem rows."""
    versions = con.execute("""SELECT row_number() OVER (ORDER BY code, valid_from) - 1 AS idx, code,
                                     valid_from, valid_to, geometry_wkb
                              FROM wh.core.areas WHERE level = 'grid' ORDER BY idx""").df()
    geoms = metric_geometries(shapely.from_wkb([bytes(b) for b in versions["geometry_wkb"]]))
    con.register("grid_versions_df", versions.drop(columns="geometry_wkb"))
    when = date_sql or "current_date"
    in_force = ("(v.valid_from IS NULL OR r.d >= v.valid_from) AND (v.valid_to IS NULL OR r.d < v.valid_to)"
                if date_sql else "v.valid_to IS NULL")
    relation = con.sql(f"""
        WITH r AS (
            SELECT line, trim(grid_code) AS code, TRY_CAST(trim(lon) AS DOUBLE) AS lon,
                   TRY_CAST(trim(lat) AS DOUBLE) AS lat, TRY_CAST({when} AS DATE) AS d
            FROM {raw}
        )
        SELECT r.line, r.lon, r.lat, any_value(v.idx) AS idx
        FROM r JOIN grid_versions_df known ON known.code = r.code
             LEFT JOIN grid_versions_df v ON v.code = r.code AND {in_force}
        WHERE r.lon BETWEEN 73 AND 136 AND r.lat BETWEEN 3 AND 54 AND r.d IS NOT NULL
        GROUP BY r.line, r.lon, r.lat""")
    found = []
    with relation.to_arrow_reader(batch_size=BATCH) as reader:
        for batch in reader:            # no other query on `con` until the reader is done
            found.append(_problems(batch.to_pandas(), geoms))
    con.unregister("grid_versions_df")
    problems = pd.concat(found, ignore_index=True) if found else pd.DataFrame({"line": [], "rule": []})
    con.register("point_problems_df", problems.astype({"line": "int64", "rule": "str"}))
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT * FROM point_problems_df")
    con.unregister("point_problems_df")
    return len(problems)


def _problems(b: pd.DataFrame, geoms: np.ndarray) -> pd.DataFrame:
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
