"""The XLSX writer of the demo's exports that come as spreadsheets: deterministic bytes."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from etl import contract


def write_xlsx(table: pa.Table, spec: contract.SourceFile, path: Path) -> int:
    """One sheet, a header row of the source system's Chinese headers, dates as Excel dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    # same seed, same bytes: no "created now" in the document properties
    wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)
    ws = wb.create_sheet(spec.title.split(" (")[0][:31] or spec.table)
    ws.append([c.header for c in spec.columns])
    columns = [table.column(c.name).to_pylist() for c in spec.columns]
    for row in zip(*columns):
        cells = []
        for value in row:
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(path)
    _fix_zip_times(path)
    return table.num_rows


def _fix_zip_times(path: Path) -> None:
    """An XLSX is a zip whose entries carry the time they were written, and openpyxl stamps
    'modified' with the time of saving: pin both."""
    import re
    import zipfile
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    entries = [(info, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
                if info.filename == "docProps/core.xml" else data) for info, data in entries]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            pinned = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            pinned.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(pinned, data)
