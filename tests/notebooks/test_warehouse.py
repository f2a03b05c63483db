"""notebooks/warehouse.py: the served generation, pinned; the area's rows only; the masked columns
only; the marts and warnings whole, holding no personal data; nothing else readable; parameters
bound."""
import datetime as dt
import re

import duckdb
import pytest

from etl.contract import load_contract
from etl.publish.generations import point_to, prune, publish, start
from etl.transform.models import create_views
from notebooks.warehouse import CORE_VIEWS, WHOLE_SCHEMAS, open_area
from warehouse import generations
from warehouse.personal import candidate_sql, find


@pytest.fixture(scope="module")
def opened(tiny_warehouse):
    """The whole tiny warehouse's area, opened once for the tests that only read."""
    with open_area(tiny_warehouse) as wh:
        yield wh


def test_defaults_to_the_top_area_and_the_last_year_of_the_served_generation(tiny_warehouse, base):
    district, name, as_of = base.execute("""
        SELECT code, name, (SELECT as_of::DATE FROM ops.meta) FROM core.areas WHERE level = 'district'""").fetchone()
    with open_area(tiny_warehouse) as wh:
        assert (wh.area_code, wh.area_name) == (district, name)
        assert (wh.start, wh.end) == (as_of - dt.timedelta(days=364), as_of)
        assert wh.generation == generations.current(tiny_warehouse).id


def test_every_view_holds_the_areas_rows_only(tiny_warehouse, base):
    street = base.execute("SELECT max(code) FROM core.areas WHERE level = 'street'").fetchone()[0]
    with open_area(tiny_warehouse, street) as wh:
        views = wh.views
        seen = {view: wh.sql(f"SELECT count(*) AS n FROM {view}")["n"].iloc[0] for view in views}
    by_incident = ("incident_id IN (SELECT incident_id FROM warning.incident_areas "
                   "WHERE starts_with(area_code, $area))")
    by_event = "event_id IN (SELECT event_id FROM core.events WHERE starts_with(grid_code, $area))"
    for view, (table, _, columns) in views.items():
        names = [c.strip('"') for c in columns]
        column = CORE_VIEWS[view][0] if view in CORE_VIEWS \
            else next((c for c in ("grid_code", "code", "community_code", "area_code") if c in names), None)
        limits = [f"starts_with({column}, $area)"] if column else []
        if table.startswith("warning.") and "incident_id" in names:      # the incident's rows on
            limits = [by_incident] + ({"warning.alerts": limits, "warning.incident_grids": limits,   # areas
                                       "warning.incident_events": [by_event]}.get(table, []))
        where = "WHERE " + " AND ".join(limits) if limits else ""
        assert seen[view] == base.execute(f"SELECT count(*) FROM {table} {where}",
                                          {"area": street} if limits else {}).fetchone()[0], view
    assert 0 < seen["events"] < base.execute("SELECT count(*) FROM core.events").fetchone()[0]


def test_the_listed_core_tables_and_every_mart_and_warning_table_with_an_area_are_shown(opened, base):
    """core: the listed tables, by their names, the listed columns; mart and warning: every table
    with an area (or incident) column, as <schema>_<table>, every column; ops and secure: nothing."""
    tables = base.execute("SELECT schema_name, table_name, list(column_name ORDER BY column_index) "
                          "FROM duckdb_columns() GROUP BY ALL").fetchall()
    whole = {f"{s}_{t}": columns for s, t, columns in tables if s in WHOLE_SCHEMAS
             and ("incident_id" in columns or {"grid_code", "code", "community_code", "area_code"} & set(columns))}
    assert {"mart_events_daily", "mart_person_groups_per_grid", "warning_incidents", "warning_screen"} <= set(whole)
    assert set(opened.views) == set(CORE_VIEWS) | set(whole)
    assert not {"meta", "load_log", "quarantine", "vault", "warning_meta", "warning_budget"} & set(opened.views)
    for view, columns in whole.items():
        assert list(opened.sql(f"SELECT * FROM {view} LIMIT 0").columns) == columns, view
    for view, (_, listed) in CORE_VIEWS.items():
        assert list(opened.sql(f"SELECT * FROM {view} LIMIT 0").columns) == list(listed), view


# the columns of core that hold a person's name, ID number or phone, in any form (masked, hashed)
PERSONAL_COLUMNS = {f"{c.name}{form}" for s in load_contract() for c in s.columns if c.personal
                    for form in ("", "_masked")}


