"""The XLSX writer of the demo's exports that come as spreadsheets: deterministic bytes."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from etl import contract
from warehouse.excel import write_sheet


def write_xlsx(table: pa.Table, spec: contract.SourceFile, path: Path) -> int:
    """One sheet, a header row of the source system's Chinese headers, dates as Excel dates; same
    rows, same bytes (warehouse/excel.py)."""
    columns = [table.column(c.name).to_pylist() for c in spec.columns]
    write_sheet(str(path), spec.title.split(" (")[0][:31] or spec.table, [c.header for c in spec.columns],
                zip(*columns))
    return table.num_rows
