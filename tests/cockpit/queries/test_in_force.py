"""The cockpit reads the areas in force from the generation's view `areas_in_force` (the one
definition: etl/transform/sql/views/areas_in_force.sql, tested in
tests/etl/transform/test_areas_in_force.py) and never writes the rule itself: a `valid_to IS NULL`
means "current" at the newest redraw, not at the data's as-of, and the two part on the day before
a redraw. A code's name whatever its version is the fragment sql/_area_names.sql."""
import datetime as dt
import re

import duckdb
import pytest

from cockpit.db import Warehouse
from cockpit.queries import fragment, run
from cockpit.scope import CITY
from etl import storage
from warehouse.areas import CITY_CODE
from warehouse.paths import ROOT

# the rule, or a part of it, written again: a current-version filter or a version-date comparison
RULE = re.compile(r"valid_to\s+IS\s+NULL|valid_to\s*>|valid_from\s*<=", re.I)
# files that may write it, and why (none today: the versions a query wants besides the ones in
# force, such as grid_map__metrics' last shape of a retired grid, are picked by order, not by rule)
ALLOWED: dict[str, str] = {}


def cockpit_files():
    return [*ROOT.glob("cockpit/**/*.sql"), *ROOT.glob("cockpit/**/*.py")]


def test_no_cockpit_file_writes_the_in_force_rule():
    again = sorted(str(f.relative_to(ROOT)) for f in cockpit_files()
                   if RULE.search(f.read_text(encoding="utf-8")))
    assert [f for f in again if f not in ALLOWED] == []
    assert set(ALLOWED) <= set(again), "an allowed file no longer writes the rule: drop it from ALLOWED"


@pytest.mark.parametrize("text", [
    "WHERE a.valid_to IS NULL", "AND c.valid_to is null", "ORDER BY valid_to IS NULL DESC",
    "coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)",
    "valid_to>$day", "valid_from  <=  now()"])
def test_the_rule_is_recognised_in_the_forms_it_was_written_in(text):
    assert RULE.search(text)


@pytest.fixture(scope="module")
def before_a_redraw(tiny_db, tmp_path_factory):
    """A copy of the tiny generation as of one second before its first redraw: the grids that
    redraw retires are in force, the ones it draws are not yet (`valid_to IS NULL` says otherwise)."""
    path = tmp_path_factory.mktemp("before_redraw") / "generation.duckdb"
    storage.single_file(tiny_db, path)           # every table in it, to change in place
    with duckdb.connect(str(path)) as con:
        (day,) = con.execute("SELECT min(valid_to) FROM core.areas WHERE valid_to IS NOT NULL").fetchone()
        con.execute("UPDATE ops.meta SET as_of = ?", [day - dt.timedelta(seconds=1)])
        # the versions the redraw draws get new names: a code redrawn in place then has two names
        con.execute("UPDATE core.areas SET name = name || '（新）' WHERE valid_from = ?", [day])
        in_force = con.execute("SELECT code, name, level FROM core.areas_in_force ORDER BY code").df()
        retired = {c for (c,) in con.execute("SELECT code FROM core.areas WHERE valid_to = ?", [day]).fetchall()}
    assert retired and retired <= set(in_force["code"])       # a day on which the two definitions part
    return Warehouse(path), in_force, retired


def test_the_cockpit_shows_the_areas_in_force_at_as_of(before_a_redraw):
    wh, in_force, retired = before_a_redraw
    shown = run(wh, "areas__in_scope", CITY)
    assert list(shown["code"]) == list(in_force["code"])
    grids = in_force[in_force["level"] == "grid"]
    assert run(wh, "screen__map_level", CITY).iloc[0]["grids"] == len(grids)


def test_a_code_is_named_by_its_version_in_force_else_its_latest(before_a_redraw):
    wh, in_force, _ = before_a_redraw
    with wh.snapshot() as snap:
        names = snap.query(fragment("area_names"), {"scope": CITY_CODE})
        street = in_force.loc[in_force["level"] == "street", "code"].iloc[0]
        scoped = snap.query(fragment("area_names"), {"scope": street})["code"]
        latest = snap.query("SELECT code, first(name ORDER BY valid_from DESC NULLS LAST) AS name FROM core.areas "
                            "WHERE code NOT IN (SELECT code FROM core.areas_in_force) GROUP BY code")
    expected = {**dict(zip(latest["code"], latest["name"])), **dict(zip(in_force["code"], in_force["name"]))}
    assert dict(zip(names["code"], names["name"])) == expected
    # an account's names: its area, what lies in it, and above it; nothing beside it
    assert len(scoped) and all(c.startswith(street) or street.startswith(c) for c in scoped)
    assert set(scoped) == {c for c in names["code"] if c.startswith(street) or street.startswith(c)}
    assert not any(n.endswith("（新）") for n in in_force["name"])    # the day before, the old names
