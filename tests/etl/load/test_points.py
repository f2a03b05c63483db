"""The point-in-grid check (etl/load/points.py): on any number of threads it finds what a plain
row-by-row check finds (the oracle below), in the same order; rows without a date of their own are
checked against the grids in force at the data's as-of instant, by the rule of the view
areas_in_force (etl/transform/sql/views/areas_in_force.sql), not `valid_to IS NULL`."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
import shapely
from hypothesis import given, settings, strategies as st
from pyproj import Transformer

from etl.geo.crs import CANONICAL_CRS, METRIC_CRS
from etl.geo.inside import TOLERANCE_M
from etl.load import points
from warehouse.paths import ROOT

DATE_SQL = "TRY_CAST(reported_at AS TIMESTAMP)"
LON, LAT = 126.55, 43.84                     # 吉林市
STEP = 0.004                                 # a grid cell's side in degrees (~300 m)


def _warehouse(versions: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A build connection: wh.core.areas with grid `versions` (code, valid_from, valid_to, polygon)."""
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS wh")
    con.execute("CREATE SCHEMA wh.core")
    con.execute("""CREATE TABLE wh.core.areas (level VARCHAR, code VARCHAR, valid_from TIMESTAMP,
                   valid_to TIMESTAMP, geometry_wkb BLOB)""")
    if versions:
        con.executemany("INSERT INTO wh.core.areas VALUES ('grid', ?, ?, ?, ?)",
                        [[c, f, t, shapely.to_wkb(g)] for c, f, t, g in versions])
    return con


def _raw(con, rows: list[tuple]) -> str:
    """memory.raw_points: (line, grid_code, lon, lat, reported_at), all text as the load reads them."""
    con.execute("CREATE OR REPLACE TABLE memory.raw_points (line BIGINT, grid_code VARCHAR, lon VARCHAR, "
                "lat VARCHAR, reported_at VARCHAR)")
    if rows:
        con.executemany("INSERT INTO memory.raw_points VALUES (?, ?, ?, ?, ?)", rows)
    return "memory.raw_points"


def _number(text):
    try:
        return float(text.strip())
    except (AttributeError, ValueError):
        return None


def oracle(versions, rows, as_of=None) -> list[tuple]:
    """The check row by row, plainly: a row with a known code, coordinates in China and a date
    (its own day, else `as_of`) is `grid_not_in_force` if no version of its code has begun by then
    and not ended, else `outside_grid` if it lies farther than TOLERANCE_M from that version."""
    to_metric = Transformer.from_crs(CANONICAL_CRS, METRIC_CRS, always_xy=True)
    out = []
    for line, code, lon, lat, reported in rows:
        code, lon, lat = (code or "").strip(), _number(lon), _number(lat)
        mine = [v for v in versions if v[0] == code]
        if not mine or lon is None or lat is None or not (73 <= lon <= 136 and 3 <= lat <= 54):
            continue
        if as_of is None:
            try:
                when = dt.datetime.combine(dt.datetime.fromisoformat(reported.strip()).date(), dt.time())
            except (AttributeError, ValueError):
                continue
        else:
            when = as_of
        in_force = [v for v in mine if (v[1] is None or v[1] <= when) and (v[2] is None or v[2] > when)]
        if not in_force:
            out.append((line, "grid_not_in_force"))
            continue
        metric = shapely.transform(in_force[0][3], lambda xy: np.column_stack(to_metric.transform(*xy.T)))
        x, y = to_metric.transform(lon, lat)
        if shapely.distance(metric, shapely.Point(x, y)) > TOLERANCE_M:
            out.append((line, "outside_grid"))
    return sorted(out)


DAYS = [dt.datetime(2025, 1, 1), dt.datetime(2025, 6, 1), dt.datetime(2026, 1, 1)]


