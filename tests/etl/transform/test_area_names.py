"""`core.area_names`, the one display name per code (etl/transform/sql/views/area_names.sql): the
version in force at as-of, else the code's latest version; the cockpit's names fragment and the
notebooks read it, and nothing else writes the choice again."""
import datetime as dt

import duckdb
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

from etl import storage
from warehouse.paths import ROOT


def expected(areas: pd.DataFrame, as_of) -> dict[str, str]:
    """The definition, in pandas: the name of the version in force, else of the latest version."""
    as_of = pd.Timestamp(as_of)
    names = {}
    for code, versions in areas.groupby("code"):
        begun = versions["valid_from"].isna() | (versions["valid_from"] <= as_of)
        not_ended = versions["valid_to"].isna() | (versions["valid_to"] > as_of)
        now = versions[begun & not_ended]
        latest = versions.sort_values("valid_from", na_position="first").iloc[-1]
        names[code] = now["name"].iloc[0] if len(now) else latest["name"]
    return names


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_names_follow_the_definition_at_any_as_of(tiny_db, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("names") / "generation.duckdb"
    storage.single_file(tiny_db, path)
    with duckdb.connect(str(path)) as con:
        # the tiny data's redrawn grids keep their names: give each version its own, so a wrong
        # choice of version shows
        con.execute("UPDATE core.areas SET name = name || '@' || coalesce(strftime(valid_from, '%Y%m%d'), '-')")
        areas = con.execute("SELECT code, name, valid_from, valid_to FROM core.areas").df()
        bounds = sorted({pd.Timestamp(t) for t in pd.concat([areas["valid_from"], areas["valid_to"]]).dropna()})
        assert bounds                                    # redraws there are, else this proves nothing
        as_of = data.draw(st.one_of(
            st.sampled_from(bounds).flatmap(lambda b: st.sampled_from([b - pd.Timedelta(seconds=1), b])),
            st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2035, 1, 1)).map(pd.Timestamp)))
        con.execute("UPDATE ops.meta SET as_of = ?", [as_of.to_pydatetime()])
        shown = dict(con.execute("SELECT code, name FROM core.area_names").fetchall())
    assert shown == expected(areas, as_of)


def test_the_cockpit_and_the_notebooks_read_names_from_the_view():
    fragment = (ROOT / "cockpit/queries/sql/_area_names.sql").read_text(encoding="utf-8")
    notebooks = (ROOT / "notebooks/warehouse.py").read_text(encoding="utf-8")
    assert "core.area_names" in fragment and "valid_from" not in fragment
    assert "core.area_names" in notebooks
