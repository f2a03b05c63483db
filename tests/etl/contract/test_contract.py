"""The contract: its document is current, generated files follow it, a mapping file renames."""
import json
import re

import duckdb
import pandas as pd
import pytest

from etl import contract
from etl.contract.doc import render
from etl.refresh import refresh
from warehouse.paths import ROOT


def test_document_is_generated_from_the_toml_files():
    assert (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8") == render(), \
        "docs/data-contract.md is stale: run python -m etl contract-doc"


def test_the_events_load_first_and_reference_no_other_source():
    """A full build loads the events and their updates before the other sources, to fix the
    as-of instant their points are checked at (etl/refresh.py): a rule of theirs naming another
    source file would go unchecked (a reference is to a source loaded before)."""
    specs = contract.load_contract()
    assert specs[0].table == "events" and specs[0].load_order < min(s.load_order for s in specs[1:])
    others = {s.file for s in specs[1:]}
    named = {m for c in specs[0].columns for m in re.findall(r"\b\w+\.(?:csv|xlsx)\b", c.rule)}
    assert not named & others


def _frame(source, spec) -> pd.DataFrame:
    """A source file as text, empty cells as "" (XLSX dates as YYYY-MM-DD)."""
    if spec.format == "xlsx":
        f = pd.read_excel(source / spec.file, dtype=object)
        return f.map(lambda v: "" if pd.isna(v) else v.strftime("%Y-%m-%d")
                     if hasattr(v, "strftime") else str(v))
    return pd.read_csv(source / spec.file, dtype=str, keep_default_na=False)


def _enumeration(rule: str) -> tuple[set[str], bool] | None:
    """The allowed values of a rule written "A | B | C[; note]" (or "zero or more of A | B,
    joined by 、"); None for a rule of another form."""
    multi = rule.startswith("zero or more of ")
    body = rule.removeprefix("zero or more of ").split(";")[0].split(", joined by")[0]
    body = re.sub(r"\s*\([^)]*\)", "", body)
    values = [v.strip() for v in body.split(" | ")]
    if len(values) < 2 or any(" " in v or "+" in v for v in values):
        return None
    return set(values) - {"empty"}, multi


def _reference(rule: str, source) -> set[str] | None:
    """Keys of the file a rule names ("a grid in grids.geojson", "an address in addresses.csv")."""
    m = re.search(r"\bin (\w+)\.(csv|geojson)\b", rule)
    if not m:
        return None
    if m.group(2) == "geojson":
        layer = json.loads((source / f"{m.group(1)}.geojson").read_text(encoding="utf-8"))
        return {f["properties"]["code"] for f in layer["features"]}
    target = contract.BY_TABLE[m.group(1)]
    header = next(c.header for c in target.columns if c.name == target.key)
    return set(_frame(source, target)[header])


def test_clean_files_follow_the_contract(tiny_source):
    """Every file the document names exists with exactly its headers; every value parses as its
    column's type, is present where mandatory, and obeys the rules the document states in a
    checkable form: enumerations, N digits, unique keys, integer ≥ k, ≥ another column,
    references to another file."""
    con = duckdb.connect()
    checked = set()
    for spec in contract.ALL_SOURCES:
        f = _frame(tiny_source, spec)
        assert list(f.columns) == [c.header for c in spec.columns], spec.file
        assert len(f) > 0, spec.file
        headers = {c.header for c in spec.columns}
        for c in spec.columns:
            v = f[c.header]
            present = v != ""
            where = (spec.file, c.header, c.rule)
            assert present.all() or not c.required, where
            con.register("v", pd.DataFrame({"x": v[present]}))
            bad = con.execute(f"SELECT count(*) FROM v WHERE TRY_CAST(x AS {c.type}) IS NULL").fetchall()[0][0]
            assert bad == 0, where
            rule = c.rule.removeprefix("personal: ")
            if (enum := _enumeration(rule)) is not None:
                allowed, multi = enum
                values = v[present].str.split("、").explode() if multi else v[present]
                assert set(values) <= allowed, (where, set(values) - allowed)
                checked.add("enumeration")
            if m := re.match(r"(\d+) digits", rule):
                assert v[present].str.fullmatch(rf"\d{{{m.group(1)}}}").all(), where
                checked.add("digits")
            if re.search(r"\bunique\b", rule) or c.name == spec.key:
                assert v[present].is_unique, where
                checked.add("unique")
            if m := re.match(r"integer ≥ (\d+)", rule):
                assert (v[present].astype(int) >= int(m.group(1))).all(), where
                checked.add("integer_min")
            if (m := re.match(r"≥ (\S+)", rule)) and m.group(1) in headers:
                other = f[m.group(1)]
                both = present & (other != "")
                if c.type in ("INTEGER", "DOUBLE"):
                    ok = v[both].astype(float) >= other[both].astype(float)
                else:
                    ok = pd.to_datetime(v[both]) >= pd.to_datetime(other[both])
                assert ok.all(), where
                checked.add("not_before")
            if c.type == "VARCHAR" and (keys := _reference(rule, tiny_source)) is not None:
                assert set(v[present]) <= keys, (where, sorted(set(v[present]) - keys)[:5])
                checked.add("reference")
    assert checked == {"enumeration", "digits", "unique", "integer_min", "not_before", "reference"}
    for file in contract.AREA_LAYERS.values():
        assert (tiny_source / file).exists()


def test_examples_obey_their_types():
    con = duckdb.connect()
    for spec in contract.CSV_SOURCES:
        for c in spec.columns:
            assert c.example, (spec.table, c.name)
            assert con.execute(f"SELECT TRY_CAST(? AS {c.type}) IS NOT NULL", [c.example]).fetchone()[0]


def test_a_mapping_naming_an_unknown_column_is_refused(tiny_source, key_file, tmp_path):
    """Renamed files and headers load: tests/etl/test_refresh.py (with a declared CRS)."""
    mapping = tmp_path / "site.toml"
    mapping.write_text('[headers.events]\nno_such_column = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_column"):
        refresh(tiny_source, tmp_path / "wh", key_file, mapping)
