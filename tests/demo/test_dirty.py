"""Dirty mode: the manifest describes exactly what is in the files (demo/dirty.py)."""
import csv
import datetime as dt
import json
import shutil
from collections import Counter

import pytest

from demo.dirty import EXPECT, KINDS, MANIFEST, PLAN, make_dirty, mask_personal
from etl import contract
from etl.load.values import canonical_date, canonical_timestamp
from tests.conftest import file_digests
from warehouse.personal import holds_personal

FILE_LEVEL = ("gb18030_file", "truncated_last_line", "grid_overlap")

HEADERS = {spec.file: [c.header for c in spec.columns] for spec in contract.CSV_SOURCES if spec.file in PLAN}


@pytest.fixture(scope="module")
def dirty(tiny_dirty):
    return tiny_dirty


def _lines(path, encoding="utf-8"):
    """Physical lines, 1-based (index 0 unused), and whether the file ends with a newline (bytes
    that are not text, injected on purpose, as lone surrogates)."""
    text = path.read_bytes().decode(encoding, errors="surrogateescape")
    lines = text.split("\n")
    ends_with_newline = lines[-1] == ""
    if ends_with_newline:
        lines.pop()
    return [None] + lines, ends_with_newline


def _record(lines, n, file):
    """The record starting on line n (a quoted field may run over the next lines), as fields."""
    text = lines[n]
    while True:
        row = next(csv.reader([text]))
        if len(row) >= len(HEADERS[file]) or n + 1 >= len(lines) or '"' not in text:
            return row
        n += 1
        text += "\n" + lines[n]


def _value(row, file, column, raw=False):
    """The value of `column` ("经度,纬度" joins two) in a record's fields, masked like the manifest."""
    heads = HEADERS[file]
    return ",".join(mask_personal(h, row[heads.index(h)]) for h in column.split(","))


@pytest.fixture(scope="module")
def files(dirty, tiny_source):
    out, manifest = dirty
    return {f: (_lines(out / f, manifest["encodings"][f]), _lines(tiny_source / f))
            for f in HEADERS}


def test_manifest_on_disk_is_the_returned_one(dirty):
    out, manifest = dirty
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8")) == manifest


def test_every_kind_appears_and_counts_match(dirty):
    _, manifest = dirty
    entries = manifest["defects"]
    counts = Counter(e["defect"] for e in entries)
    assert manifest["counts"] == dict(counts)
    assert set(counts) == set(KINDS)
    for kind in KINDS:
        if kind not in FILE_LEVEL:
            assert counts[kind] >= 3, kind
    assert counts["gb18030_file"] == counts["truncated_last_line"] == counts["grid_overlap"] == 1
    for e in entries:
        if e["defect"] == "gcj02_coordinates":
            assert e["expect"] in ("quarantine", "undetectable")
        else:
            assert e["expect"] == EXPECT[e["defect"]]


def test_one_defect_per_line(dirty):
    _, manifest = dirty
    lines = [(e["file"], e["line"]) for e in manifest["defects"] if e["line"] is not None]
    assert len(lines) == len(set(lines))
    # duplicates copy rows that carry no defect of their own
    sources = {(e["file"], e["source_line"]) for e in manifest["defects"]
               if e["defect"] in ("duplicate_row", "duplicate_key_conflict")}
    touched = {(e["file"], e["source_line"]) for e in manifest["defects"]
               if e["defect"] not in ("duplicate_row", "duplicate_key_conflict")}
    assert not sources & touched


def _unquoted_token(line, file, column):
    return line.split(",")[HEADERS[file].index(column)]      # the clean values hold no comma


