"""The refresh on the generator's dirty data: every defect in the manifest is caught (quarantined),
repaired (loaded, the repair recorded) or, where the manifest says so, undetectable (loaded);
nothing else is quarantined except rows referring to a quarantined row; and for every file,
rows in = rows loaded + rows quarantined."""
import duckdb
import pytest

from etl import contract
from etl.refresh import refresh
from tests.conftest import built_once, served_db

CANONICAL = {spec.file: {c.header: c.name for c in spec.columns} for spec in contract.CSV_SOURCES}
# rules a clean row gets when the row it refers to was quarantined (a cascade, not a defect)
CASCADES = {"unknown_household"}


@pytest.fixture(scope="module")
def loaded(tiny_dirty, key_file, tmp_path_factory):
    src, manifest = tiny_dirty
    # the default publish checks pass dirty data; built once per run, whichever worker asks first
    warehouse = built_once(tmp_path_factory, "dirty-warehouse", lambda out: refresh(src, out, key_file))
    con = duckdb.connect(str(served_db(warehouse)), read_only=True)
    quarantine = {}
    for file, line, rule in con.execute("SELECT file, line, rule FROM quarantine").fetchall():
        quarantine.setdefault((file, line), set()).add(rule)
    repairs = {}
    for file, line, column, kind in con.execute(
            "SELECT file, line, column_name, repair FROM repairs").fetchall():
        repairs.setdefault((file, line), set()).add((column, kind))
    log = {r[0]: r[1:] for r in con.execute(
        "SELECT file, encoding, rows_in, rows_loaded, rows_quarantined FROM load_log").fetchall()}
    yield manifest, quarantine, repairs, log
    con.close()


def _entries(manifest, expect):
    return [e for e in manifest["defects"] if e["expect"] == expect and e["line"] is not None]


def test_every_quarantine_defect_is_quarantined(loaded):
    manifest, quarantine, _, _ = loaded
    missed = [(e["file"], e["line"], e["defect"]) for e in _entries(manifest, "quarantine")
              if (e["file"], e["line"]) not in quarantine]
    assert missed == []
    assert len(_entries(manifest, "quarantine")) > 100


def test_every_repair_is_made_and_recorded(loaded):
    manifest, quarantine, repairs, log = loaded
    for e in _entries(manifest, "repair"):
        where = (e["file"], e["line"])
        column = CANONICAL[e["file"]][e["column"]]
        kind = {"stray_spaces": "whitespace"}.get(e["defect"], e["defect"])
        assert (column, kind) in repairs.get(where, set()), e
        assert where not in quarantine, (e, quarantine.get(where))
    gb18030 = [e for e in manifest["defects"] if e["defect"] == "gb18030_file"]
    assert gb18030 and all(log[e["file"]][0] == "gb18030" for e in gb18030)


def test_undetectable_defects_load(loaded):
    manifest, quarantine, _, _ = loaded
    for e in _entries(manifest, "undetectable"):
        assert (e["file"], e["line"]) not in quarantine, e


def test_nothing_else_is_quarantined(loaded):
    manifest, quarantine, _, _ = loaded
    planned = {(e["file"], e["line"]) for e in _entries(manifest, "quarantine")}
    others = {k: rules for k, rules in quarantine.items() if k not in planned}
    assert all(rules <= CASCADES for rules in others.values()), others


def test_rows_in_equal_loaded_plus_quarantined(loaded):
    _, _, _, log = loaded
    assert set(log) >= {spec.file for spec in contract.CSV_SOURCES}
    for file, (_, rows_in, rows_loaded, rows_quarantined) in log.items():
        assert rows_in == rows_loaded + rows_quarantined, file