def personal_in_whole_schemas(con) -> list[tuple]:
    """Columns of the schemas the notebooks show whole that hold personal data: by name (a
    personal column of the contract, masked or not, or a keyed hash `*_key`), or by a value in
    which warehouse/personal.py finds an ID or mobile number."""
    found = []
    for schema, table, column, kind in con.execute(
            "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name IN (SELECT unnest(?::VARCHAR[]))", [list(WHOLE_SCHEMAS)]).fetchall():
        if column in PERSONAL_COLUMNS or column.endswith("_key"):
            found.append((schema, table, column))
        elif kind == "VARCHAR":
            values = con.execute(f'SELECT DISTINCT "{column}" FROM {schema}.{table} '
                                 f'WHERE {candidate_sql(chr(34) + column + chr(34))}').fetchall()
            found += [(schema, table, column, v) for (v,) in values if find(v)]
    return found


def test_the_marts_and_warnings_hold_no_personal_data(base, tmp_path):
    """What lets the notebooks show mart and warning tables whole: none of their columns is
    personal, by name or by value. A personal column added there fails this."""
    assert {"name_masked", "id_number_masked", "phone_masked"} <= PERSONAL_COLUMNS
    assert base.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('mart', 'warning')"
                        ).fetchone()[0] >= 100             # tables and views (a stored table is one)
    assert personal_in_whole_schemas(base) == []
    planted = tmp_path / "planted.duckdb"
    with duckdb.connect(str(planted)) as con:
        con.execute("CREATE SCHEMA mart; CREATE SCHEMA warning")
        con.execute("CREATE TABLE mart.by_name AS SELECT '220204' AS grid_code, '张*' AS name_masked")
        con.execute("CREATE TABLE warning.by_value AS SELECT 'x' AS incident_id, '请联系 139-1234-5678' AS reason")
        assert {f[:3] for f in personal_in_whole_schemas(con)} == {
            ("mart", "by_name", "name_masked"), ("warning", "by_value", "reason")}


def test_people_are_seen_masked_and_without_their_keyed_hash(opened):
    columns = {view: set(opened.sql(f"SELECT * FROM {view} LIMIT 0").columns) for view in opened.views}
    persons = opened.sql("SELECT name_masked, id_number_masked, phone_masked FROM persons")
    every = set().union(*columns.values())
    assert not {c for c in every if c.endswith("_key") or c in ("description", "content", "sealed")}
    for view in ("persons", "volunteers"):
        personal = {c for c in columns[view] if re.search("name|id_number|phone", c)}
        assert all(c.endswith("_masked") for c in personal), view
    assert persons["name_masked"].str.fullmatch(r".\*+").all()
    assert persons["id_number_masked"].str.fullmatch(r"\d{6}\*{12}").all()    # the issuing area only
    assert persons["phone_masked"].dropna().str.fullmatch(r"\d{3}\*{4}\d{4}").all()


@pytest.mark.parametrize("sql", [
    "SELECT * FROM vault",
    "SELECT count(*) FROM persons p JOIN vault_index v ON v.record_id = p.person_id",
    "SELECT person_key FROM core.persons",
    "SELECT * FROM persons p JOIN core.persons c USING (person_id)",
    "SELECT * FROM meta",
    "SELECT * FROM ops.quarantine",
    "SELECT * FROM secure.vault",
    "SELECT * FROM mart.events_daily",
    "SELECT * FROM warning_budget",
    "WITH events_daily AS (SELECT 1) SELECT * FROM events_daily",
    "SELECT * FROM query_table('accounts')",
    "SELECT * FROM query('SELECT * FROM quarantine')",
    "SELECT * FROM read_text('data/secrets/vault.key')",
    "SELECT * FROM duckdb_tables()",
    "WITH vault AS (SELECT 1) SELECT * FROM vault",
    "SET VARIABLE scope = '2202'",
    "SELECT 1; SELECT 2",
    # a CTE whose quoted name spells a qualified table or a table function does not stand in for it
    'WITH "ops.quarantine" AS (SELECT 1) SELECT * FROM ops.quarantine',
    'WITH "core.persons" AS (SELECT 1) SELECT person_key FROM core.persons',
    'WITH "secure.vault" AS (SELECT 1) SELECT * FROM secure.vault',
    """WITH "query_table()" AS (SELECT 1) SELECT * FROM query_table('core.accounts')""",
])
def test_anything_else_is_refused_before_it_runs(opened, sql):
    with pytest.raises(PermissionError):
        opened.sql(sql)