@st.composite
def grids_and_rows(draw):
    """Grid codes in a row of cells, each with one to three versions that do not overlap in time
    (the load quarantines overlapping ones), some drawn late or retired early, a version's polygon
    a box or a triangle in its code's cell; rows in and near their code's cell, some with an
    unknown code, bad coordinates or a bad date."""
    versions = []
    n_codes = draw(st.integers(1, 4))
    for i in range(n_codes):
        code = f"22020200100{i:04d}"
        bounds = sorted(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True)))
        periods = list(zip([None, *bounds], [*bounds, None]))
        periods = periods[draw(st.integers(0, 1)):len(periods) - draw(st.integers(0, 1))] or periods[:1]
        for valid_from, valid_to in periods:
            x0, y0 = LON + i * STEP, LAT
            a, b = draw(st.floats(0.1, 0.9)), draw(st.floats(0.1, 0.9))
            shape = shapely.box(x0, y0, x0 + a * STEP, y0 + b * STEP) if draw(st.booleans()) else \
                shapely.Polygon([(x0, y0), (x0 + a * STEP, y0), (x0, y0 + b * STEP)])
            versions.append((code, valid_from, valid_to, shape))
    cell = st.integers(0, n_codes - 1)
    near = st.tuples(cell, st.floats(-0.3, 1.3), st.floats(-0.3, 1.3)).map(lambda k: (
        f"22020200100{k[0]:04d}", f"{LON + (k[0] + k[1]) * STEP:.7f}", f"{LAT + k[2] * STEP:.7f}"))
    odd = st.tuples(st.one_of(cell.map(lambda k: f" 22020200100{k:04d} "),
                              st.sampled_from(["220202001009999", ""])),
                    st.sampled_from(["", "abc", "200.0", f" {LON + 0.001:.7f} ", f"{LON + 0.3 * STEP:.7f}"]),
                    st.sampled_from(["x", f"{LAT + 0.3 * STEP:.7f}"]))
    day = st.one_of(st.sampled_from(DAYS).map(lambda d: str(d + dt.timedelta(hours=9))),
                    st.sampled_from([str(DAYS[0] - dt.timedelta(days=400)), "2025-06-01 00:00:00",
                                     "2025-05-31 23:59:59", "not a date", ""]))
    rows = draw(st.lists(st.tuples(st.one_of(near, near, odd), day).map(lambda r: (*r[0], r[1])),
                         max_size=80))
    return versions, [(i + 2, *r) for i, r in enumerate(rows)]


@settings(max_examples=40)
@given(grids_and_rows(), st.integers(1, 4), st.integers(1, 9),
       st.one_of(st.none(), st.sampled_from(DAYS), st.sampled_from(DAYS).map(lambda d: d - dt.timedelta(seconds=1))))
def test_on_any_number_of_threads_the_check_finds_what_the_oracle_finds(case, workers, batch, as_of):
    versions, rows = case
    con = _warehouse(versions)
    raw = _raw(con, rows)
    points.BATCH, before = batch, points.BATCH             # many batches: several threads in flight
    try:
        n = points.check_points(con, raw, None if as_of else DATE_SQL, as_of, workers=workers)
    finally:
        points.BATCH = before
    found = con.execute(f"SELECT line, rule FROM {points.TABLE}").fetchall()      # in its stored order
    assert found == oracle(versions, rows, as_of)
    assert n == len(found)


def test_rows_without_a_date_are_checked_at_as_of_by_the_rule_of_areas_in_force():
    """Where the view's rule and `valid_to IS NULL` part: as of the day before a redraw, the old
    version is in force and the new one not yet; a grid retired after as-of is in force; a grid
    drawn after as-of is not."""
    day = dt.datetime(2026, 3, 1)
    cell = lambda i, w=1.0: shapely.box(LON + i * STEP, LAT, LON + (i + w) * STEP, LAT + STEP)  # noqa: E731
    versions = [("220202001000001", None, day, cell(0)),                 # redrawn at `day`: half as wide
                ("220202001000001", day, None, cell(0, 0.4)),
                ("220202001000002", None, day + dt.timedelta(days=30), cell(1)),    # retired after as-of
                ("220202001000003", day, None, cell(2))]                 # drawn after as-of
    far_half = f"{LON + 0.8 * STEP:.7f}"
    rows = [(2, "220202001000001", far_half, f"{LAT + STEP / 2:.7f}", ""),
            (3, "220202001000002", f"{LON + 1.5 * STEP:.7f}", f"{LAT + STEP / 2:.7f}", ""),
            (4, "220202001000003", f"{LON + 2.5 * STEP:.7f}", f"{LAT + STEP / 2:.7f}", "")]
    as_of = day - dt.timedelta(seconds=1)
    con = _warehouse(versions)
    # the view itself, on these areas at this as-of: which version of each code is in force
    con.execute("CREATE SCHEMA core; CREATE SCHEMA ops")
    con.execute("CREATE TABLE core.areas AS SELECT * FROM wh.core.areas")
    con.execute("CREATE TABLE ops.meta AS SELECT ?::TIMESTAMP AS as_of", [as_of])
    view = (ROOT / "etl/transform/sql/views/areas_in_force.sql").read_text(encoding="utf-8")
    con.execute(f"CREATE VIEW core.areas_in_force AS {view}")
    in_force = con.execute("SELECT code, valid_from FROM core.areas_in_force ORDER BY code").fetchall()
    assert in_force == [("220202001000001", None), ("220202001000002", None)]
    points.check_points(con, _raw(con, rows), None, as_of)
    assert con.execute(f"SELECT line, rule FROM {points.TABLE}").fetchall() == [(4, "grid_not_in_force")]
    # a day later the redraw is in force: the point in the far half has left its grid
    points.check_points(con, _raw(con, rows), None, day + dt.timedelta(days=1))
    assert con.execute(f"SELECT line, rule FROM {points.TABLE}").fetchall() == [(2, "outside_grid")]
    assert oracle(versions, rows, as_of) == [(4, "grid_not_in_force")]


def test_a_row_without_a_date_needs_the_as_of_instant():
    con = _warehouse([])
    with pytest.raises(ValueError):
        points.check_points(con, _raw(con, []), None, None)
