"""One-sheet Excel workbooks (the cockpit's event export, the demo's XLSX sources), written by
XlsxWriter in constant-memory mode: each row goes to a temporary file as it is written, so a
50,000-row export keeps memory flat. Reading Excel stays with openpyxl (etl/load/extract.py).

A cell is written by its value's type (write_string, never the guessing write()): a text that
starts with "=" stays text (no formula runs when the file is opened) and one that looks like a link
or a number stays as it was. Excel holds at most 32,767 characters in a cell: a longer text is cut there, as Excel
itself would."""
from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Iterable, Sequence
from typing import IO

import numpy as np
import pandas as pd

PINNED = dt.datetime(2000, 1, 1)     # the document's created/modified time: same rows, same bytes


def write_sheet(target: str | IO[bytes], sheet: str, header: Sequence[str], rows: Iterable[Sequence],
                *, datetime_format: str = "yyyy-mm-dd hh:mm", date_format: str = "yyyy-mm-dd") -> None:
    """A header row, then `rows`: text as text, numbers as numbers, dates and date-times as Excel
    dates shown in the given formats, None / NaN / NaT as an empty cell."""
    import xlsxwriter

    with xlsxwriter.Workbook(target, {"constant_memory": True}) as wb:
        wb.set_properties({"created": PINNED})
        ws = wb.add_worksheet(sheet)
        formats = {dt.datetime: wb.add_format({"num_format": datetime_format}),
                   dt.date: wb.add_format({"num_format": date_format})}
        for c, text in enumerate(header):
            ws.write_string(0, c, text)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                _write(ws, r, c, value, formats)


def _write(ws, r: int, c: int, value, formats: dict) -> None:
    if isinstance(value, str):
        ws.write_string(r, c, value)
    elif value is None or pd.isna(value):
        return
    elif isinstance(value, dt.datetime):          # a pd.Timestamp too
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        ws.write_datetime(r, c, value, formats[dt.datetime])
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, value, formats[dt.date])
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(r, c, value)
    elif isinstance(value, numbers.Real):        # numpy's numbers register as Real
        ws.write_number(r, c, value)
    else:
        raise TypeError(f"no Excel cell for {type(value).__name__} in row {r}, column {c}")
