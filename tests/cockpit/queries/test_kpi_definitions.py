"""结案率 and 按期结案率 on a hand-built warehouse with the published bulletin's figures
(应结案 972, 结案 911 → 93.72 %; 按期 737 → 75.82 %) and the edge cases of the window."""
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from cockpit.db import Warehouse
from cockpit.queries import screen as q
from cockpit.scope import CITY, Scope
from etl.transform.models import create_views

AS_OF = dt.datetime(2026, 10, 31, 18, 0)
START = dt.datetime(2026, 10, 2)          # 30 days ending on the as-of day
GRID = "220204001001001"
MART_EVENT_SLA = Path(__file__).parents[3] / "etl" / "transform" / "sql" / "marts" / "event_sla.sql"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpi") / "wh.duckdb"     # catalog "wh", as the mart SQL expects
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA core; CREATE SCHEMA mart; CREATE SCHEMA ops")
    con.execute("CREATE TABLE ops.meta AS SELECT 'r1' AS run_id, ?::TIMESTAMP AS built_at, "
                "?::TIMESTAMP AS as_of", [AS_OF, AS_OF])
    con.execute("CREATE TABLE core.areas (code VARCHAR, name VARCHAR, level VARCHAR, valid_from DATE, valid_to DATE)")
    con.execute("INSERT INTO core.areas VALUES (?, '第1网格', 'grid', NULL, NULL)", [GRID])
    create_views(con, None)                   # areas_in_force, area_names: as every generation has them
    con.execute("CREATE TABLE mart.area_population AS SELECT ? AS code, 'grid' AS level, "
                "100 AS residents, 40 AS households", [GRID])
    con.execute("""CREATE TABLE core.events (grid_code VARCHAR, reported_at TIMESTAMP, accepted_at TIMESTAMP,
                   deadline TIMESTAMP, handled_at TIMESTAMP, closed_at TIMESTAMP)""")
    rows = []
    due = AS_OF - dt.timedelta(days=3)
    for i in range(972):      # due in the window: 737 handled in time, 174 late, 61 still open
        opened = due - dt.timedelta(days=2)
        handled = due - dt.timedelta(hours=1) if i < 737 else due + dt.timedelta(hours=5) if i < 911 else None
        closed = handled + dt.timedelta(hours=2) if handled else None
        rows.append((GRID, opened, opened, due, handled, closed))
    # opened before the window but due inside it: counts
    rows[0] = (GRID, START - dt.timedelta(days=5), START - dt.timedelta(days=5), START + dt.timedelta(hours=10),
               START, START + dt.timedelta(hours=1))
    # must not count: due after as-of though closed early; due before the window; never 立案
    rows.append((GRID, AS_OF - dt.timedelta(days=1), AS_OF - dt.timedelta(days=1), AS_OF + dt.timedelta(days=2),
                 AS_OF - dt.timedelta(hours=3), AS_OF - dt.timedelta(hours=2)))
    rows.append((GRID, START - dt.timedelta(days=9), START - dt.timedelta(days=9), START - dt.timedelta(seconds=1),
                 None, None))
    rows.append((GRID, AS_OF - dt.timedelta(days=1), None, None, None, None))
    con.executemany("INSERT INTO core.events VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute("""CREATE TABLE events2 AS SELECT row_number() OVER () AS event_id, *,
                   left(grid_code, 12) AS community_code, left(grid_code, 9) AS street_code,
                   left(grid_code, 6) AS district_code, '01' AS class_code, '0101' AS subclass_code,
                   '城管局' AS department, '网格员上报' AS source,
                   CASE WHEN accepted_at IS NULL THEN '待受理' ELSE '处置中' END AS status,
                   accepted_at AS dispatched_at, closed_at IS NOT NULL AS is_closed,
                   closed_at IS NOT NULL AND handled_at <= deadline AS closed_on_time FROM core.events""")
    con.execute("DROP TABLE core.events; CREATE TABLE core.events AS FROM events2; DROP TABLE events2")
    # the counters read the events' SLA mart: built by the ETL's own SQL
    con.execute("CREATE TABLE mart.event_sla AS " + MART_EVENT_SLA.read_text(encoding="utf-8"))
    con.close()
    return Warehouse(path)


def test_bulletin_figures(wh):
    n = q.counters(wh, CITY)
    assert (n["due"], n["closed"], n["closed_on_time"]) == (972, 911, 737)
    assert round(n["closure_rate"], 2) == 93.72
    assert round(n["on_time_rate"], 2) == 75.82
    # events reported in the window: 971 of the due ones + 2 recent (the rest were reported earlier)
    assert n["events"] == 971 + 2


def test_other_scope_sees_nothing(wh):
    k = q.kpis(wh, Scope("220203", "龙潭区"))
    assert (k["residents"], k["events"], k["due"]) == (0, 0, 0)
