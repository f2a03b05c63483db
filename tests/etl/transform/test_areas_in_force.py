"""`areas_in_force`, the one definition of the areas in force at the data's as-of instant: a view
in every generation (etl/transform/sql/views/areas_in_force.sql), agreeing with the definition on
a generation where grids were redrawn, following meta.as_of, and read instead of the rule written
again (`valid_to IS NULL`, or the as-of comparison) anywhere in the ETL, the notebooks or app.py."""
import datetime as dt
import re

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from etl import storage
from warehouse.paths import ROOT


def in_force(areas: pd.DataFrame, as_of) -> set[tuple]:
    """The definition, in pandas: begun by as-of (or no start), not ended by it (or no end)."""
    as_of = pd.Timestamp(as_of)
    begun = areas["valid_from"].isna() | (areas["valid_from"] <= as_of)
    not_ended = areas["valid_to"].isna() | (areas["valid_to"] > as_of)
    return set(map(tuple, areas.loc[begun & not_ended, ["code", "valid_from"]].astype(str).to_numpy()))


def view(con) -> set[tuple]:
    return set(map(tuple, con.execute("SELECT code, valid_from FROM core.areas_in_force").df()
                   .astype(str).to_numpy()))


@pytest.fixture(scope="module")
def generation(tiny_db, tmp_path_factory):
    """A writable copy of the tiny warehouse's generation (its as-of is moved below)."""
    path = tmp_path_factory.mktemp("in_force") / "generation.duckdb"
    storage.single_file(tiny_db, path)
    return path


def test_the_view_agrees_with_the_definition_where_grids_were_redrawn(tiny_db):
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        areas = con.execute("SELECT code, level, valid_from, valid_to FROM core.areas").df()
        (as_of,) = con.execute("SELECT as_of FROM ops.meta").fetchone()
        shown = view(con)
        per_code = con.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM core.areas_in_force GROUP BY code)"
                               ).fetchone()[0]
    redrawn = areas[areas["valid_to"].notna()]
    assert len(redrawn) >= 3 and areas["valid_from"].notna().any()     # a test over no redraw proves nothing
    assert shown == in_force(areas, as_of)
    assert per_code == 1                                               # one version per code
    assert not {(c, str(f)) for c, f in zip(redrawn["code"], redrawn["valid_from"])} & shown


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_view_follows_the_as_of_instant(generation, data):
    """Any as-of instant, on a version boundary, a day either side or anywhere in the data's
    years: the view is the definition at that instant (an incremental run moves as-of in meta)."""
    with duckdb.connect(str(generation)) as con:
        areas = con.execute("SELECT code, valid_from, valid_to FROM core.areas").df()
        bounds = sorted({pd.Timestamp(t) for t in pd.concat([areas["valid_from"], areas["valid_to"]]).dropna()})
        as_of = data.draw(st.one_of(
            st.sampled_from(bounds).flatmap(lambda b: st.sampled_from([b - pd.Timedelta(seconds=1), b,
                                                                       b + pd.Timedelta(days=1)])),
            st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2035, 1, 1)).map(pd.Timestamp)))
        con.execute("UPDATE ops.meta SET as_of = ?", [as_of.to_pydatetime()])
        assert view(con) == in_force(areas, as_of)


def test_before_a_redraw_the_view_shows_the_old_grids(generation):
    """Where the definition and `valid_to IS NULL` part: as of the day before a redraw, the grids
    it retired are in force and the ones it drew are not."""
    with duckdb.connect(str(generation)) as con:
        (day,) = con.execute("SELECT min(valid_to) FROM core.areas WHERE valid_to IS NOT NULL").fetchone()
        con.execute("UPDATE ops.meta SET as_of = ?", [day - dt.timedelta(seconds=1)])
        retired = set(con.execute("SELECT code FROM core.areas WHERE valid_to = ?", [day]).fetchall())
        drawn = set(con.execute("SELECT code FROM core.areas WHERE valid_from = ?", [day]).fetchall())
        shown = set(con.execute("SELECT code FROM core.areas_in_force").fetchall())
    assert retired and retired <= shown
    assert drawn and not (drawn - retired) & shown


# the rule written again: a current-version filter or the as-of comparison on valid_from/valid_to
RULE_AGAIN = re.compile(r"valid_to\s+IS\s+NULL|valid_to\s*>\s*\w*\.?as_of|valid_from\s*<=\s*\w*\.?as_of", re.I)
# where the versions themselves are the subject: the view's own file, the point-in-grid check on
# a row's own date or the as-of instant (before meta exists: tests/etl/load/test_points.py checks
# it against the view), the topology check on every date, the early warning's
# per-version series, the grid lineage, the reader of the layers
NOT_READERS = {"etl/transform/sql/views/areas_in_force.sql", "etl/load/points.py", "etl/load/topology.py",
               "etl/load/areas.py", "etl/warning/series.py", "etl/contract/doc.py"}


def test_no_reader_writes_the_rule_again():
    files = [*ROOT.glob("etl/**/*.py"), *ROOT.glob("etl/**/*.sql"), *ROOT.glob("notebooks/*.py"),
             *ROOT.glob("notebooks/*.ipynb"), ROOT / "app.py", *ROOT.glob("warehouse/*.py")]
    again = [str(f.relative_to(ROOT)) for f in files
             if str(f.relative_to(ROOT)) not in NOT_READERS and ".ipynb_checkpoints" not in f.parts
             and RULE_AGAIN.search(f.read_text(encoding="utf-8"))]
    assert again == []


def test_the_rule_is_recognised_where_it_is_written():
    """The search above finds the rule in the forms it was written in (a search finding nothing
    would pass over anything)."""
    assert RULE_AGAIN.search("WHERE a.valid_to IS NULL")
    assert RULE_AGAIN.search("coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)")
    assert RULE_AGAIN.search("AND valid_to  >  as_of")
    assert RULE_AGAIN.search((ROOT / "etl/transform/sql/views/areas_in_force.sql").read_text(encoding="utf-8"))