def test_parameters_are_bound(tiny_warehouse, base):
    with open_area(tiny_warehouse, start_date="2026-03-01", end_date="2026-03-31") as wh:
        got = wh.sql("""
            SELECT count(*) AS n FROM events
            WHERE reported_at >= $start AND reported_at < $end + INTERVAL 1 DAY AND class_code = $class
        """, **{"class": "01"})["n"].iloc[0]
        with pytest.raises(TypeError):
            wh.sql("SELECT $scope AS area", scope="2202")     # the area is the one it was opened on
    assert got == base.execute("""
        SELECT count(*) FROM core.events
        WHERE reported_at::DATE BETWEEN DATE '2026-03-01' AND DATE '2026-03-31' AND class_code = '01'
    """).fetchone()[0] > 0


def test_a_notebook_keeps_its_generation_while_a_refresh_publishes_and_prunes_it(base, tmp_path):
    warehouse = tmp_path / "warehouse"

    def build(path, later):
        """A small generation with the tables open_area reads, its as-of and day `later` than tiny's."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(path)) as con:                    # read-write, as the ETL builds
            con.execute("CREATE SCHEMA core; CREATE SCHEMA mart; CREATE SCHEMA ops")
            for table, rows in (("ops.meta", "SELECT * FROM ops.meta"),
                                ("core.areas", "SELECT * EXCLUDE (geometry_wkb) FROM core.areas"),
                                ("mart.events_daily", "FROM mart.events_daily ORDER BY day LIMIT 1")):
                frame = base.execute(rows).df()  # noqa: F841 (DuckDB reads it by name below)
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
            con.execute("UPDATE ops.meta SET as_of = as_of + $later", {"later": later})
            con.execute("UPDATE mart.events_daily SET day = day + $later", {"later": later})
            create_views(con, None)
        return path

    old = build(generations.generation_path(warehouse, "20260101T000000-000001"), dt.timedelta(0))
    point_to(warehouse, generations.Generation(old.parent.name, old))
    day = "SELECT max(day) AS day FROM mart_events_daily"
    with open_area(warehouse) as pinned:
        before = pinned.sql(day)["day"].iloc[0]
        built = build(start(warehouse, "20260102T000000-000002"), dt.timedelta(days=1))
        publish(warehouse, built, "20260102T000000-000002", keep=1)
        assert old.exists()                             # not pruned while the notebook reads it
        assert pinned.generation == old.parent.name and pinned.sql(day)["day"].iloc[0] == before
    with open_area(warehouse) as fresh:
        assert fresh.generation == "20260102T000000-000002"
        assert fresh.sql(day)["day"].iloc[0] == before + dt.timedelta(days=1)
    assert [g.id for g in prune(warehouse, keep=1)] == ["20260101T000000-000001"]      # let go: pruned
    assert not old.parent.exists()


def test_an_unknown_or_malformed_area_code_is_an_error(tiny_warehouse):
    for code in ("220204999", "22O204", "2202040"):
        with pytest.raises(ValueError):
            open_area(tiny_warehouse, code)


def test_a_warning_tables_rows_on_other_areas_stay_hidden_even_of_an_incident_the_area_sees(tiny_warehouse, base):
    """An incident seen from a grid covers other grids (a community's, a 片区's): the cockpit shows
    its alerts and grids inside the jurisdiction only (warning__incident_alerts.sql,
    warning__incident_area.sql); a notebook's warning views must not show more than that."""
    grid = base.execute("""
        SELECT ia.area_code FROM warning.incident_areas ia JOIN warning.alerts a USING (incident_id)
        WHERE length(ia.area_code) = 15 AND NOT starts_with(a.area_code, ia.area_code)
        GROUP BY ALL ORDER BY count(*) DESC, ia.area_code LIMIT 1""").fetchone()
    assert grid is not None, "the tiny warehouse has an incident of several grids"
    with open_area(tiny_warehouse, grid[0]) as wh:
        outside = {view: wh.sql(f"SELECT count(*) AS n FROM {view} WHERE NOT starts_with({column}, $scope)")["n"].iloc[0]
                   for view, column in (("warning_alerts", "area_code"), ("warning_incident_grids", "grid_code"))}
        outside["warning_incident_events"] = wh.sql(
            "SELECT count(*) AS n FROM warning_incident_events WHERE event_id NOT IN (SELECT event_id FROM events)"
        )["n"].iloc[0]
    assert outside == {"warning_alerts": 0, "warning_incident_grids": 0, "warning_incident_events": 0}
