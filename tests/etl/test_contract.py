"""The contract: its document is current, generated files follow it, a mapping file renames."""
import csv
import shutil

import duckdb
import pytest

from etl import contract
from etl.contract.doc import render
from etl.paths import ROOT
from etl.refresh import refresh


def test_document_is_generated_from_the_toml_files():
    assert (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8") == render(), \
        "docs/data-contract.md is stale: run python -m etl contract-doc"


def test_clean_files_follow_the_contract(tiny_source):
    """Every file the document names exists with exactly its headers, and every value parses
    as its column's type and is present where mandatory."""
    con = duckdb.connect()
    for spec in contract.CSV_SOURCES:
        path = tiny_source / spec.file
        with open(path, encoding="utf-8", newline="") as f:
            assert next(csv.reader(f)) == [c.header for c in spec.columns], spec.file
        for c in spec.columns:
            bad = con.execute(
                f"SELECT count(*) FROM read_csv(?, all_varchar = true) WHERE "
                f"(\"{c.header}\" IS NULL AND ?) OR "
                f"(\"{c.header}\" IS NOT NULL AND TRY_CAST(\"{c.header}\" AS {c.type}) IS NULL)",
                [str(path), c.required]).fetchone()[0]
            assert bad == 0, (spec.file, c.header)
    for file in contract.AREA_LAYERS.values():
        assert (tiny_source / file).exists()


def test_examples_obey_their_types():
    con = duckdb.connect()
    for spec in contract.CSV_SOURCES:
        for c in spec.columns:
            assert c.example, (spec.table, c.name)
            assert con.execute(f"SELECT TRY_CAST(? AS {c.type}) IS NOT NULL", [c.example]).fetchone()[0]


def test_a_mapping_file_renames_files_and_headers(tiny_source, key_file, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(tiny_source, src)
    (src / "events.csv").rename(src / "事件导出.csv")
    text = (src / "事件导出.csv").read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    (src / "事件导出.csv").write_text(first.replace("事件编号", "案件编号").replace("上报时间", "发现时间")
                                       + "\n" + rest, encoding="utf-8")
    mapping = tmp_path / "site.toml"
    mapping.write_text('[files]\nevents = "事件导出.csv"\n\n[headers.events]\n'
                       'event_id = "案件编号"\nreported_at = "发现时间"\n', encoding="utf-8")
    db = tmp_path / "w.duckdb"
    refresh(src, db, key_file, mapping)
    n = duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM events").fetchone()[0]
    assert n == text.count("\n") - 1

    mapping.write_text('[headers.events]\nno_such_column = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_column"):
        refresh(src, db, key_file, mapping)