def test_entries_hold_their_values(dirty, files):
    _, manifest = dirty
    for e in manifest["defects"]:
        if e["line"] is None:
            continue
        (dirty_lines, _), (clean_lines, _) = files[e["file"]]
        if e["defect"] == "blank_line":                  # an inserted line, no row of its own
            assert dirty_lines[e["line"]] == "" and e["key"] is None
            continue
        line = dirty_lines[e["line"]]
        source = clean_lines[e["source_line"]]
        key = HEADERS[e["file"]].index(next(c.header for s in contract.CSV_SOURCES
                                             if s.file == e["file"] for c in s.columns
                                             if c.name == s.key))
        assert next(csv.reader([source]))[key] == e["key"], e
        if e["column"] is None:            # duplicate_row: a byte copy of its source row
            assert e["defect"] == "duplicate_row"
            assert line == source
            assert e["original"] == e["injected"] == e["key"]
            continue
        if e["defect"] == "unclosed_quote":                # the value written raw, quote unclosed
            token = _unquoted_token(line, e["file"], e["column"])
            assert token.startswith('"') and mask_personal(e["column"], token) == e["injected"], e
        else:
            assert _value(_record(dirty_lines, e["line"], e["file"]), e["file"], e["column"]) \
                == e["injected"], e
        assert _value(next(csv.reader([source])), e["file"], e["column"]) == e["original"], e
        # a masked value may hide the change (x for X is behind the ID's stars)
        assert e["injected"] != e["original"] or e["defect"] == "personal_in_text" \
            or e["column"] in ("公民身份号码", "联系电话", "负责人电话"), e
        if e["column"] in ("姓名", "公民身份号码", "联系电话", "负责人", "负责人电话"):
            assert "*" in e["original"] or e["original"] == "", e   # never in clear
        assert not holds_personal(e["original"]) and not holds_personal(e["injected"]), e
        if e["defect"] == "duplicate_key_conflict":       # everything else as in the source row
            a, b = next(csv.reader([line])), next(csv.reader([source]))
            i = HEADERS[e["file"]].index(e["column"])
            assert a[:i] + a[i + 1:] == b[:i] + b[i + 1:]


def test_other_lines_are_untouched(dirty, files):
    """Walking the dirty file against the clean one: every line is an entry's (a changed row, an
    inserted blank line, an appended copy) or the next clean line, byte for byte."""
    _, manifest = dirty
    for file, ((dirty_lines, _), (clean_lines, _)) in files.items():
        at = {e["line"]: e for e in manifest["defects"] if e["file"] == file and e["line"] is not None}
        clean, d = 1, 1
        while d < len(dirty_lines):
            e = at.get(d)
            if e is None:
                assert dirty_lines[d] == clean_lines[clean], (file, d, clean)
                clean, d = clean + 1, d + 1
            elif e["defect"] == "blank_line":
                d += 1
            else:
                if e["source_line"] == clean:             # in place: the clean row moves on
                    clean += 1
                d += 1 + (e["defect"] == "multiline_text")
        assert clean == len(clean_lines), file


def test_defect_kinds_land_in_their_planned_files(dirty):
    _, manifest = dirty
    for e in manifest["defects"]:
        if e["defect"] not in FILE_LEVEL:
            assert e["defect"] in PLAN[e["file"]], e


