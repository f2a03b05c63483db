"""The Excel writer of exports and demo sources: every cell reads back as written, by its type; a
text is never a formula, a link or a number; same rows, same bytes."""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from warehouse.excel import write_sheet

TEXT = st.one_of(st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
                 st.sampled_from(["=1+1", "=HYPERLINK(\"http://x.cn\",\"点\")", "http://x.cn", "00123",
                                  "1e5", "TRUE", " 前后空格 ", "_x0041_", "220204199001011234"]))
DATETIME = st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2099, 12, 31)).map(lambda t: t.replace(microsecond=0))
CELL = st.one_of(st.none(), TEXT, DATETIME, st.dates(dt.date(1950, 1, 1), dt.date(2099, 12, 31)),
                 st.integers(-2 ** 53, 2 ** 53), st.floats(-1e300, 1e300),        # 16 digits are written: 1.8e308 would overflow
                 st.booleans(), st.just(float("nan")), st.just(pd.NaT), st.just(pd.NA))


def _excel_text(raw: str) -> str:
    """What Excel shows for a stored text: _xHHHH_ is an escaped character (openpyxl does not undo it)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), raw)


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _read(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return wb.sheetnames, [list(row) for row in wb.active.iter_rows()]


@settings(max_examples=150, deadline=None)
@given(rows=st.integers(1, 5).flatmap(lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width),
                                                                 min_size=1, max_size=12)))
def test_every_cell_reads_back_as_written(rows):
    width = len(rows[0])
    header = [f"列{i}" for i in range(width)]
    out = io.BytesIO()
    write_sheet(out, "事件", header, rows, datetime_format="yyyy-mm-dd hh:mm")
    sheets, cells = _read(out.getvalue())
    assert sheets == ["事件"] and [c.value for c in cells[0]] == header
    assert len(cells) <= len(rows) + 1
    cells += [[]] * (len(rows) + 1 - len(cells))              # trailing empty rows are not stored
    for written, read in zip(rows, cells[1:]):
        read = read + [None] * (width - len(read))
        for value, cell in zip(written, read):
            got = getattr(cell, "value", None)
            if _blank(value):
                assert got is None
            elif isinstance(value, str):
                assert cell.data_type == "s" and _excel_text(got) == value[:32767]
            elif isinstance(value, dt.datetime):
                assert got == value and cell.number_format == "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                assert got == dt.datetime.combine(value, dt.time()) and cell.number_format == "yyyy-mm-dd"
            elif isinstance(value, bool):
                assert got is value
            else:
                assert cell.data_type == "n" and math.isclose(got, value, rel_tol=1e-15, abs_tol=1e-300)


def test_numpy_and_pandas_values_and_a_text_past_excels_limit():
    out = io.BytesIO()
    stamp = pd.Timestamp("2026-05-01 08:30:15")
    write_sheet(out, "s", ["a", "b", "c", "d", "e"],
                [[np.int64(7), np.float64(0.5), np.bool_(True), stamp, "长" * 40_000]])
    _, cells = _read(out.getvalue())
    assert [c.value for c in cells[1]] == [7, 0.5, True, stamp.to_pydatetime(), "长" * 32_767]


def test_a_value_without_an_excel_cell_is_refused():
    with pytest.raises(TypeError, match="timedelta"):
        write_sheet(io.BytesIO(), "s", ["a"], [[dt.timedelta(days=1)]])


def test_same_rows_same_bytes(tmp_path):
    rows = [["甲", dt.date(2026, 1, 2), 3.5], ["乙", None, 4]]
    write_sheet(tmp_path / "a.xlsx", "s", ["名", "日", "数"], rows)
    write_sheet(tmp_path / "b.xlsx", "s", ["名", "日", "数"], rows)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    # not the time of writing, which two writes within a second would share
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 31, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:\w+ [^>]*>([^<]*)<", core) == ["2000-01-01T00:00:00Z"] * 2
