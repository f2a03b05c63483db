"""notebooks/warehouse.py: the served generation, pinned; the area's rows only; the masked columns
only; nothing else readable; parameters bound."""
import datetime as dt
import re

import duckdb
import pytest

from etl.publish.generations import building_path, point_to, publish
from etl.transform.models import create_views
from notebooks.warehouse import VIEWS, open_area
from warehouse import generations


@pytest.fixture(scope="module")
def opened(tiny_warehouse):
    """The whole tiny warehouse's area, opened once for the tests that only read."""
    with open_area(tiny_warehouse) as wh:
        yield wh


def test_defaults_to_the_top_area_and_the_last_year_of_the_served_generation(tiny_warehouse, base):
    district, name, as_of = base.execute("""
        SELECT code, name, (SELECT as_of::DATE FROM meta) FROM areas WHERE level = 'district'""").fetchone()
    with open_area(tiny_warehouse) as wh:
        assert (wh.area_code, wh.area_name) == (district, name)
        assert (wh.start, wh.end) == (as_of - dt.timedelta(days=364), as_of)
        assert wh.generation == generations.current(tiny_warehouse).id


def test_every_view_holds_the_areas_rows_only(tiny_warehouse, base):
    street = base.execute("SELECT max(code) FROM areas WHERE level = 'street'").fetchone()[0]
    with open_area(tiny_warehouse, street) as wh:
        seen = {view: wh.sql(f"SELECT count(*) AS n FROM {view}")["n"].iloc[0] for view in VIEWS}
    by_incident = ("WHERE incident_id IN (SELECT incident_id FROM warning_incident_areas "
                   "WHERE starts_with(area_code, $area))")
    for view, (area_column, _) in VIEWS.items():
        where = ("" if area_column is None else by_incident if view.startswith("warning_incident")
                 else f"WHERE starts_with({area_column}, $area)")
        assert seen[view] == base.execute(f"SELECT count(*) FROM {view} {where}",
                                          {"area": street} if area_column else {}).fetchone()[0], view
    assert 0 < seen["events"] < base.execute("SELECT count(*) FROM events").fetchone()[0]


def test_people_are_seen_masked_and_without_their_keyed_hash(opened):
    columns = {view: set(opened.sql(f"SELECT * FROM {view} LIMIT 0").columns) for view in VIEWS}
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
    "SELECT person_key FROM main.persons",
    "SELECT * FROM query_table('accounts')",
    "SELECT * FROM query('SELECT * FROM quarantine')",
    "SELECT * FROM read_text('data/secrets/vault.key')",
    "SELECT * FROM duckdb_tables()",
    "WITH vault AS (SELECT 1) SELECT * FROM vault",
    "SET VARIABLE scope = '2202'",
    "SELECT 1; SELECT 2",
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
        SELECT count(*) FROM events
        WHERE reported_at::DATE BETWEEN DATE '2026-03-01' AND DATE '2026-03-31' AND class_code = '01'
    """).fetchone()[0] > 0


def test_a_notebook_keeps_its_generation_while_a_refresh_publishes_and_prunes_it(base, tmp_path):
    warehouse = tmp_path / "warehouse"

    def build(path, later):
        """A small generation with the tables open_area reads, its as-of `later` than tiny's."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(path)) as con:                    # read-write, as the ETL builds
            for table, rows in (("meta", "SELECT * FROM meta"),
                                ("areas", "SELECT * EXCLUDE (geometry_wkb) FROM areas"),
                                ("mart_events_daily", "FROM mart_events_daily ORDER BY day LIMIT 1")):
                frame = base.execute(rows).df()  # noqa: F841 (DuckDB reads it by name below)
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
            con.execute("UPDATE meta SET as_of = as_of + $later", {"later": later})
            create_views(con, "main")
        return path

    old = build(generations.generation_path(warehouse, "20260101T000000-000001"), dt.timedelta(0))
    point_to(warehouse, generations.Generation(old.stem, old))
    as_of = "SELECT as_of FROM meta"
    with open_area(warehouse) as pinned:
        before = pinned.sql(as_of)["as_of"].iloc[0]
        built = build(building_path(warehouse, "20260102T000000-000002"), dt.timedelta(hours=1))
        publish(warehouse, built, "20260102T000000-000002", keep=1)
        assert not old.exists()                                   # pruned while the notebook reads it
        assert pinned.generation == old.stem and pinned.sql(as_of)["as_of"].iloc[0] == before
    with open_area(warehouse) as fresh:
        assert fresh.generation == "20260102T000000-000002"
        assert fresh.sql(as_of)["as_of"].iloc[0] == before + dt.timedelta(hours=1)


def test_an_unknown_or_malformed_area_code_is_an_error(tiny_warehouse):
    for code in ("220204999", "22O204", "2202040"):
        with pytest.raises(ValueError):
            open_area(tiny_warehouse, code)