def test_gb18030_file(dirty):
    out, manifest = dirty
    [entry] = [e for e in manifest["defects"] if e["defect"] == "gb18030_file"]
    assert entry["line"] is None and entry["column"] is None
    raw = (out / entry["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gb18030").startswith(",".join(HEADERS[entry["file"]]))
    assert manifest["encodings"][entry["file"]] == "gb18030"


def test_truncated_last_line(dirty, files):
    _, manifest = dirty
    [e] = [e for e in manifest["defects"] if e["defect"] == "truncated_last_line"]
    (dirty_lines, ends_with_newline), (clean_lines, _) = files[e["file"]]
    assert e["file"] == contract.EVENTS.file
    assert not ends_with_newline
    assert e["line"] == len(dirty_lines) - 1
    assert e["source_line"] == len(clean_lines) - 1
    last = dirty_lines[e["line"]]
    assert clean_lines[e["source_line"]].startswith(last) and last != clean_lines[e["source_line"]]
    fields = next(csv.reader([last]))
    assert len(fields) < len(HEADERS[e["file"]])
    assert fields[-1] == e["injected"] and e["original"].startswith(e["injected"])


def test_realistic_values(dirty, files):
    _, manifest = dirty
    by_kind = {}
    for e in manifest["defects"]:
        by_kind.setdefault(e["defect"], []).append(e)
    for e in by_kind["id_excel_scientific"]:
        assert "E+17" in e["injected"]
    for e in by_kind["future_timestamp"]:
        assert e["injected"][:10] > max(manifest["end"], dt.date.today().isoformat())
    for e in by_kind["lowercase_x"]:              # masked in the manifest: look in the files
        (dirty_lines, _), (clean_lines, _) = files[e["file"]]
        i = HEADERS[e["file"]].index("公民身份号码")
        assert next(csv.reader([dirty_lines[e["line"]]]))[i].endswith("x")
        assert next(csv.reader([clean_lines[e["source_line"]]]))[i].endswith("X")
    for e in by_kind["excel_date_serial"]:
        assert e["injected"].isdigit()
    for e in by_kind["fullwidth_digits"]:          # an ID's mask reads them: look in the file
        (dirty_lines, _), _ = files[e["file"]]
        value = next(csv.reader([dirty_lines[e["line"]]]))[HEADERS[e["file"]].index(e["column"])]
        assert any("０" <= ch <= "９" for ch in value)
    for e in by_kind["stray_spaces"]:
        assert e["injected"] != e["injected"].strip() and e["injected"].strip() == e["original"]
    for e in by_kind["latlon_swapped"]:
        lon, lat = e["original"].split(",")
        assert e["injected"] == f"{lat},{lon}"
    for e in by_kind["point_outside_city"]:
        lon, lat = map(float, e["injected"].split(","))
        assert 73 < lon < 136 and 18 < lat < 54 and abs(lon - 126.5) + abs(lat - 43.8) > 3
    for e in by_kind["twelve_hour_time"]:
        assert canonical_timestamp(e["injected"]) == e["original"] != e["injected"]
    for e in by_kind["ambiguous_time"]:
        assert canonical_timestamp(e["injected"]) is None
    for e in by_kind["nonstandard_date"]:
        assert canonical_date(e["injected"]) == e["original"] != e["injected"]
    for e in by_kind["code_lost_zero"]:
        assert e["original"].startswith("0") and e["injected"] == e["original"].lstrip("0")
    for e in by_kind["control_character"]:
        assert any(ord(c) < 32 for c in e["injected"]), e
    for e in by_kind["personal_in_text"]:          # stored masked; in the file, in clear
        assert "*" in e["injected"] and len(e["injected"]) > len(e["original"])
    for e in by_kind["multiline_text"]:
        assert "\n" in e["injected"]
    for e in by_kind["quoted_field"]:
        assert "," in e["injected"]


def test_personal_numbers_are_in_the_files_in_clear(dirty, files):
    """What the manifest stores masked is in clear in the file: the ETL has something to mask."""
    _, manifest = dirty
    for e in manifest["defects"]:
        if e["defect"] == "personal_in_text":
            (dirty_lines, _), _ = files[e["file"]]
            row = _record(dirty_lines, e["line"], e["file"])
            assert holds_personal(row[HEADERS[e["file"]].index(e["column"])]), e


def test_same_seed_same_dirty_files(dirty, tiny_source, tmp_path):
    out, _ = dirty
    shutil.copytree(tiny_source, tmp_path, dirs_exist_ok=True)
    make_dirty(tmp_path, seed=42)

    assert file_digests(tmp_path) == file_digests(out)


def test_refuses_a_dirty_folder(dirty):
    out, _ = dirty
    with pytest.raises(ValueError):
        make_dirty(out, seed=42)
